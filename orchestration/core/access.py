"""Who may see what. Roles come from the use-case declarations only; one module for app and API.

A role is a name that a use case lists in ``allowed_roles`` (``analyste``, ``services``...), plus
the two operator roles that no use case owns: ``exploitation`` (runs the observatory) and ``dpo``
(the data protection officer, who reads the audit trail and the register). A page or dataset a
principal may not see is neither listed nor served: callers list with :func:`readable_use_cases`
/ :func:`readable_marts` and guard with :func:`require_mart` / :func:`require_use_case`.

Open datasets are public and need no role; this module is about the restricted analyst side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from orchestration.core import catalog
from orchestration.core.catalog.models import MartSpec, UseCase

EXPLOITATION = "exploitation"
DPO = "dpo"
# Roles that exist without a use case declaring them (see the module docstring).
OPERATOR_ROLES: tuple[str, ...] = (EXPLOITATION, DPO)

PrincipalKind = Literal["user", "token"]


class Forbidden(PermissionError):
    """The principal's roles do not allow this read (HTTP 403; the page is not listed)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated reader: an OIDC user or a machine client's API token."""

    subject: str  # OIDC ``sub`` or the token id; never a password or a token secret
    roles: frozenset[str]
    kind: PrincipalKind = "user"
    name: str = ""  # display name, for the page header only (not needed by any decision)


def declared_roles() -> frozenset[str]:
    """Every role the declarations know: the union of ``allowed_roles`` and the operator roles."""
    roles = {role for uc in catalog.use_cases().values() for role in uc.allowed_roles}
    return frozenset(roles | set(OPERATOR_ROLES))


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named ``path``, else the value at the dotted ``path`` through nested objects."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def roles_from_claims(claims: Mapping[str, Any], claim: str = "roles") -> frozenset[str]:
    """The declared roles carried by an identity token's ``claim``; unknown names are dropped.

    Providers send roles as a JSON list (Keycloak, Azure AD) or a space/comma separated string.
    ``claim`` may be a dotted path into nested claims (Keycloak: ``realm_access.roles``); a claim
    whose own name has dots (``https://ville.fr/roles``) is found first under that exact name.
    A role the declarations do not know grants nothing, so a typo in the provider fails closed.
    """
    value = _claim(claims, claim)
    if value is None:
        return frozenset()
    names: Iterable[str]
    if isinstance(value, str):
        names = value.replace(",", " ").split()
    elif isinstance(value, (list, tuple, set, frozenset)):
        names = (str(v).strip() for v in value)
    else:
        return frozenset()
    return frozenset(names) & declared_roles()


def unknown_roles(roles: Iterable[str]) -> list[str]:
    """The names in ``roles`` that no declaration knows (to refuse them when a token is created)."""
    known = declared_roles()
    return sorted({r for r in roles if r not in known})


def may_read_use_case(roles: Iterable[str], use_case: str) -> bool:
    """True when one of ``roles`` is allowed on ``use_case`` (unknown use case: False)."""
    uc = catalog.use_cases().get(use_case)
    return uc is not None and bool(set(roles) & set(uc.allowed_roles))


def readable_use_cases(roles: Iterable[str]) -> list[UseCase]:
    """The use cases ``roles`` may see, in declaration order."""
    granted = set(roles)
    return [uc for uc in catalog.use_cases().values() if granted & set(uc.allowed_roles)]


def use_case_of_mart(mart: str) -> UseCase | None:
    """The use case that declares ``mart`` (mart names are unique across use cases)."""
    for uc in catalog.use_cases().values():
        if any(m.name == mart for m in uc.marts):
            return uc
    return None


def may_read_mart(roles: Iterable[str], mart: str) -> bool:
    """True when ``roles`` may read ``mart`` through its use case (unknown mart: False)."""
    uc = use_case_of_mart(mart)
    return uc is not None and may_read_use_case(roles, uc.name)


def readable_marts(roles: Iterable[str]) -> list[MartSpec]:
    """Every mart ``roles`` may read, in declaration order."""
    return [mart for uc in readable_use_cases(roles) for mart in uc.marts]


def may_read_audit(roles: Iterable[str]) -> bool:
    """Only the data protection officer reads the audit trail."""
    return DPO in set(roles)


def require_use_case(principal: Principal, use_case: str) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may see ``use_case``."""
    if not may_read_use_case(principal.roles, use_case):
        raise Forbidden(f"le rôle {sorted(principal.roles)} ne donne pas accès au cas d'usage « {use_case} »")


def require_mart(principal: Principal, mart: str) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may read ``mart``."""
    if not may_read_mart(principal.roles, mart):
        raise Forbidden(f"le rôle {sorted(principal.roles)} ne donne pas accès au jeu « {mart} »")
