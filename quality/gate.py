"""The publication gate: run a mart's Great Expectations suite and keep a machine-readable verdict.

Results are written to ``<lake>/quality/<mart>/latest.json`` (and a timestamped history), which is
what the Dagster check reports, what the publisher copies next to a publication, and what the
apps show as the gate status. Validation goes through pandas (the DuckDB SQLAlchemy path is broken
in GE 1.24, see stack notes).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from orchestration.core.verdicts import GateResult, fingerprint


@functools.cache
def _context() -> Any:
    """One ephemeral Great Expectations context per process, shared by every gate (creating one costs
    more than validating a small mart), with progress bars and INFO logging off."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    _memoise_expectation_type_names()
    _install_configuration_memo()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _memoise_expectation_type_names() -> None:
    """Memoise GE's ``camel_to_snake`` (a pure function of a class name) where expectations call it.

    Every read of ``Expectation.configuration`` (sixty thousand in the gates of a new day) names the
    expectation's type from its class name through two regular expressions: profiled, 15 % of a
    validation. The same name for the same class, with no regular expression after the first.
    """
    from great_expectations.expectations import expectation

    if not hasattr(expectation.camel_to_snake, "cache_info"):
        expectation.camel_to_snake = functools.cache(expectation.camel_to_snake)


# The Great Expectations version the configuration memo was checked against (line by line: the
# property, ``to_domain_obj``, ``get_metric_kwargs`` and the validator's graph). Another version
# validates without it until it is checked again (tests/unit/test_gate_memo.py fails meanwhile).
MEMO_CHECKED_WITH = "1.24.1"

# Inside :func:`_configurations_memoised`: id(expectation) -> (expectation, its configuration).
_memo: dict[int, tuple[Any, Any]] | None = None
_memo_lock = threading.Lock()


def configuration_memo_installed() -> bool:
    """True when ``Expectation.configuration`` is memoised during a gate's validation (checked version)."""
    from great_expectations.expectations.expectation import Expectation

    return getattr(Expectation.configuration.fget, "__wrapped__", None) is not None


def _install_configuration_memo() -> None:
    """Memoise ``Expectation.configuration`` per expectation object, during a gate's validation only.

    The property rebuilds a pydantic ``ExpectationConfiguration`` from the expectation's fields on
    every read; a validation reads it dozens of times per expectation (profiled: a third of the
    validation), each time from the same fields, on expectation objects the validator made for this
    validation and drops after it. Inside :func:`_configurations_memoised` the first read is kept
    and returned again; assigning any field of the expectation forgets it. Outside it (any other
    use of Great Expectations in the process), the property behaves as before.
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation

    if gx.__version__ != MEMO_CHECKED_WITH or configuration_memo_installed():
        return
    build = Expectation.configuration.fget
    assign = Expectation.__setattr__

    @functools.wraps(build)
    def configuration(self: Any) -> Any:
        memo = _memo
        if memo is None:
            return build(self)
        kept = memo.get(id(self))
        if kept is None or kept[0] is not self:
            kept = (self, build(self))  # the object is held, so its id is not reused meanwhile
            memo[id(self)] = kept
        return kept[1]

    def __setattr__(self: Any, name: str, value: Any) -> None:  # noqa: N807 (the method it replaces)
        memo = _memo
        if memo is not None:
            memo.pop(id(self), None)
        assign(self, name, value)

    Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]
    Expectation.__setattr__ = __setattr__  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def _configurations_memoised() -> Iterator[None]:
    """Within: ``Expectation.configuration`` memoised (when installed); the memo is dropped after."""
    global _memo
    with _memo_lock:  # one validation at a time uses the memo (gates of a run are sequential)
        _memo = {}
        try:
            yield
        finally:
            _memo = None


def prepare() -> None:
    """Make the shared context now (the import and set-up every first validation of a process pays)."""
    _context()


@functools.cache
def _batch_definition() -> Any:
    """The whole-dataframe batch definition every gate validates through (made once per process).

    One for every mart: the batch takes its frame as a parameter, and nothing of the verdict
    comes from the asset's name. One per mart made the context save its whole configuration as
    YAML three times for each, a configuration growing with every mart added (profiled: 15 % of
    the gates of a new day).
    """
    source = _context().data_sources.add_or_update_pandas(name="marts")
    return source.add_dataframe_asset(name="mart").add_batch_definition_whole_dataframe("whole_mart")


# What ``ExpectationSuite.add_expectation`` leaves out when it tells a repeated expectation.
_NOT_IDENTITY = {"id", "rendered_content", "notes", "meta"}


def _unique(expectations: list[Any]) -> list[Any]:
    """``expectations`` without repeats, by the test ``ExpectationSuite.add_expectation`` applies, first one kept.

    Each expectation's fields are taken once (the suite's own test takes them again for every pair).
    """
    kept: list[Any] = []
    seen: list[tuple[str, dict[str, Any]]] = []
    for expectation in expectations:
        identity = (expectation.expectation_type, expectation.dict(exclude=_NOT_IDENTITY))
        if identity not in seen:
            seen.append(identity)
            kept.append(expectation)
    return kept


def validate_mart(mart: str, frame: pd.DataFrame) -> GateResult:
    """Run the mart's generic expectations, then ``quality.suites.<mart>``, on ``frame``; summarise the outcome.

    The generic part (column set, not-null, grain, type families) comes from the mart's declared
    columns (:mod:`quality.generic`); the suite module holds only the mart's domain rules. The suite
    is assembled in memory and validated on the batch directly: nothing is written to the context's
    stores (the verdict is kept by :mod:`orchestration.core.verdicts`).
    """
    import great_expectations as gx

    from quality.generic import generic_expectations  # imports GE (~3 s): only when a gate runs

    suite_module = importlib.import_module(f"quality.suites.{mart}")
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    # An unsaved suite (no store write per expectation), built in one go: adding expectations one by
    # one compares each with every one already added (and asks the store each time).
    suite = gx.ExpectationSuite(name=mart, expectations=_unique([*generic_expectations(mart), *suite_module.expectations()]))
    # The verdict first (BOOLEAN_ONLY: half the work of SUMMARY, the same success and statistics);
    # only a failed suite is validated again for the details of its failures.
    with _configurations_memoised():
        outcome = batch.validate(suite, result_format="BOOLEAN_ONLY")
        if not outcome.success:
            outcome = batch.validate(suite, result_format="SUMMARY")
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
