"""The query language of data.gouv.fr's tabular API, parsed strictly and run with bound values.

``col__exact=v``, ``col__differs=v``, ``col__in=a,b``, ``col__notin=a,b``, ``col__less=v`` (<=),
``col__greater=v`` (>=), ``col__strictly_less=v``, ``col__strictly_greater=v``,
``col__contains=v``, ``col__notcontains=v``, ``col__isnull``, ``col__isnotnull``,
``col__sort=asc|desc``, ``columns=a,b``, ``page``, ``page_size``, and ``version``.

Column names must be declared columns of the dataset (an allow-list); values are converted to
the column's declared type and passed to the engine as typed values, never as text to
interpret (the engine, ``engine.py``, runs Arrow compute kernels: there is no SQL to inject
into). Anything else (unknown parameter, column or operator, a value that is not of the
column's type or that carries SQL or path syntax) is refused with :class:`BadQuery` before any
query runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from apps.api.resources import Column

# operator -> how many values it takes: 0, 1 or a comma-separated "list"
OPERATORS: dict[str, int | str] = {
    "exact": 1,
    "differs": 1,
    "in": "list",
    "notin": "list",
    "less": 1,  # <=, as data.gouv.fr's tabular API
    "greater": 1,  # >=
    "strictly_less": 1,
    "strictly_greater": 1,
    "contains": 1,  # literal substring (not a pattern)
    "notcontains": 1,
    "isnull": 0,
    "isnotnull": 0,
}
TEXT_ONLY = {"contains", "notcontains"}
CONTROL = {"columns", "page", "page_size", "version"}
MAX_IN_VALUES = 200
MAX_VALUE_LENGTH = 200
# Sequences no legitimate value of these aggregates holds (labels, codes, dates, numbers) and
# every SQL or path injection needs: refused outright rather than quietly matched as text.
_SUSPICIOUS = re.compile(r";|--|/\*|\*/|\.\./|\.\.\\|[\x00-\x1f\x7f]")


class BadQuery(ValueError):
    """A request the API refuses (HTTP 400): ``code`` is for machines, the message for people."""

    def __init__(self, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "parameter": self.parameter}}


@dataclass(frozen=True)
class Condition:
    column: str
    operator: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    """A validated request: filters, sort, projection, page."""

    filters: tuple[Condition, ...] = ()
    sort: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()
    page: int = 1
    page_size: int = 20
    page_size_requested: int | None = None  # set when the request asked for more than the maximum
    version: str | None = None
    raw: dict[str, str] = field(default_factory=dict)  # the accepted parameters, for the audit trail

    @property
    def clamped(self) -> bool:
        return self.page_size_requested is not None


def _convert(column: Column, raw: str, parameter: str) -> Any:
    """``raw`` as a value of ``column``'s declared type."""
    if len(raw) > MAX_VALUE_LENGTH:
        raise BadQuery("value_too_long", f"valeur trop longue pour {column.name} (plus de {MAX_VALUE_LENGTH} caractères)", parameter)
    if _SUSPICIOUS.search(raw):
        raise BadQuery(
            "forbidden_characters",
            f"valeur refusée pour {column.name} : « ; », « -- », « /* », « ../ » et les caractères de contrôle ne sont pas admis",
            parameter,
        )
    try:
        if column.kind == "int":
            if not re.fullmatch(r"-?\d{1,18}", raw.strip()):
                raise ValueError(raw)
            return int(raw)
        if column.kind == "float":
            value = float(raw.replace(",", "."))
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(raw)
            return value
        if column.kind == "date":
            return date.fromisoformat(raw.strip())
        if column.kind == "datetime":
            return datetime.fromisoformat(raw.strip())
        if column.kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false", "1", "0", "vrai", "faux"):
                raise ValueError(raw)
            return lowered in ("true", "1", "vrai")
    except ValueError:
        expected = {
            "int": "un entier",
            "float": "un nombre",
            "date": "une date AAAA-MM-JJ",
            "datetime": "une date-heure ISO 8601",
            "bool": "true ou false",
        }
        raise BadQuery("invalid_value", f"valeur invalide pour {column.name} : {expected[column.kind]} est attendu", parameter) from None
    return raw


def _positive_int(raw: str, parameter: str) -> int:
    if not re.fullmatch(r"\d{1,9}", raw.strip()) or int(raw) < 1:
        raise BadQuery("invalid_value", f"{parameter} doit être un entier positif", parameter)
    return int(raw)


def parse(params: Iterable[tuple[str, str]], columns: Iterable[Column], page_size_default: int, page_size_max: int) -> Query:
    """Validate the query string against the dataset's declared ``columns``."""
    by_name = {c.name: c for c in columns}
    filters: list[Condition] = []
    sort: list[tuple[str, str]] = []
    selected: tuple[str, ...] = ()
    page, page_size, requested, version = 1, page_size_default, None, None
    raw: dict[str, str] = {}
    seen: set[str] = set()
    for key, value in params:
        if key in seen:
            raise BadQuery("repeated_parameter", f"paramètre répété : {key}", key)
        seen.add(key)
        raw[key] = value
        if key in CONTROL:
            if key == "columns":
                names = tuple(n.strip() for n in value.split(",") if n.strip())
                unknown = [n for n in names if n not in by_name]
                if not names or unknown:
                    raise BadQuery(
                        "unknown_column", f"colonne inconnue : {', '.join(unknown) or '(vide)'} ; colonnes : {', '.join(by_name)}", key
                    )
                selected = names
            elif key == "page":
                page = _positive_int(value, key)
            elif key == "page_size":
                page_size = _positive_int(value, key)
                if page_size > page_size_max:
                    requested, page_size = page_size, page_size_max
            else:
                if not re.fullmatch(r"[0-9A-Za-z-]{1,20}", value):
                    raise BadQuery(
                        "invalid_version", "version invalide : un numéro de version Delta ou un nom de publication (ex. 2026-03)", key
                    )
                version = value
            continue
        name, sep, operator = key.rpartition("__")
        if not sep:
            raise BadQuery(
                "unknown_parameter", f"paramètre inconnu : {key} (attendu colonne__opérateur, columns, page, page_size, version)", key
            )
        column = by_name.get(name)
        if column is None:
            raise BadQuery("unknown_column", f"colonne inconnue : {name} ; colonnes : {', '.join(by_name)}", key)
        if operator == "sort":
            direction = value.strip().lower()
            if direction not in ("asc", "desc"):
                raise BadQuery("invalid_sort", "tri : asc ou desc", key)
            sort.append((name, direction))
            continue
        if operator not in OPERATORS:
            raise BadQuery("unknown_operator", f"opérateur inconnu : {operator} ; opérateurs : {', '.join([*OPERATORS, 'sort'])}", key)
        if operator in TEXT_ONLY and column.kind != "string":
            raise BadQuery("invalid_operator", f"{operator} ne s'applique qu'aux colonnes de texte ({name} est de type {column.kind})", key)
        arity = OPERATORS[operator]
        if arity == 0:
            values: tuple[Any, ...] = ()
        elif arity == "list":
            parts = value.split(",")
            if not value or len(parts) > MAX_IN_VALUES:
                raise BadQuery("invalid_value", f"{operator} attend de 1 à {MAX_IN_VALUES} valeurs séparées par des virgules", key)
            values = tuple(_convert(column, p, key) for p in parts)
        else:
            values = (_convert(column, value, key),)
        filters.append(Condition(name, operator, values))
    return Query(tuple(filters), tuple(sort), selected, page, page_size, requested, version, raw)
