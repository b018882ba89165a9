"""Roles come from the declarations only: listing and guarding read the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.core import access, audit, catalog


def test_declared_roles_are_the_use_cases_roles_plus_the_operators() -> None:
    declared = {role for uc in catalog.use_cases().values() for role in uc.allowed_roles}
    assert access.declared_roles() == frozenset(declared | {"exploitation", "dpo"})


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (["analyste", "dpo"], {"analyste", "dpo"}),
        ("analyste services", {"analyste", "services"}),
        ("analyste,inconnu", {"analyste"}),
        (42, set()),
        (None, set()),
    ],
)
def test_roles_from_claims_keep_only_declared_roles(claim: object, expected: set[str]) -> None:
    claims = {} if claim is None else {"roles": claim}
    assert access.roles_from_claims(claims) == frozenset(expected)


@pytest.mark.parametrize(
    ("claims", "path", "expected"),
    [
        ({"realm_access": {"roles": ["analyste", "offline_access"]}}, "realm_access.roles", {"analyste"}),  # Keycloak
        ({"resource_access": {"observatoire": {"roles": "dpo services"}}}, "resource_access.observatoire.roles", {"dpo", "services"}),
        ({"https://ville.fr/roles": ["services"]}, "https://ville.fr/roles", {"services"}),  # a dotted claim name
        ({"realm_access": ["analyste"]}, "realm_access.roles", set()),  # not an object: nothing
        ({"realm_access": {}}, "realm_access.roles", set()),
        ({"roles": ["analyste"]}, "realm_access.roles", set()),  # another claim grants nothing
    ],
)
def test_roles_claim_may_be_a_dotted_path(claims: dict, path: str, expected: set[str]) -> None:
    assert access.roles_from_claims(claims, path) == frozenset(expected)


def test_dotted_roles_claim_from_the_environment_reaches_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.core.settings import load_identity

    monkeypatch.setenv("OBSERVATOIRE_OIDC_ROLES_CLAIM", "realm_access.roles")
    claim = load_identity().roles_claim
    assert access.roles_from_claims({"realm_access": {"roles": ["exploitation"]}}, claim) == {"exploitation"}


def test_every_use_case_is_readable_by_exactly_its_declared_roles() -> None:
    for uc in catalog.use_cases().values():
        for role in access.declared_roles():
            assert access.may_read_use_case({role}, uc.name) == (role in uc.allowed_roles)
            for mart in uc.marts:
                assert access.may_read_mart({role}, mart.name) == (role in uc.allowed_roles)


def test_listing_and_guarding_agree() -> None:
    exploitant = access.Principal("u", frozenset({"exploitation"}))
    listed = {m.name for m in access.readable_marts(exploitant.roles)}
    for mart in catalog.marts():
        if mart in listed:
            access.require_mart(exploitant, mart)
        else:
            with pytest.raises(access.Forbidden):
                access.require_mart(exploitant, mart)
    assert not access.may_read_mart({"analyste"}, "no_such_mart")
    assert access.may_read_audit({"dpo"}) and not access.may_read_audit({"analyste", "exploitation"})


def test_audit_events_are_appended_in_one_commit_each_batch(tmp_path: Path) -> None:
    path = tmp_path / "audit"
    assert audit.read(path).num_rows == 0
    who = access.Principal("tok_1", frozenset({"services"}), kind="token")
    events = [audit.AuditEvent(who, "api", "incidents_quartier_jour", n, {"code__exact": "1320101"}) for n in (3, 0)]
    assert audit.append(path, events) == 2
    rows = audit.read(path).to_pylist()
    assert [r["rows_returned"] for r in rows] == [3, 0]
    assert rows[0]["principal_kind"] == "token" and rows[0]["filters"] == '{"code__exact": "1320101"}'


def test_prod_refuses_to_start_without_an_identity_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.core.settings import ConfigurationError, load_identity

    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.delenv("OBSERVATOIRE_OIDC_ISSUER", raising=False)
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_OIDC_ISSUER"):
        load_identity()
    monkeypatch.setenv("OBSERVATOIRE_OIDC_ISSUER", "https://sso.example.fr/realms/ville")
    monkeypatch.setenv("OBSERVATOIRE_OIDC_CLIENT_ID", "observatoire")
    with pytest.raises(ConfigurationError, match="CLIENT_SECRET"):
        load_identity()
    monkeypatch.setenv("OBSERVATOIRE_OIDC_CLIENT_SECRET", "s3cr3t-from-the-vault")
    assert load_identity().configured
