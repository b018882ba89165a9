"""The publication gate: run a mart's Great Expectations suite and keep a machine-readable verdict.

Results are written to ``<lake>/quality/<mart>/latest.json`` (and a timestamped history), which is
what the Dagster check reports, what the publisher copies next to a publication, and what the
apps show as the gate status. Validation goes through pandas (the DuckDB SQLAlchemy path is broken
in GE 1.24, see stack notes).
"""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import asdict, dataclass, field
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


def _quiet_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate_mart(mart: str, frame: pd.DataFrame) -> GateResult:
    """Run ``quality.suites.<mart>`` on ``frame`` and summarise the outcome."""
    import great_expectations as gx

    suite_module = importlib.import_module(f"quality.suites.{mart}")
    context = _quiet_context()
    source = context.data_sources.add_pandas(name=f"{mart}_source")
    asset = source.add_dataframe_asset(name=mart)
    batch_definition = asset.add_batch_definition_whole_dataframe(f"{mart}_batch")
    suite = context.suites.add(gx.ExpectationSuite(name=mart))
    for expectation in suite_module.expectations():
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{mart}_gate", data=batch_definition, suite=suite)
    )
    outcome = validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    failed = []
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        details = result.result or {}
        failed.append(
            {
                "expectation": config.type,
                "column": config.kwargs.get("column") or config.kwargs.get("column_list"),
                "observed": str(details.get("observed_value", details.get("partial_unexpected_list", "")))[:300],
                "unexpected_count": details.get("unexpected_count"),
            }
        )
    stats = outcome.statistics
    return GateResult(
        mart=mart,
        suite=mart,
        success=bool(outcome.success),
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        statistics={
            "evaluated_expectations": int(stats["evaluated_expectations"]),
            "successful_expectations": int(stats["successful_expectations"]),
            "unsuccessful_expectations": int(stats["unsuccessful_expectations"]),
        },
        failed=failed,
        rows=len(frame),
        fingerprint=fingerprint(frame),
    )


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
