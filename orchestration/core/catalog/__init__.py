"""Partner-feed and use-case declarations, loaded from the YAML files beside this module.

These declarations are the single source of truth: ingestion, contracts, the simulator, freshness,
retention and the open-data catalogue read them; nothing restates them by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

CATALOG_DIR = Path(__file__).resolve().parent
Privacy = Literal["keep", "pseudonymise", "generalise", "redact", "drop"]
PRIVACY_TREATMENTS: tuple[str, ...] = ("keep", "pseudonymise", "generalise", "redact", "drop")


class CatalogError(ValueError):
    """A declaration is inconsistent (unknown treatment, missing field...)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column as the partner sends it and as bronze stores it."""

    source: str  # the partner's header, verbatim
    name: str  # our column name in bronze
    type: Literal["string", "datetime", "float", "int", "date", "bool"]
    privacy: Privacy
    description: str
    nullable: bool = False
    restricted: bool = False  # allowed in bronze only (e.g. exact positions)
    pseudonym_scope: str | None = None
    codes: dict[str, str] | None = None  # partner code -> label
    pattern: str | None = None  # regex every non-empty value matches
    min: float | None = None
    max: float | None = None
    datetime_format: str | None = None  # overrides the feed's format.datetime_format
    # Declared normalisations of the raw text, applied before the contract (see parsing):
    remove_characters: tuple[str, ...] = ()  # removed anywhere in the value (digit-group spaces)
    zero_pad: int | None = None  # an all-digit value shorter than this is left-padded with zeros

    def __post_init__(self) -> None:
        object.__setattr__(self, "remove_characters", tuple(self.remove_characters or ()))


@dataclass(frozen=True)
class FeedSpec:
    """A partner feed declaration (see ``catalog/feeds/*.yaml``)."""

    name: str
    title: str
    description: str
    owner: str
    legal_basis: str
    format: dict[str, Any]
    delivery: dict[str, Any]
    natural_key: tuple[str, ...]
    partition_by: str
    retention: dict[str, int]
    columns: tuple[ColumnSpec, ...]
    contact_role: str = ""
    event_time: str | None = None  # column whose local day is the partition (default: first datetime)
    checks: tuple[str, ...] = ()  # named row checks needing code, e.g. inside_city
    # Rows whose columns are well-formed but do not match these regexes (column -> regex, all
    # must match) lie outside the city: dropped before validation, counted as out_of_perimeter.
    perimeter: dict[str, str] | None = None
    # Columns (year, month, day) that date a row whose date is split in parts (BAAC an/mois/jour):
    # the row is partitioned by that day rather than by the day its delivery covers.
    event_date_parts: dict[str, str] | None = None

    @property
    def event_column(self) -> ColumnSpec | None:
        """The datetime/date column that dates a row (its local day becomes the partition).

        ``None`` for feeds whose rows carry no date of their own (BAAC ``lieux``, ``usagers``...):
        their partition is the day the delivery covers, read from the file name.
        """
        if self.event_time:
            return self.column(self.event_time)
        for col in self.columns:
            if col.type in ("datetime", "date"):
                return col
        return None

    @property
    def kept_columns(self) -> tuple[ColumnSpec, ...]:
        """Columns that reach bronze (every treatment but ``drop``)."""
        return tuple(c for c in self.columns if c.privacy != "drop")

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def bronze_name(self, column: ColumnSpec) -> list[str]:
        """Bronze columns a kept column yields: itself, plus ``<name>_libelle`` for coded columns."""
        return [column.name, f"{column.name}_libelle"] if column.codes else [column.name]

    @property
    def source_headers(self) -> tuple[str, ...]:
        return tuple(c.source for c in self.columns)

    @property
    def file_regex(self) -> re.Pattern[str]:
        """The canonical file name pattern (ASCII digits only: full-width digits are refused)."""
        return re.compile(self.delivery["file_pattern"], re.ASCII)

    @property
    def file_regexes(self) -> dict[re.Pattern[str], str]:
        """Every accepted file name pattern -> the provenance its files have.

        ``delivery.file_pattern`` and the variants in ``delivery.file_patterns`` (official names
        vary by year) are the partner's own files (``partenaire``); ``delivery.simulated_file_pattern``
        names the simulator's files (``simule``), so simulated data never passes for real data.
        """
        found = {p: "partenaire" for p in [self.delivery["file_pattern"], *self.delivery.get("file_patterns", ())]}
        if simulated := self.delivery.get("simulated_file_pattern"):
            found[simulated] = "simule"
        return {re.compile(p, re.ASCII): v for p, v in found.items()}

    def _match(self, file_name: str) -> tuple[re.Match[str], str] | None:
        for regex, provenance in self.file_regexes.items():
            if match := regex.fullmatch(file_name):
                return match, provenance
        return None

    def provenance(self, file_name: str) -> str | None:
        """``partenaire`` or ``simule`` for a file name this feed accepts, else ``None``."""
        found = self._match(file_name)
        return found[1] if found else None

    def delivery_date(self, file_name: str) -> date | None:
        """The day a delivery covers, read from its file name; ``None`` if the name is not ours."""
        found = self._match(file_name)
        if not found:
            return None
        try:
            return datetime.strptime(found[0]["date"], self.delivery["date_format"]).date()
        except ValueError:
            return None

    def file_name(self, day: date) -> str:
        """The file name the partner uses for ``day`` (inverse of :meth:`delivery_date`)."""
        stamp = day.strftime(self.delivery["date_format"])
        return re.sub(r"\(\?P<date>[^)]*\)", stamp, self.delivery["file_pattern"]).replace("\\", "")


@dataclass(frozen=True)
class OpenDataset:
    dataset: str
    title: str
    description: str
    from_mart: str
    spatial_level: Literal["quartier", "arrondissement"]
    temporal_level: Literal["day", "month"]
    count_column: str
    output_count_column: str
    category_column: str
    total_label: str
    licence: dict[str, str]


PUBLICATION_LEVELS = ("internal", "services", "open")


@dataclass(frozen=True)
class MartSpec:
    """One mart of a use case: how it is built and how far it is published.

    ``built_by`` is ``dbt`` (a model under ``dbt_project/models/marts/<use_case>/``) or ``python``
    (a Dagster asset running ``compute`` on the dbt models named in ``inputs``). Every mart has a
    Great Expectations suite ``quality/suites/<name>.py`` that gates it; ``internal`` marts are
    gated but never leave the build database, ``services`` and ``open`` ones go to gold.
    """

    name: str
    publication: Literal["internal", "services", "open"]
    source_feeds: tuple[str, ...]
    use_case: str
    built_by: Literal["dbt", "python"] = "dbt"
    compute: str | None = None  # "module:function" for python marts
    inputs: tuple[str, ...] = ()  # dbt models a python mart reads
    date_column: str | None = None  # the column the publication's data window is read from
    description: str = ""
    # How the observatory app shows it: {kind: table|bar|line|map_quartier, x, y, color, value, title, filter}.
    display: tuple[dict[str, Any], ...] = ()

    @property
    def published(self) -> bool:
        return self.publication != "internal"


@dataclass(frozen=True)
class UseCase:
    """A use-case declaration (see ``catalog/use_cases/*.yaml``)."""

    name: str
    title: str
    purpose: str
    owner: str
    decision_questions: tuple[str, ...]
    allowed_roles: tuple[str, ...]
    retention_days: int
    marts: tuple[MartSpec, ...]
    open_data: tuple[OpenDataset, ...] = field(default_factory=tuple)
    # Evidence for the analyst: the model, its fit-quality mart and what it cannot say.
    model_card: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)  # declared rules the analytics read


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _feed_from_dict(data: dict[str, Any]) -> FeedSpec:
    columns = []
    for raw in data["columns"]:
        col = ColumnSpec(**raw)
        if col.privacy not in PRIVACY_TREATMENTS:
            raise CatalogError(f"{data['name']}.{col.name}: unknown privacy treatment {col.privacy!r}")
        if col.privacy == "pseudonymise" and not col.pseudonym_scope:
            raise CatalogError(f"{data['name']}.{col.name}: pseudonymised columns need a scope")
        columns.append(col)
    names = [c.name for c in columns]
    for key in data["natural_key"]:
        if key not in names:
            raise CatalogError(f"{data['name']}: natural key {key!r} is not a column")
    partition = data["partition_by"]
    if partition in names:
        clash = next(c for c in columns if c.name == partition)
        if clash.type != "date" or data.get("event_time") != partition:
            raise CatalogError(
                f"{data['name']}: column {partition!r} clashes with the partition column; rename it, "
                f"or make it the feed's date column (type date and event_time: {partition})"
            )
    if data.get("event_time") and data["event_time"] not in names:
        raise CatalogError(f"{data['name']}: event_time {data['event_time']!r} is not a column")
    if data["format"].get("type", "csv") not in ("csv", "jsonl", "json"):
        raise CatalogError(f"{data['name']}: unsupported format.type {data['format'].get('type')!r}")
    return FeedSpec(
        name=data["name"],
        title=data["title"],
        description=data["description"].strip(),
        owner=data["owner"],
        contact_role=data.get("contact_role", ""),
        legal_basis=data["legal_basis"].strip(),
        format=data["format"],
        delivery=data["delivery"],
        natural_key=tuple(data["natural_key"]),
        partition_by=data["partition_by"],
        retention=data["retention"],
        columns=tuple(columns),
        event_time=data.get("event_time"),
        checks=tuple(data.get("checks", ())),
        perimeter=data.get("perimeter"),
        event_date_parts=data.get("event_date_parts"),
    )


@cache
def feeds() -> dict[str, FeedSpec]:
    """All declared partner feeds, by name."""
    found = {}
    for path in sorted((CATALOG_DIR / "feeds").glob("*.yaml")):
        spec = _feed_from_dict(_load_yaml(path))
        if spec.name != path.stem:
            raise CatalogError(f"{path.name} declares feed {spec.name!r}: file and name must match")
        found[spec.name] = spec
    return found


def feed(name: str) -> FeedSpec:
    """One partner feed declaration."""
    return feeds()[name]


def _mart_from_dict(use_case: str, data: dict[str, Any]) -> MartSpec:
    if data["publication"] not in PUBLICATION_LEVELS:
        raise CatalogError(f"{use_case}.{data['name']}: publication must be one of {PUBLICATION_LEVELS}")
    built_by = data.get("built_by", "dbt")
    if built_by == "python" and not (data.get("compute") and data.get("inputs")):
        raise CatalogError(f"{use_case}.{data['name']}: a python mart needs `compute` and `inputs`")
    if built_by not in ("dbt", "python"):
        raise CatalogError(f"{use_case}.{data['name']}: built_by must be dbt or python")
    return MartSpec(
        name=data["name"],
        publication=data["publication"],
        source_feeds=tuple(data.get("source_feeds", ())),
        use_case=use_case,
        built_by=built_by,
        compute=data.get("compute"),
        inputs=tuple(data.get("inputs", ())),
        date_column=data.get("date_column"),
        description=" ".join(str(data.get("description", "")).split()),
        display=tuple(data.get("display", ())),
    )


@cache
def use_cases() -> dict[str, UseCase]:
    """All declared use cases, by name."""
    found = {}
    for path in sorted((CATALOG_DIR / "use_cases").glob("*.yaml")):
        data = _load_yaml(path)
        found[data["name"]] = UseCase(
            name=data["name"],
            title=data["title"],
            purpose=data["purpose"].strip(),
            owner=data["owner"],
            decision_questions=tuple(data["decision_questions"]),
            allowed_roles=tuple(data["allowed_roles"]),
            retention_days=int(data["retention_days"]),
            marts=tuple(_mart_from_dict(data["name"], m) for m in data["marts"]),
            model_card=data.get("model_card", {}),
            parameters=data.get("parameters", {}),
            open_data=tuple(OpenDataset(**{**d, "description": d["description"].strip()}) for d in data.get("open_data", [])),
        )
    return found


def marts() -> dict[str, MartSpec]:
    """Every declared mart of every use case, by name (names are unique across use cases)."""
    found: dict[str, MartSpec] = {}
    for uc in use_cases().values():
        for mart in uc.marts:
            if mart.name in found:
                raise CatalogError(f"mart {mart.name!r} is declared by {found[mart.name].use_case} and {uc.name}")
            found[mart.name] = mart
    return found


def open_datasets() -> dict[str, OpenDataset]:
    """Every open dataset declared by any use case, by dataset id."""
    return {d.dataset: d for uc in use_cases().values() for d in uc.open_data}
