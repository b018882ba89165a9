"""The blocking Great Expectations gate of a mart: an asset check that stops its publication.

A mart rebuilt with exactly the rows its last verdict was reached on, under the same rules, is
not validated again: the verdict is recorded again (dated now, in the history and the gate log,
as a validation would) and reported with ``reused: true``. Publication still requires a passed
verdict for the exact fingerprint of the rows it publishes.
"""

import functools
import threading
from collections.abc import Callable, Iterable
from importlib import metadata

import dagster as dg
import pandas as pd

from orchestration.core.catalog import marts
from orchestration.core.digests import files_digest
from orchestration.core.governance import log_gate_verdict
from orchestration.core.publishing import read_mart
from orchestration.core.settings import REFERENCE_DIR, REPO_ROOT, Settings
from orchestration.core.verdicts import GateResult, fingerprint, record, record_basis, reusable_verdict
from orchestration.factories.resources import ObservatoireResource
from quality import background

# Dagster's step priority tag: among the steps ready at once, higher runs first (default 0).
PRIORITY_TAG = "dagster/priority"
GATE_PRIORITY = "-1"

# Everything a verdict can depend on besides the rows: the suites and the gate, the catalog
# (declared columns, parameters, feeds), mart shapes, reference files (quartier codes...).
RULE_SOURCES = ("quality", "orchestration/core/catalog", "orchestration/core/mart_shapes", "orchestration/core/geography.py")


@functools.cache
def rules_digest() -> str:
    """Digest of every file a gate's verdict may depend on, and of the Great Expectations version."""
    roots = [REPO_ROOT / source for source in RULE_SOURCES] + [REFERENCE_DIR]
    return files_digest(roots, REPO_ROOT, [metadata.version("great_expectations")])


# The thread importing what the steps after dbt need, ahead of them (see warm_up_gates).
_warm_up: threading.Thread | None = None
_warm_up_lock = threading.Lock()


def _prepare_validation() -> None:
    """Import Great Expectations, the generic expectations and every suite; make the shared context."""
    import importlib

    from quality.gate import prepare
    from quality.generic import generic_expectations  # noqa: F401 (imported for its cost, ahead of the gates)
    from quality.reference import quartier_codes

    prepare()
    for mart in marts():
        importlib.import_module(f"quality.suites.{mart}")
    quartier_codes()  # the reference geography several suites read (2 MB of GeoJSON)


def _prepare_python_marts(computes: list[str]) -> None:
    """Import the modules computing ``computes`` (``module:function``), and statsmodels if they fit models."""
    import importlib
    import sys

    for compute in computes:
        importlib.import_module(compute.partition(":")[0])
    if "orchestration.analytics.stats" in sys.modules:  # its Poisson fits import statsmodels (about 1 s)
        import statsmodels.api
        import statsmodels.formula.api  # noqa: F401


def _warm(computes: list[str], validation: bool = True) -> None:
    try:
        if validation:
            _prepare_validation()
        _prepare_python_marts(computes)
    except Exception:  # the step that needs it imports again, in its step, and reports what fails there
        return


def warm_up_gates(requested: Iterable[dg.AssetKey], in_background: bool = False) -> None:
    """Start importing what the steps after dbt need, in the background, when ``requested`` has marts.

    A run that rebuilds marts starts with the dbt step, a subprocess the run only waits for; the
    first gate would otherwise pay the Great Expectations import (about 2 s) after it, and the
    Python marts their modules and statsmodels (about 1 s). With ``in_background``, the
    validation process (:mod:`quality.background`) is started too (if none runs), and then this
    process imports no suite ahead; without, one left running by an earlier run is ended.
    Nothing is started when no requested asset is a mart, and the warm-up thread only once per
    process. The gates and the Python marts wait for the warm-up to end (:func:`wait_for_warm_up`)
    before they import anything themselves.
    """
    global _warm_up
    declared = marts()
    chosen = [declared[key.path[-1]] for key in requested if len(key.path) == 2 and key.path[0] == "marts" and key.path[-1] in declared]
    computes = sorted({spec.compute for spec in chosen if spec.built_by == "python" and spec.compute})
    with _warm_up_lock:
        if not chosen:
            return
        # Started again if it ended (a run before this one stopped it); then this process need not
        # import the suites ahead: they run there. A run that did not ask for it ends it: its gates
        # validate in their steps, as asked.
        started = in_background and background.start() is not None
        if not in_background:
            background.stop()
        if _warm_up is not None:
            return
        _warm_up = threading.Thread(target=_warm, args=(computes, not started), name="post-dbt-warm-up")
        _warm_up.start()


def wait_for_warm_up() -> None:
    """Wait for the warm-up started by :func:`warm_up_gates`, if any (two threads never import the same modules)."""
    warming = _warm_up
    if warming is not None:
        warming.join()


def validate_in_background(settings: Settings, built: Iterable[str], read: Callable[[str], pd.DataFrame]) -> None:
    """Hand the marts just ``built`` (``read``: a mart as its gate will read it) to the validation process.

    Called as soon as they are final (end of the dbt step, a Python mart's write). Nothing is read
    or sent when no validation process runs; a mart whose gate will reuse its last verdict (the
    same rows under the same rules) is not sent.
    """
    running = background.running()
    if running is None:
        return
    for mart in built:
        frame = read(mart)
        frame_fingerprint = fingerprint(frame)
        if reusable_verdict(mart, settings.quality, frame_fingerprint, rules_digest()) is None:
            running.submit(mart, frame, frame_fingerprint)


def _validate(mart: str, frame: object) -> GateResult:
    wait_for_warm_up()  # an import that failed there is tried again just below
    from quality.gate import validate_mart  # Great Expectations (~3 s to import): only when a gate validates

    return validate_mart(mart, frame)  # type: ignore[arg-type]


def build_gate(mart: str) -> dg.AssetChecksDefinition:
    """A blocking check: when the suite fails, the publish steps downstream do not run."""
    spec = marts().get(mart)
    published = spec is not None and spec.published

    @dg.asset_check(
        asset=dg.AssetKey(["marts", mart]),
        name="great_expectations_gate",
        blocking=True,
        description=f"Great Expectations suite quality/suites/{mart}.py; blocks publication on failure.",
        # After the other steps ready with it (the Python marts): meanwhile its mart is validated in
        # the background, when a validation process runs (quality.background).
        op_tags={PRIORITY_TAG: GATE_PRIORITY},
    )
    def gate(context: dg.AssetCheckExecutionContext, observatoire: ObservatoireResource) -> dg.AssetCheckResult:
        settings = observatoire.settings()
        # Kept for its gold step, which reads it next.
        frame = read_mart(settings, mart, keep_for_publication=published, reader=observatoire.build_db_reader)
        rules, frame_fingerprint = rules_digest(), fingerprint(frame)
        result = reusable_verdict(mart, settings.quality, frame_fingerprint, rules)
        reused = result is not None
        running = background.running()
        if result is None and running is not None:
            result = running.take(mart, frame_fingerprint)  # None unless reached on exactly these rows
        in_background = result is not None and not reused
        if result is None:
            result = _validate(mart, frame)
        latest = record(result, settings.quality)
        record_basis(result, settings.quality, rules)
        log_gate_verdict(settings, result.to_json())  # the health use case charts verdicts over time
        for failure in result.failed:
            context.log.error(f"gate {mart}: {failure}")
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "evaluated_expectations": result.statistics["evaluated_expectations"],
                "unsuccessful_expectations": result.statistics["unsuccessful_expectations"],
                "rows": result.rows,
                "fingerprint": result.fingerprint,
                "reused": reused,
                "validated_in_background": in_background,
                "failed": dg.MetadataValue.json(result.failed),
                "result_file": dg.MetadataValue.path(str(latest)),
            },
        )

    return gate
