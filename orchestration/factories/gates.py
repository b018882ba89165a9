"""The blocking Great Expectations gate of a mart: an asset check that stops its publication.

A mart rebuilt with exactly the rows its last verdict was reached on, under the same rules, is
not validated again: the verdict is recorded again (dated now, in the history and the gate log,
as a validation would) and reported with ``reused: true``. Publication still requires a passed
verdict for the exact fingerprint of the rows it publishes.
"""

import functools
from importlib import metadata

import dagster as dg

from orchestration.core.catalog import marts
from orchestration.core.digests import files_digest
from orchestration.core.governance import log_gate_verdict
from orchestration.core.publishing import read_mart
from orchestration.core.settings import REFERENCE_DIR, REPO_ROOT
from orchestration.core.verdicts import GateResult, fingerprint, record, record_basis, reusable_verdict
from orchestration.factories.resources import ObservatoireResource

# Everything a verdict can depend on besides the rows: the suites and the gate, the catalog
# (declared columns, parameters, feeds), mart shapes, reference files (quartier codes...).
RULE_SOURCES = ("quality", "orchestration/core/catalog", "orchestration/core/mart_shapes", "orchestration/core/geography.py")


@functools.cache
def rules_digest() -> str:
    """Digest of every file a gate's verdict may depend on, and of the Great Expectations version."""
    roots = [REPO_ROOT / source for source in RULE_SOURCES] + [REFERENCE_DIR]
    return files_digest(roots, REPO_ROOT, [metadata.version("great_expectations")])


def _validate(mart: str, frame: object) -> GateResult:
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
    )
    def gate(context: dg.AssetCheckExecutionContext, observatoire: ObservatoireResource) -> dg.AssetCheckResult:
        settings = observatoire.settings()
        frame = read_mart(settings, mart, keep_for_publication=published)  # its gold step reads it next
        rules = rules_digest()
        result = reusable_verdict(mart, settings.quality, fingerprint(frame), rules)
        reused = result is not None
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
                "failed": dg.MetadataValue.json(result.failed),
                "result_file": dg.MetadataValue.path(str(latest)),
            },
        )

    return gate
