"""A gate is not validated again on the rows and rules of its last verdict; anything else revalidates."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.core.verdicts import GateResult, load_latest, record, record_basis, reusable_verdict
from orchestration.factories.gates import rules_digest


def _verdict(success: bool = True, fingerprint: str = "3:abc") -> GateResult:
    return GateResult(
        mart="m",
        suite="m",
        success=success,
        evaluated_at="2026-01-01T00:00:00+00:00",
        statistics={"evaluated_expectations": 3, "successful_expectations": 3, "unsuccessful_expectations": 0},
        rows=3,
        fingerprint=fingerprint,
    )


def test_same_rows_same_rules_reuse_the_verdict_dated_now(tmp_path: Path) -> None:
    verdict = _verdict()
    record(verdict, tmp_path)
    record_basis(verdict, tmp_path, "rules-1")
    again = reusable_verdict("m", tmp_path, "3:abc", "rules-1")
    assert again is not None and again.success and again.fingerprint == "3:abc"
    assert again.statistics == verdict.statistics and again.evaluated_at != verdict.evaluated_at


def test_a_failed_verdict_is_reused_as_a_failure(tmp_path: Path) -> None:
    verdict = _verdict(success=False)
    record(verdict, tmp_path)
    record_basis(verdict, tmp_path, "rules-1")
    again = reusable_verdict("m", tmp_path, "3:abc", "rules-1")
    assert again is not None and not again.success


def test_other_rows_other_rules_or_no_basis_revalidate(tmp_path: Path) -> None:
    verdict = _verdict()
    record(verdict, tmp_path)
    assert reusable_verdict("m", tmp_path, "3:abc", "rules-1") is None  # recorded without a basis (older code)
    record_basis(verdict, tmp_path, "rules-1")
    assert reusable_verdict("m", tmp_path, "4:def", "rules-1") is None  # the mart changed
    assert reusable_verdict("m", tmp_path, "3:abc", "rules-2") is None  # a suite, declaration or reference changed
    record(GateResult(**{**verdict.to_json(), "evaluated_at": "2026-01-02T00:00:00+00:00"}), tmp_path)
    assert reusable_verdict("m", tmp_path, "3:abc", "rules-1") is None  # latest.json written by another gate since
    assert reusable_verdict("other", tmp_path, "3:abc", "rules-1") is None
    assert json.loads((tmp_path / "m" / "latest.json").read_text())["mart"] == "m"
    assert load_latest("m", tmp_path) is not None


def test_the_rules_digest_is_stable_within_a_checkout() -> None:
    assert rules_digest() == rules_digest() and len(rules_digest()) == 16
