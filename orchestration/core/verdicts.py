"""Gate verdicts: what a mart's quality gate concluded, kept as JSON beside the lake.

Dagster-free and Great-Expectations-free, so publication, the apps and the API can read verdicts
without importing the validation engine (:mod:`quality.gate` produces them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class GateResult:
    """Verdict of one suite on one mart."""

    mart: str
    suite: str
    success: bool
    evaluated_at: str
    statistics: dict[str, int]
    failed: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    fingerprint: str = ""  # of the validated data: publication must match it (write-audit-publish)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fingerprint(frame: pd.DataFrame) -> str:
    """Order-independent digest of a frame's content: what was validated is what gets published."""
    if frame.empty:
        return "empty"
    hashed = pd.util.hash_pandas_object(frame[sorted(frame.columns)], index=False)
    return f"{len(frame)}:{int(hashed.sum()) & 0xFFFFFFFFFFFFFFFF:016x}"


def record(result: GateResult, quality_dir: Path) -> Path:
    """Write the verdict as ``latest.json`` plus a history entry; returns the latest path."""
    folder = quality_dir / result.mart
    (folder / "history").mkdir(parents=True, exist_ok=True)
    payload = json.dumps(result.to_json(), ensure_ascii=False, indent=2)
    stamp = result.evaluated_at.replace(":", "").replace("+0000", "Z")
    (folder / "history" / f"{stamp}.json").write_text(payload, encoding="utf-8")
    latest = folder / "latest.json"
    tmp = latest.with_suffix(".tmp")
    tmp.write_text(payload, encoding="utf-8")
    tmp.replace(latest)  # atomic: readers never see half a verdict
    return latest


def load_latest(mart: str, quality_dir: Path) -> GateResult | None:
    """The last recorded verdict for ``mart``, if any."""
    path = quality_dir / mart / "latest.json"
    if not path.exists():
        return None
    return GateResult(**json.loads(path.read_text(encoding="utf-8")))


# Beside latest.json: on which rows and under which rules the latest verdict was reached.
BASIS_FILE = "basis.json"


def record_basis(result: GateResult, quality_dir: Path, rules: str) -> None:
    """Note that ``result`` (just recorded) was reached under ``rules`` (a digest of the suite and its inputs)."""
    basis = {"fingerprint": result.fingerprint, "rules": rules, "evaluated_at": result.evaluated_at}
    path = quality_dir / result.mart / BASIS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(basis), encoding="utf-8")
    tmp.replace(path)


def reusable_verdict(mart: str, quality_dir: Path, frame_fingerprint: str, rules: str) -> GateResult | None:
    """The latest verdict again, dated now, if it was reached on exactly these rows under these rules.

    Validation is deterministic in (rows, rules): a mart rebuilt identical need not be validated
    again. ``None`` (validate) unless latest.json and its basis agree with each other and with both.
    """
    latest = load_latest(mart, quality_dir)
    path = quality_dir / mart / BASIS_FILE
    if latest is None or not path.exists() or latest.fingerprint != frame_fingerprint:
        return None
    expected = {"fingerprint": frame_fingerprint, "rules": rules, "evaluated_at": latest.evaluated_at}
    if json.loads(path.read_text(encoding="utf-8")) != expected:
        return None
    return replace(latest, evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"))
