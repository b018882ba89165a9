"""The blocking Great Expectations gate of a mart: an asset check that stops its publication."""

import dagster as dg

from orchestration.core.governance import log_gate_verdict
from orchestration.core.publishing import read_mart
from orchestration.core.verdicts import record
from orchestration.factories.resources import ObservatoireResource
from quality.gate import validate_mart


def build_gate(mart: str) -> dg.AssetChecksDefinition:
    """A blocking check: when the suite fails, the publish steps downstream do not run."""

    @dg.asset_check(
        asset=dg.AssetKey(["marts", mart]),
        name="great_expectations_gate",
        blocking=True,
        description=f"Great Expectations suite quality/suites/{mart}.py; blocks publication on failure.",
    )
    def gate(context: dg.AssetCheckExecutionContext, observatoire: ObservatoireResource) -> dg.AssetCheckResult:
        settings = observatoire.settings()
        result = validate_mart(mart, read_mart(settings, mart))
        latest = record(result, settings.quality)
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
                "failed": dg.MetadataValue.json(result.failed),
                "result_file": dg.MetadataValue.path(str(latest)),
            },
        )

    return gate
