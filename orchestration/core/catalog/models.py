"""Typed declarations: one pydantic model per kind of YAML block under ``catalog/``.

Every model refuses unknown keys (``extra="forbid"``) and is immutable (``frozen=True``), so a typo
in a declaration fails at load time, naming the file and the key, instead of silently becoming a
default somewhere downstream. Rules that tie several fields together (a natural key must be a
column, a python mart needs ``compute`` and ``inputs``...) are validators here, next to the fields.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from orchestration.core.catalog.mart_schema import MartColumn, check_shape
from orchestration.core.catalog.parameters import Parameters, parameters_model

Privacy = Literal["keep", "pseudonymise", "generalise", "redact", "drop"]
PRIVACY_TREATMENTS: tuple[str, ...] = ("keep", "pseudonymise", "generalise", "redact", "drop")
PUBLICATION_LEVELS = ("internal", "services", "open")


class Declaration(BaseModel):
    """Base of every catalog model: unknown keys refused, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# What a column holds, for the register of processing. The refused categories can never be
# declared: the observatory does not collect them (see core/transparency.yaml, refusals).
COLUMN_CATEGORIES: tuple[str, ...] = (
    "identifiant_pseudonymise", "identifiant_technique", "localisation", "horodatage", "nature_fait",
    "texte_libre", "caracteristique_personne", "mesure", "reference", "autre",
)
REFUSED_COLUMN_CATEGORIES: dict[str, str] = {
    "biometrique": "reconnaissance_faciale",
    "auteur_reseau_social": "auteurs_reseaux_sociaux",
    "identifiant_vehicule": "suivi_inter_cameras",
    "trajectoire": "suivi_inter_cameras",
}


class ColumnSpec(Declaration):
    """One column as the partner sends it and as bronze stores it."""

    source: str = Field(description="the partner's header / JSON key, verbatim")
    name: str = Field(description="our column name in bronze (snake_case)")
    type: Literal["string", "datetime", "float", "int", "date", "bool"]
    privacy: Privacy
    description: str
    nullable: bool = False
    restricted: bool = Field(False, description="allowed in bronze only (e.g. exact positions)")
    pseudonym_scope: str | None = None
    codes: dict[str, str] | None = Field(None, description="partner code -> label")
    pattern: str | None = Field(None, description="regex every non-empty value matches")
    # int | float: the declared bound is kept as written (an int stays an int).
    min: int | float | None = None
    max: int | float | None = None
    datetime_format: str | None = Field(None, description="overrides the feed's format.datetime_format")
    category: str | None = Field(None, description="data category (COLUMN_CATEGORIES); inferred by the register when absent")
    # Declared normalisations of the raw text, applied before the contract (see parsing):
    remove_characters: tuple[str, ...] = Field((), description="removed anywhere in the value (digit-group spaces)")
    zero_pad: int | None = Field(None, ge=1, description="an all-digit value shorter than this is left-padded with zeros")

    @field_validator("category")
    @classmethod
    def _category_is_allowed(cls, value: str | None) -> str | None:
        if value in REFUSED_COLUMN_CATEGORIES:
            raise ValueError(f"category {value!r} is refused by the observatory (refusal {REFUSED_COLUMN_CATEGORIES[value]!r})")
        if value is not None and value not in COLUMN_CATEGORIES:
            raise ValueError(f"unknown category {value!r} (one of {', '.join(COLUMN_CATEGORIES)})")
        return value

    @model_validator(mode="after")
    def _pseudonymised_needs_scope(self) -> ColumnSpec:
        if self.privacy == "pseudonymise" and not self.pseudonym_scope:
            raise ValueError(f"column {self.name!r}: pseudonymised columns need a pseudonym_scope")
        return self


class FeedFormat(Declaration):
    """How a delivery is encoded (``format:`` block of a feed)."""

    type: Literal["csv", "jsonl", "json"] = Field(
        "csv", description="csv, jsonl (one JSON object per line) or json (an array, or an object holding it)"
    )
    encoding: str = Field("utf-8", description="e.g. latin-1, utf-8, utf-8-sig")
    separator: str = Field(",", description="csv field separator")
    decimal: str = Field(".", description="csv decimal mark")
    datetime_format: str | None = Field(None, description="default strptime format of datetime columns")
    date_format: str | None = Field(None, description="default strptime format of date columns")
    timezone: str = Field("UTC", description="time zone of partner times (bronze stores UTC)")
    records_path: str | None = Field(None, description="json only: the key of the object that holds the records")
    group_separators: tuple[str, ...] = Field((), description="characters removed inside int/float values (digit groups)")
    multiline_fields: bool = Field(False, description="quoted csv fields may span lines (else an unbalanced quote is a defect)")

    @model_validator(mode="after")
    def _records_path_is_json_only(self) -> FeedFormat:
        if self.records_path is not None and self.type != "json":
            raise ValueError(f"records_path only applies to format type json, not {self.type!r}")
        return self


class Delivery(Declaration):
    """When and under which file names the partner delivers (``delivery:`` block of a feed)."""

    cadence: Literal["hourly", "daily", "weekly", "monthly", "yearly"]
    file_pattern: str = Field(description="regex of a delivery's file name, with a (?P<date>...) group")
    file_patterns: tuple[str, ...] = Field((), description="other accepted names of the partner's own files (official names vary by year)")
    simulated_file_pattern: str | None = Field(None, description="the name the simulator writes: its rows get provenance `simule`")
    full_snapshot: bool = Field(False, description="a corrected file replaces its previous version; rows it no longer holds are withdrawn")
    date_format: str = Field(description="strptime format of the date group")
    # Required but nullable: null says "archive layout, will never deliver again" explicitly.
    freshness_sla_hours: int | None = Field(description="silent longer than this turns freshness red")

    @field_validator("file_pattern", "simulated_file_pattern")
    @classmethod
    def _pattern_has_date_group(cls, value: str | None) -> str | None:
        if value is not None:
            _check_name_pattern(value)
        return value

    @field_validator("file_patterns")
    @classmethod
    def _patterns_have_date_group(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            _check_name_pattern(pattern)
        return value


def _check_name_pattern(value: str) -> None:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regex: {exc}") from exc
    if "date" not in compiled.groupindex:
        raise ValueError(f"{value!r} needs a (?P<date>...) group")


class Retention(Declaration):
    """How long raw files and bronze rows are kept."""

    landing_days: int
    bronze_days: int


class EventDateParts(Declaration):
    """Columns that together date a row whose date is split in parts (BAAC ``an``/``mois``/``jour``)."""

    year: str
    month: str
    day: str
    century: int = Field(0, description="added to a short year (BAAC before 2019 writes 5 for 2005)")


class FeedSpec(Declaration):
    """A partner feed declaration (see ``catalog/feeds/*.yaml``)."""

    name: str
    title: str
    description: str
    owner: str
    legal_basis: str
    format: FeedFormat
    delivery: Delivery
    natural_key: tuple[str, ...]
    partition_by: str
    retention: Retention
    columns: tuple[ColumnSpec, ...]
    contact_role: str = ""
    event_time: str | None = Field(None, description="column whose local day is the partition (default: first datetime)")
    checks: tuple[str, ...] = Field((), description="named row checks needing code, e.g. inside_city")
    # Rows whose columns are well-formed but do not match these regexes (column -> regex, all
    # must match) lie outside the city: dropped before validation, counted as out_of_perimeter.
    perimeter: dict[str, str] | None = None
    # Columns (year, month, day[, century]) that date a row whose date is split in parts (BAAC
    # an/mois/jour): the row is partitioned by that day rather than by the day its delivery covers.
    event_date_parts: EventDateParts | None = None

    @field_validator("description", "legal_basis", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        return _stripped(value)

    @model_validator(mode="after")
    def _columns_agree(self) -> FeedSpec:
        names = [c.name for c in self.columns]
        for key in self.natural_key:
            if key not in names:
                raise ValueError(f"natural key {key!r} is not a column")
        if self.partition_by in names:
            clash = self.column(self.partition_by)
            if clash.type != "date" or self.event_time != self.partition_by:
                raise ValueError(
                    f"column {self.partition_by!r} clashes with the partition column; rename it, "
                    f"or make it the feed's date column (type date and event_time: {self.partition_by})"
                )
        if self.event_time and self.event_time not in names:
            raise ValueError(f"event_time {self.event_time!r} is not a column")
        return self

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
        """The declared column called ``name`` (KeyError if there is none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def bronze_name(self, column: ColumnSpec) -> list[str]:
        """Bronze columns a kept column yields: itself, plus ``<name>_libelle`` for coded columns."""
        return [column.name, f"{column.name}_libelle"] if column.codes else [column.name]

    @property
    def source_headers(self) -> tuple[str, ...]:
        """The partner's headers, in declared order."""
        return tuple(c.source for c in self.columns)

    @property
    def file_regex(self) -> re.Pattern[str]:
        """The canonical file name pattern (ASCII digits only: full-width digits are refused)."""
        return re.compile(self.delivery.file_pattern, re.ASCII)

    @property
    def file_regexes(self) -> dict[re.Pattern[str], str]:
        """Every accepted file name pattern -> the provenance its files have.

        ``delivery.file_pattern`` and the variants in ``delivery.file_patterns`` (official names
        vary by year) are the partner's own files (``partenaire``); ``delivery.simulated_file_pattern``
        names the simulator's files (``simule``), so simulated data never passes for real data.
        """
        found = dict.fromkeys([self.delivery.file_pattern, *self.delivery.file_patterns], "partenaire")
        if self.delivery.simulated_file_pattern:
            found[self.delivery.simulated_file_pattern] = "simule"
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
        match = found[0] if found else None
        if not match:
            return None
        try:
            return datetime.strptime(match["date"], self.delivery.date_format).date()
        except ValueError:
            return None

    def file_name(self, day: date) -> str:
        """The file name the partner uses for ``day`` (inverse of :meth:`delivery_date`)."""
        stamp = day.strftime(self.delivery.date_format)
        return re.sub(r"\(\?P<date>[^)]*\)", stamp, self.delivery.file_pattern).replace("\\", "")


# --- Which source rows an open dataset's cells count (row filter + the cross-mart joint audit) ------


class OpenRows(Declaration):
    """Which source rows a ``kind: counts`` open dataset counts, and how it dates them.

    Read twice, so the fact lives here once: :func:`opendata.publish.generalise` filters the mart's
    rows with it, and the joint attacker's audit (:mod:`opendata.overlap`) cuts the common atoms of
    two datasets of different marts from it. ``hours`` and ``codes`` name declared parameters of the
    use case (dotted paths, e.g. ``vie_nocturne.heures_nuit``), never restate them.
    """

    feeds: tuple[str, ...] = Field((), description="feeds counted (default: every source feed of the mart)")
    hours: str | None = Field(None, description="parameter: local hours counted (None: every hour)")
    hour_column: str | None = Field(None, description="the mart's local-hour column the hours filter reads")
    codes: str | None = Field(None, description="parameter: feed -> partner category codes counted (None: every code)")
    feed_column: str | None = Field(None, description="the mart's feed column the codes filter reads")
    code_column: str | None = Field(None, description="the mart's partner-code column the codes filter reads")
    day_starts_at: int = Field(
        0, ge=0, le=23, description="the date column dates an hour before this one to the previous day (12: the evening a night belongs to)"
    )

    @model_validator(mode="after")
    def _filters_name_their_columns(self) -> OpenRows:
        if self.hours and not self.hour_column:
            raise ValueError("rows.hours needs rows.hour_column")
        if self.codes and not (self.feed_column and self.code_column):
            raise ValueError("rows.codes needs rows.feed_column and rows.code_column")
        return self


class OpenDatasetRows(Declaration):
    """The fields of :class:`OpenDataset` about the source rows its cells count (one block)."""

    rows: OpenRows | None = Field(None, description="row filter and dating; None: every row of the mart, dated by calendar day")
    audited_with: tuple[str, ...] = Field(
        (),
        description="open datasets of OTHER marts whose cells count some of the same source rows: every release of "
        "either is audited jointly with all of them (symmetric: declared on one side)",
    )


class OpenDataset(OpenDatasetRows):
    """A dataset published on the open-data portal from one mart (``open_data:`` of a use case)."""

    dataset: str
    title: str
    description: str
    from_mart: str
    spatial_level: Literal["quartier", "arrondissement", "commune"]
    temporal_level: Literal["day", "week", "month", "year"]
    count_column: str | None = Field(description="None: each mart row counts one")
    output_count_column: str
    category_column: str
    total_label: str | None = Field(description="None when categories overlap (no additive margin is published)")
    licence: dict[str, str]
    date_column: str = Field("jour", description="the mart's day column, generalised to temporal_level")
    protection_interval: int = Field(3, ge=1, description="an attacker's interval on any masked cell is at least this wide")
    count_description: str = Field("", description="what one unit of the count is, for the Table Schema")
    categories: tuple[str, ...] = Field((), description="every category label; default: the source feeds' code labels")
    keywords: tuple[str, ...] = Field((), description="for the catalogue (DCAT keyword)")
    theme: str = Field("", description="EU data theme (DCAT theme), e.g. JUST, TRAN, SOCI, GOVE")
    measures: dict[str, str] = Field(default_factory=dict, description="category label -> mart count column (wide marts)")
    source_periods_closed: bool = Field(False, description="the source only delivers whole periods (e.g. BAAC years)")
    as_of_column: str | None = Field(None, description="column giving the last day the data covers (default: max date_column)")
    breakdown_column: str | None = Field(
        None, description="a second, non-geographic dimension of the grid (e.g. flux: the partner feed), kept in the open file"
    )
    breakdown_title: str = Field("", description="French title of the breakdown column, for the Table Schema and the portal")
    # ``kind: table``: the mart's own rows (ratios, expected vs observed...) rather than a zone x period grid
    # of counts. Its rule: a row whose count is small is masked (``masked_columns`` blanked), see opendata/tables.py.
    kind: Literal["counts", "table"] = Field("counts", description="counts: zone x period x category grid; table: the mart's rows")
    table: OpenTable | None = Field(None, description="the row table's columns and disclosure rule (kind: table)")
    # --- Known margins (disclosure control over zones, core/disclosure.py ZoneMargin) ---------------
    # Sums an attacker knows from elsewhere (e.g. the city's yearly total of each measure, published
    # by another dataset or a national file): audited as equalities, with secondary suppression across
    # zones. Every open dataset either declares them or is reviewed in tests/unit/test_zone_margin.py.
    known_margins: tuple[KnownMargin, ...] = Field(
        (), description="sums over zones an attacker knows from elsewhere, per (period, category); see KnownMargin"
    )
    # --- end of known margins ------------------------------------------------------------------------

    @field_validator("description", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        return _stripped(value)

    @model_validator(mode="after")
    def _table_kind_declares_its_rows(self) -> OpenDataset:
        if (self.kind == "table") != (self.table is not None):
            raise ValueError(f"open dataset {self.dataset!r}: `table:` is declared with, and only with, kind: table")
        return self

    @model_validator(mode="after")
    def _known_margins_span_zones(self) -> OpenDataset:
        if self.known_margins and (self.kind != "counts" or self.spatial_level == "commune"):
            raise ValueError(f"open dataset {self.dataset!r}: known_margins need a zone x period grid of counts (several zones)")
        if len({m.over for m in self.known_margins}) != len(self.known_margins):
            raise ValueError(f"open dataset {self.dataset!r}: one known margin per `over`")
        labels = set(self.measures or self.categories) | ({self.total_label} if self.total_label else set())
        for margin in self.known_margins:
            unknown = sorted(set(margin.categories) - labels) if self.measures or self.categories else []
            if unknown:
                raise ValueError(f"open dataset {self.dataset!r}: known margin names unknown categories {unknown}")
        return self


class KnownMargin(Declaration):
    """A sum over zones an attacker knows from outside the dataset (``known_margins`` of an open dataset).

    ``over: zone``: for each period (and breakdown value) and each listed category, the sum of the
    cells over every zone is public (e.g. the city's yearly count of road accidents). A single masked
    zone would then be that sum minus the published zones: the disclosure control treats it as a
    published margin (secondary suppression across zones, and an equality in the attacker's audit).
    """

    over: Literal["zone"] = Field(description="the dimension summed over (zone: every zone of the grid)")
    categories: tuple[str, ...] = Field((), description="the categories whose zone sum is known (empty: every category)")
    reason: str = Field(min_length=1, description="where an attacker reads the sum (French, published in the report)")

    @field_validator("reason", mode="before")
    @classmethod
    def _strip_reason(cls, value: Any) -> Any:
        return _stripped(value)


class OpenJoin(Declaration):
    """Columns taken from a second mart of the same use case, joined on shared columns."""

    mart: str
    keys: tuple[str, ...] = Field(description="columns both marts share, joined on (YAML reads a bare `on` as true)")
    columns: tuple[str, ...]


class OpenAggregate(Declaration):
    """A column computed when a table's rows are aggregated, declared with its French label."""

    of: str = Field(description="the mart column it is computed from")
    how: Literal["count_positive", "max"] = Field(description="count_positive: rows where `of` > 0; max: its largest value")
    type: Literal["int", "float", "date", "string"]
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    unit: str | None = None


class OpenNestedMargin(Declaration):
    """A total published by another dataset that the table's rows nest in (e.g. 200 m cells in a quartier)."""

    mart: str = Field(description="the mart holding the total (the other dataset's source)")
    keys: tuple[str, ...] = Field(description="columns naming the nest, in both marts (e.g. perimetre, code_quartier)")
    column: str = Field(description="the total's column in that mart, the same count as the table's count_column")


class OpenTable(Declaration):
    """How a ``kind: table`` open dataset is cut from its mart(s), and how it is protected.

    Labels, types and descriptions of every column come from the marts' declarations. Rows are
    optionally aggregated (``group_by`` + ``sums``: e.g. hours to days); the row's period is read
    from the dataset's ``date_column`` and only closed periods are published, as for counts.
    """

    columns: tuple[str, ...] = Field(description="published columns, in order (mart columns, or sums)")
    key: tuple[str, ...] = Field(description="the columns identifying a published row")
    join: OpenJoin | None = None
    group_by: tuple[str, ...] = Field((), description="aggregate the mart's rows to these columns (empty: no aggregation)")
    sums: tuple[str, ...] = Field((), description="columns summed when aggregating")
    aggregates: dict[str, OpenAggregate] = Field(default_factory=dict, description="new columns computed when aggregating")
    rates: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="derived column -> (numerator, denominator), computed after aggregation"
    )
    # A rate to many decimals beside its published numerator gives the denominator back (n = q / r):
    # fewer decimals when the counts behind it must stay unknown.
    rate_decimals: int = Field(6, ge=0, le=6, description="decimals of the published rates")
    row_pattern: dict[str, str] = Field(default_factory=dict, description="column -> regex a published row's value matches")
    min_count_columns: tuple[str, ...] = Field(
        (), description="a row where one of these counts is between 1 and k-1 is masked (empty: no count, no masking)"
    )
    masked_columns: tuple[str, ...] = Field((), description="blanked in a masked row: the counts and whatever recomputes them")
    group_columns: tuple[str, ...] = Field(
        (), description="rows of one group add up to a total an attacker may know (audited as a published margin)"
    )
    nested_in: OpenNestedMargin | None = Field(
        None, description="rows listed only where count >= k and their nest's remainder (total - listed rows) is 0 or >= k"
    )
    disclosure_rule: str = Field(min_length=1, description="why this rule protects the rows (French, published in the report)")
    cell_column: str | None = Field(
        None, description="a published column holding an INSEE grid cell id: the GeoJSON file has one square per row"
    )

    @field_validator("disclosure_rule", mode="before")
    @classmethod
    def _strip_rule(cls, value: Any) -> Any:
        return _stripped(value)


class MartSpec(Declaration):
    """One mart of a use case: how it is built and how far it is published.

    ``built_by`` is ``dbt`` (a model under ``dbt_project/models/marts/<use_case>/``) or ``python``
    (a Dagster asset running ``compute`` on the dbt models named in ``inputs``). Every mart has a
    Great Expectations suite ``quality/suites/<name>.py`` that gates it; ``internal`` marts are
    gated but never leave the build database, ``services`` and ``open`` ones go to gold.
    """

    name: str
    publication: Literal["internal", "services", "open"]
    source_feeds: tuple[str, ...] = ()
    use_case: str = Field(description="the declaring use case (filled in by the loader, not written in YAML)")
    built_by: Literal["dbt", "python"] = "dbt"
    compute: str | None = Field(None, description='"module:function" for python marts')
    inputs: tuple[str, ...] = Field((), description="dbt models a python mart reads")
    date_column: str | None = Field(
        None,
        description="the mart's main day column; no longer read for the publication's data window, which spans every "
        "declared date/timestamp column (mart_schema.data_window)",
    )
    description: str = ""
    # How the observatory app shows it: {kind: table|bar|line|map_quartier, x, y, color, value, title, filter}.
    display: tuple[dict[str, Any], ...] = ()
    # The mart's shape, declared once (see mart_schema.py): the columns identifying a row, and every column.
    grain: tuple[str, ...] = ()
    columns: tuple[MartColumn, ...] = ()

    @field_validator("description", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        return " ".join(str(value).split()) if value is not None else value

    @model_validator(mode="after")
    def _python_mart_has_compute(self) -> MartSpec:
        if self.built_by == "python" and not (self.compute and self.inputs):
            raise ValueError(f"mart {self.name!r}: a python mart needs `compute` and `inputs`")
        return self

    @model_validator(mode="after")
    def _shape_is_consistent(self) -> MartSpec:
        check_shape(self.name, self.grain, self.columns)
        return self

    @property
    def published(self) -> bool:
        """True for marts that leave the build database (``services`` and ``open``)."""
        return self.publication != "internal"


class ModelCard(Declaration):
    """Evidence for the analyst: the model, its data, what it cannot say, its fit-quality mart."""

    model: str = Field(description="the method, in French, for people")
    data: str = Field(description="the data it uses and its window")
    cannot_say: str = Field(description="the limits of what it shows")
    fit_quality_mart: str | None = Field(None, description="the mart holding the fit-quality rows")


class UseCase(Declaration):
    """A use-case declaration (see ``catalog/use_cases/*.yaml``)."""

    name: str
    title: str
    purpose: str
    owner: str
    decision_questions: tuple[str, ...]
    allowed_roles: tuple[str, ...]
    retention_days: int
    marts: tuple[MartSpec, ...]
    open_data: tuple[OpenDataset, ...] = ()
    open_data_withheld: str = Field("", description="what the use case does not publish as open data, and why (all of it when it publishes none)")
    model_card: ModelCard
    # Declared rules the analytics read: the use case's own model (see parameters.py).
    parameters: Parameters = Field(default_factory=dict, validate_default=True)  # type: ignore[arg-type]

    @field_validator("purpose", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        return _stripped(value)

    @model_validator(mode="before")
    @classmethod
    def _open_data_block(cls, data: Any) -> Any:
        # ``open_data:`` is a list of datasets, or ``{withheld: why, datasets: [...]}`` to say what is not published.
        if isinstance(data, dict) and isinstance(data.get("open_data"), dict):
            block = dict(data["open_data"])
            data = {**data, "open_data": block.pop("datasets", []), "open_data_withheld": _stripped(block.pop("withheld", ""))}
            if block:
                raise ValueError(f"open_data: unknown keys {sorted(block)} (a list of datasets, or withheld: why)")
        return data

    @model_validator(mode="before")
    @classmethod
    def _marts_know_their_use_case(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("marts"), list):
            data = {**data, "marts": [{**m, "use_case": data.get("name")} if isinstance(m, dict) else m for m in data["marts"]]}
        return data

    @field_validator("parameters", mode="before")
    @classmethod
    def _typed_parameters(cls, value: Any, info: ValidationInfo) -> Any:
        # The model is chosen by use-case name; pydantic reports its errors under ``parameters.``.
        if isinstance(value, Parameters):
            return value
        return parameters_model(str(info.data.get("name", ""))).model_validate(value if value is not None else {})

    @model_validator(mode="after")
    def _marts_agree(self) -> UseCase:
        names = [m.name for m in self.marts]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"mart names declared twice: {repeated}")
        fit = self.model_card.fit_quality_mart
        if fit and fit not in names:
            raise ValueError(f"model_card.fit_quality_mart {fit!r} is not a mart of this use case")
        return self
