"""Refused releases: disclosure control's final "no", kept as a verdict rather than a failed run.

A release is refused when a disclosure check cannot be met (e.g. the joint attacker's audit finds
a masked cell recoverable and no cell of the candidate is left to mask). Nothing is published,
and the same data gives the same "no" on every attempt. Failing the step for it would make the
runner request the asset again on every later run, each run failing on the same release: the
whole daily run stays red while nothing is wrong. So a refusal is recorded here and reported as a
failed *warning* check of the dataset; the next release is attempted when new data arrives.

The records live in the restricted quality folder, not beside the open data: a refusal's reason
names a masked cell and the bounds an attacker could reach, which is exactly what is withheld.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REFUSALS_DIR = "_refusals"  # under the quality folder; no ``history/`` inside, so never read as a mart's verdicts


@dataclass(frozen=True)
class Refusal:
    """One refused release of an open dataset."""

    dataset: str
    release: str | None  # the version (last closed period) the refused release would have had
    reason: str
    refused_at: str


def refusals_file(quality_dir: Path, dataset: str) -> Path:
    """The append-only record of ``dataset``'s refused releases (one JSON object per line)."""
    return quality_dir / REFUSALS_DIR / f"{dataset}.jsonl"


def record_refusal(quality_dir: Path, dataset: str, release: str | None, reason: str) -> Refusal:
    """Append a refusal of ``dataset``'s ``release`` for ``reason``, dated now; returns it."""
    refusal = Refusal(dataset, release, reason, datetime.now(UTC).isoformat(timespec="seconds"))
    path = refusals_file(quality_dir, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(refusal), ensure_ascii=False) + "\n")
    return refusal


def refusals(quality_dir: Path, dataset: str) -> list[Refusal]:
    """Every recorded refusal of ``dataset``, oldest first (empty if none)."""
    path = refusals_file(quality_dir, dataset)
    if not path.exists():
        return []
    return [Refusal(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
