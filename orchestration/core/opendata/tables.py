"""Open datasets made of a mart's own rows (``kind: table``): ratios, expected vs observed, rates.

A zone x period grid of counts (``publish.generalise``) does not fit a factor table (one row per
factor level, a ratio and its interval) or an event's day (observed and expected incidents). Such
a dataset publishes the mart's rows, optionally aggregated (hours to days), with the same release
discipline as counts: closed periods only, a published period never revised, every release audited
against the earlier ones. Its disclosure rule is declared with it (``OpenTable.disclosure_rule``):

* **primary**: a row where one of ``min_count_columns`` is between 1 and k-1 is masked: its
  ``masked_columns`` (the counts, and the ratio and interval that would give them back) are blank;
* **margins an attacker may know**: when the rows of a group (``group_columns``, e.g. one factor's
  levels in one perimeter) add up to a total published elsewhere (the accidents of the year by
  quartier, ONISR's national files), that total is treated as **published** by the audit: a group
  with a single masked row gets a second one masked (:func:`orchestration.core.disclosure.protect`),
  and a group that masking cannot protect is withheld whole (reported, never published);
* **attacker's audit**: every masked row's count must keep an interval at least
  ``protection_interval`` wide given the group totals, the published rows and every earlier release.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from orchestration.core.catalog import OpenDataset, marts
from orchestration.core.catalog.mart_schema import TABLE_SCHEMA_TYPES, MartColumn
from orchestration.core.disclosure import (
    MASKED,
    PUBLISHED,
    TIME_CONSISTENCY,
    DisclosureError,
    DisclosureReport,
    attacker_intervals,
    check_publishable,
    earlier_knowledge,
    protect,
)
from orchestration.core.opendata.periods import PERIOD_COLUMNS, is_closed, period_column, period_labels

KNOWN_TOTAL = "__total_connu__"  # internal row: a group's total, known to the attacker, never written
METHOD = (
    "Lignes du mart publiées telles quelles (ou agrégées comme déclaré), sur des périodes closes "
    "seulement ; une période publiée n'est jamais révisée. Une ligne dont un effectif est compris "
    "entre 1 et k-1 est masquée (effectifs, rapport et intervalle vides). Quand les lignes d'un "
    "groupe s'additionnent en un total publié ailleurs, l'audit de l'attaquant suppose ce total "
    "connu : une ligne masquée seule dans son groupe en entraîne une seconde, et un groupe qu'aucun "
    "masquage ne protège n'est pas publié."
)


def _declared_columns(dataset: OpenDataset) -> dict[str, MartColumn]:
    """Declarations of every column the dataset may publish (its mart's, then the joined mart's)."""
    spec = dataset.table
    assert spec is not None
    found = {c.name: c for c in marts()[dataset.from_mart].columns}
    if spec.join:
        for column in marts()[spec.join.mart].columns:
            found.setdefault(column.name, column)
    for name, aggregate in spec.aggregates.items():
        found[name] = MartColumn(
            name=name, type=aggregate.type, label=aggregate.label, description=aggregate.description, unit=aggregate.unit, nullable=True
        )
    return found


def check_declaration(dataset: OpenDataset) -> None:
    """Every column the table names is declared by its mart(s); raises ``ValueError`` otherwise."""
    spec = dataset.table
    if spec is None:
        return
    declared = _declared_columns(dataset)
    period = period_column(dataset.temporal_level)
    named = {*spec.columns, *spec.key, *spec.group_by, *spec.sums, *spec.rates, *spec.min_count_columns, *spec.masked_columns,
             *spec.group_columns, *spec.row_pattern, dataset.date_column}
    for numerator, denominator in spec.rates.values():
        named |= {numerator, denominator}
    named |= {a.of for a in spec.aggregates.values()}
    if spec.nested_in:
        other = {c.name for c in marts()[spec.nested_in.mart].columns}
        if not {*spec.nested_in.keys, spec.nested_in.column} <= other:
            raise ValueError(f"open dataset {dataset.dataset!r}: nested_in names columns {spec.nested_in.mart} does not declare")
        named |= set(spec.nested_in.keys)
    unknown = sorted(c for c in named - {period} if c not in declared)
    if unknown:
        raise ValueError(f"open dataset {dataset.dataset!r}: columns not declared by its mart(s): {unknown}")
    for column in (*spec.key, *spec.masked_columns, *spec.min_count_columns):
        if column not in spec.columns and column != period:
            raise ValueError(f"open dataset {dataset.dataset!r}: {column!r} is used but not published (add it to columns)")
    if dataset.count_column not in spec.min_count_columns and spec.min_count_columns:
        raise ValueError(f"open dataset {dataset.dataset!r}: count_column must be one of min_count_columns")


def source_rows(mart: pd.DataFrame, dataset: OpenDataset, others: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The mart's rows as the dataset publishes them: joined, filtered, aggregated, with their period."""
    spec = dataset.table
    assert spec is not None
    frame = mart.copy()
    if spec.join:
        right = (others or {})[spec.join.mart][[*spec.join.keys, *spec.join.columns]]
        frame = frame.merge(right, on=list(spec.join.keys), how="left")
    for column, pattern in spec.row_pattern.items():
        frame = frame[frame[column].astype(str).str.match(re.compile(pattern))]
    period = period_column(dataset.temporal_level)
    labels = period_labels(frame[dataset.date_column], dataset.temporal_level) if len(frame) else pd.Series(dtype=str)
    frame[period] = labels  # before grouping: a table may be aggregated to its period (e.g. days to weeks)
    if spec.group_by:
        for name, aggregate in spec.aggregates.items():
            values = frame[aggregate.of]
            frame[name] = (pd.to_numeric(values).fillna(0) > 0).astype("int64") if aggregate.how == "count_positive" else values
        how = {name: "sum" if a.how == "count_positive" else "max" for name, a in spec.aggregates.items()}
        carried = {c: "first" for c in frame.columns if c not in spec.group_by and c not in spec.sums and c not in how}
        grouped = frame.groupby(list(spec.group_by), as_index=False, dropna=False)
        frame = grouped.agg({**carried, **how}) if carried or how else grouped.size().drop(columns="size")
        for column in spec.sums:  # a group with no value at all stays empty (not observed), never 0
            frame[column] = grouped[column].sum(min_count=1)[column].to_numpy()
    if spec.join:
        # A row the joined mart does not cover (e.g. an event day not observed yet) is not published.
        frame = frame[frame[list(spec.join.columns)].notna().any(axis=1)]
    declared = _declared_columns(dataset)
    for column in spec.sums:
        if declared[column].type == "int":
            frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
        else:
            frame[column] = pd.to_numeric(frame[column]).round(3)
    for column, (numerator, denominator) in spec.rates.items():
        denominators = frame[denominator].astype("float64")
        frame[column] = (frame[numerator].astype("float64") / denominators.where(denominators > 0)).round(spec.rate_decimals)
    return frame.reset_index(drop=True)


def closed_rows(rows: pd.DataFrame, dataset: OpenDataset, as_of: date | None) -> pd.DataFrame:
    """Only the rows of closed periods (declared closed by the source, or over by ``as_of``)."""
    period = period_column(dataset.temporal_level)
    if dataset.source_periods_closed:
        return rows
    keep = rows[period].map(lambda p: bool(as_of) and is_closed(str(p), dataset.temporal_level, as_of))  # type: ignore[arg-type]
    return rows[keep.astype(bool)]


def output_columns(dataset: OpenDataset) -> list[str]:
    """The published columns in order: the period first (unless published already), then the declared ones."""
    spec = dataset.table
    assert spec is not None
    period = period_column(dataset.temporal_level)
    return ([] if period in spec.columns else [period]) + list(spec.columns) + ["diffusion"]


def _small(rows: pd.DataFrame, columns: tuple[str, ...], k: int) -> pd.Series:
    small = pd.Series(False, index=rows.index)
    for column in columns:
        values = pd.to_numeric(rows[column], errors="coerce")
        small |= (values > 0) & (values < k)
    return small


def margin_totals(dataset: OpenDataset, others: dict[str, pd.DataFrame] | None) -> pd.DataFrame | None:
    """The nest totals an attacker can read in another dataset (``nested_in``), by nest key."""
    spec = dataset.table
    if spec is None or spec.nested_in is None:
        return None
    nest = spec.nested_in
    frame = (others or {})[nest.mart]
    return frame.groupby(list(nest.keys), as_index=False)[nest.column].sum().rename(columns={nest.column: "_total_connu"})


def list_nested_rows(rows: pd.DataFrame, dataset: OpenDataset, k: int, totals: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows listed (count >= k) and nest remainders, so that no remainder is a small count.

    Within each nest (e.g. a quartier and year), the rows not listed are known to an attacker only
    through the remainder: the nest's total (published by another dataset) minus the listed rows.
    Both remainders (from the rows themselves, and from that total, which may count slightly
    differently) must be 0 or at least k, else the nest's smallest listed row goes back into the
    remainder, until they are. Returns (listed rows, one line per nest with its remainders).
    """
    spec = dataset.table
    assert spec is not None and spec.nested_in is not None
    count, nest = dataset.count_column, list(spec.nested_in.keys)
    values = pd.to_numeric(rows[count]).fillna(0).astype("int64")
    listed = values >= k
    sums = rows.assign(_n=values).groupby(nest, as_index=False)["_n"].sum()
    if totals is not None:
        sums = sums.merge(totals, on=nest, how="left")
    else:
        sums["_total_connu"] = sums["_n"]
    sums["_total_connu"] = sums["_total_connu"].fillna(sums["_n"])
    keys = rows[nest].astype(str).agg("|".join, axis=1)
    nest_of = dict(zip(sums[nest].astype(str).agg("|".join, axis=1), sums.index, strict=True))
    for label, index in nest_of.items():
        members = keys[keys == label].index
        while True:
            shown = int(values[members][listed[members]].sum())
            remainders = (int(values[members].sum()) - shown, int(sums.loc[index, "_total_connu"]) - shown)
            if not any(0 < r < k for r in remainders) or not listed[members].any():
                break
            listed[values[members][listed[members]].idxmin()] = False
    return rows[listed].reset_index(drop=True), sums


def nest_remainders(listed: pd.DataFrame, rows: pd.DataFrame, dataset: OpenDataset, totals: pd.DataFrame | None) -> pd.DataFrame:
    """Per nest, what an attacker derives about the rows not listed: the total minus the listed rows.

    ``reste_lignes`` from the rows themselves, ``reste_total`` from the total another dataset
    publishes (``totals``); both must be 0 or at least k. Only nests with a listed row are returned.
    """
    spec = dataset.table
    assert spec is not None and spec.nested_in is not None
    count, nest = dataset.count_column, list(spec.nested_in.keys)
    every = rows.assign(_n=pd.to_numeric(rows[count]).fillna(0)).groupby(nest)["_n"].sum()
    shown = listed.assign(_n=pd.to_numeric(listed[count]).fillna(0)).groupby(nest)["_n"].sum().reindex(every.index, fill_value=0)
    out = pd.DataFrame({"reste_lignes": every - shown})
    if totals is not None:
        known = totals.set_index(nest)["_total_connu"].reindex(every.index)
        out["reste_total"] = known.fillna(every) - shown
    # A nest with nothing listed leaves its total as it is published elsewhere: nothing derived from us.
    return out[shown > 0].reset_index()


def protect_rows(
    rows: pd.DataFrame,
    dataset: OpenDataset,
    k: int,
    earlier: dict[tuple[Any, ...], tuple[float, float]] | None = None,
    totals: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, DisclosureReport, int]:
    """Mask small rows, audit them against the known group totals; returns (table, report, withheld groups)."""
    spec = dataset.table
    assert spec is not None
    count, category, groups = dataset.count_column, dataset.category_column, list(spec.group_columns)
    unlisted, nests = 0, None
    if spec.nested_in is not None:
        listed, _ = list_nested_rows(rows, dataset, k, totals)
        nests = nest_remainders(listed, rows, dataset, totals)  # re-derived as an attacker would, not trusted
        small = nests[[c for c in nests if c.startswith("reste")]].apply(lambda r: ((r > 0) & (r < k)).any(), axis=1)
        if small.any():
            raise DisclosureError(f"{dataset.dataset}: {int(small.sum())} nest remainder(s) below k: refusing to publish")
        unlisted, rows = len(rows) - len(listed), listed
    table = rows.reset_index(drop=True).copy()
    masked = _small(table, spec.min_count_columns, k)
    rounds, withheld, intervals = 0, 0, pd.DataFrame()
    if groups and count and len(table):
        # The audit sees each group's total as published (an attacker may know it from another file).
        cells = table[[*groups, category, count]].copy()
        cells[count] = cells[count].fillna(0).astype("int64")
        shown, report = protect(cells, groups, category, count, KNOWN_TOTAL, k, dataset.protection_interval, earlier)
        rounds = int(report.audit.get("extra_masking_rounds", 0))
        inner = shown[shown[category] != KNOWN_TOTAL].reset_index(drop=True)
        total_masked = shown[(shown[category] == KNOWN_TOTAL) & (shown["diffusion"] != PUBLISHED)]
        masked |= inner["diffusion"] != PUBLISHED
        if len(total_masked):
            # Masking could only hide the total, which the attacker knows anyway: the group is withheld.
            lost = table[groups].merge(total_masked[groups].drop_duplicates(), on=groups, how="left", indicator=True)["_merge"] == "both"
            withheld = len(total_masked)
            table, masked = table[~lost.to_numpy()].reset_index(drop=True), masked[~lost.to_numpy()].reset_index(drop=True)
        intervals = _audit_groups(table, masked, dataset, k, earlier)
        narrow = _narrow(intervals, dataset)
        if len(narrow):
            # Rows masked for another count (e.g. a small reference) can leave a group open: withheld too.
            lost = table[groups].merge(narrow[groups].drop_duplicates(), on=groups, how="left", indicator=True)["_merge"] == "both"
            withheld += int(narrow[groups].drop_duplicates().shape[0])
            table, masked = table[~lost.to_numpy()].reset_index(drop=True), masked[~lost.to_numpy()].reset_index(drop=True)
            intervals = _audit_groups(table, masked, dataset, k, earlier)
    elif masked.any() and count:
        intervals = _audit_groups(table, masked, dataset, k, earlier)
    narrow = _narrow(intervals, dataset)
    if len(narrow):
        raise DisclosureError(f"{dataset.dataset}: {len(narrow)} masked row(s) recoverable within less than {dataset.protection_interval}")
    out = table.copy()
    for column in spec.masked_columns:
        hidden = _count_hidden(table, masked, count) if column == count else masked
        out[column] = out[column].astype("Float64" if out[column].dtype.kind == "f" else "object").mask(hidden)
        if table[column].dtype.kind in "iu":
            out[column] = pd.to_numeric(out[column]).astype("Int64")
    out["diffusion"] = np.where(masked, MASKED, PUBLISHED)
    out = out[output_columns(dataset)]
    for column in spec.min_count_columns:
        check_publishable(out, column, k)
    widths = (intervals["borne_haute"] - intervals["borne_basse"]).astype("float64") if len(intervals) else pd.Series(dtype="float64")
    attacker = "lignes publiées, lignes masquées non nulles, diffusions antérieures"
    if groups:
        attacker = "lignes publiées, totaux de groupe supposés connus (publiés ailleurs), lignes masquées, diffusions antérieures"
    if nests is not None:
        attacker = "lignes listées, total de chaque emboîtement publié par un autre jeu (même période), diffusions antérieures"
    audit = {
        "passed": True,
        "attacker": attacker,
        "masked_cells": int(masked.sum()),
        "min_interval_width": float(widths.min()) if len(widths) and np.isfinite(widths.min()) else None,
        "unbounded_cells": int(np.isinf(widths.to_numpy()).sum()) if len(widths) else int(masked.sum()),
        "extra_masking_rounds": rounds,
        "earlier_cells_known": len(earlier or {}),
        "withheld_groups": withheld,
        "rows_not_listed": unlisted,
    }
    if nests is not None:
        remainders = nests[[c for c in nests if c.startswith("reste")]].to_numpy().ravel()
        positive = remainders[remainders > 0]
        audit.update({"nests": len(nests), "min_nonzero_remainder": float(positive.min()) if len(positive) else None})
    primary = int(_small(table, spec.min_count_columns, k).sum())
    report = DisclosureReport(
        k_min=k, method=METHOD, cells=len(out), primary_suppressed=primary, secondary_suppressed=int(masked.sum()) - primary,
        protection_interval=dataset.protection_interval, audit=audit,
    )
    return out.reset_index(drop=True), report, withheld


def audit_key(dataset: OpenDataset) -> list[str]:
    """The columns naming a row in the attacker's audit: its group, then its category."""
    spec = dataset.table
    assert spec is not None
    groups = list(spec.group_columns) or [c for c in spec.key if c != dataset.category_column]
    return [*groups, dataset.category_column]


def _count_hidden(table: pd.DataFrame, masked: pd.Series, count: str) -> pd.Series:
    """The rows whose count is masked: masked rows, except a zero count (zeros are always published).

    A row masked for another column (a small reference count) may count zero; masking that zero
    would break the rule the attacker's audit assumes (a masked count is at least 1): the audit
    would then find the published constraints inconsistent, or reason on a false bound.
    """
    return masked & (pd.to_numeric(table[count], errors="coerce").fillna(0) != 0)


def _narrow(intervals: pd.DataFrame, dataset: OpenDataset) -> pd.DataFrame:
    if intervals.empty:
        return intervals
    return intervals[(intervals["borne_haute"] - intervals["borne_basse"]) < dataset.protection_interval]


def _audit_groups(table: pd.DataFrame, masked: pd.Series, dataset: OpenDataset, k: int, earlier: dict | None) -> pd.DataFrame:
    """The attacker's intervals on every masked row's count, group totals taken as published."""
    spec = dataset.table
    assert spec is not None
    count, category = dataset.count_column, dataset.category_column
    groups = audit_key(dataset)[:-1]
    cells = table[[*groups, category, count]].copy()
    cells[count] = cells[count].fillna(0).astype("int64")
    masked = _count_hidden(table, masked, count)
    total = KNOWN_TOTAL if spec.group_columns else None
    if total:
        sums = cells.groupby(groups, as_index=False, sort=False)[count].sum()
        sums[category] = total
        cells = pd.concat([cells, sums[cells.columns]], ignore_index=True)
    shown = cells.copy()
    hide = pd.concat([masked, pd.Series(False, index=range(len(masked), len(cells)))]) if total else masked
    shown[count] = shown[count].astype("Int64").mask(hide.to_numpy())
    shown["diffusion"] = np.where(hide.to_numpy(), MASKED, PUBLISHED)
    return attacker_intervals(shown, groups, category, count, total, k, earlier)


def table_fields(dataset: OpenDataset, k: int, example: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Table Schema fields of a row table: each column's label, type and description from its mart."""
    spec = dataset.table
    assert spec is not None
    declared = _declared_columns(dataset)
    period = period_column(dataset.temporal_level)
    example = example or {}
    fields: list[dict[str, Any]] = []
    for name in output_columns(dataset):
        if name == "diffusion":
            fields.append({
                "name": "diffusion", "title": "Diffusion", "type": "string",
                "description": f"« {PUBLISHED} », ou « {MASKED} » quand la ligne est masquée (un effectif inférieur à k = {k}, "
                "ou masquée pour qu'aucune ligne ne se déduise d'un total connu).",
                "constraints": {"required": True, "enum": [PUBLISHED, MASKED]},
            })
            continue
        if name == period and name not in declared:
            fields.append({
                "name": period, "title": "Période", "type": "string",
                "description": PERIOD_COLUMNS[dataset.temporal_level][1] + " Seules les périodes closes sont publiées.",
                "constraints": {"required": True},
            })
            continue
        column = declared[name]
        field: dict[str, Any] = {"name": name, "title": column.label, "type": TABLE_SCHEMA_TYPES[column.type]}
        description = column.description
        if name in spec.sums:
            description = f"Somme sur la ligne publiée : {description[0].lower()}{description[1:]}"
        if name in spec.masked_columns:
            description += f" Vide quand la ligne est masquée (secret statistique, k = {k})."
        field["description"] = description
        if column.type == "datetime":
            field["format"] = "any"
        if column.unit:
            field["unit"] = column.unit
        required = name in spec.key or not (column.nullable or name in spec.masked_columns or name in spec.rates)
        field["constraints"] = {"required": required}
        fields.append(field)
    for f in fields:
        if f["name"] in example and example[f["name"]] is not None and not pd.isna(example[f["name"]]):
            f["example"] = str(example[f["name"]])
    return fields


def build_table_release(
    mart: pd.DataFrame,
    dataset: OpenDataset,
    k: int,
    as_of: date | None,
    previous: pd.DataFrame | None = None,
    earlier: list[pd.DataFrame] | None = None,
    others: dict[str, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, Any]]]:
    """The release table of a row dataset, its disclosure report and Table Schema fields.

    Rows of periods already published are copied from ``previous``; only newly closed periods are
    protected, and audited against every earlier release. Raises :class:`DisclosureError`.
    """
    spec = dataset.table
    assert spec is not None
    period = period_column(dataset.temporal_level)
    rows = closed_rows(source_rows(mart, dataset, others), dataset, as_of)
    frozen = previous.drop(columns=["periode_close"], errors="ignore") if previous is not None else None
    frozen_periods = set(frozen[period].astype(str)) if frozen is not None and len(frozen) else set()
    fresh = rows[~rows[period].astype(str).isin(frozen_periods)]
    knowledge = earlier_knowledge(earlier or [], audit_key(dataset), dataset.count_column) if dataset.count_column else {}
    protected, report, withheld = protect_rows(fresh, dataset, k, knowledge, margin_totals(dataset, others))
    table = pd.concat([frozen[protected.columns], protected], ignore_index=True) if frozen is not None and len(frozen) else protected
    table = table.sort_values([period, *spec.key], kind="stable").reset_index(drop=True)
    if table.duplicated(list(spec.key)).any():
        raise DisclosureError(f"{dataset.dataset}: the declared key {list(spec.key)} does not identify a row")
    for column in spec.min_count_columns:
        check_publishable(table, column, k)
    disclosure = report.to_json()
    disclosure.update({
        "cells": len(table),
        "new_cells": len(protected),
        "withheld_groups": withheld,
        "rows_not_listed": report.audit.get("rows_not_listed", 0),
        "rule": spec.disclosure_rule,
        "time_consistency": TIME_CONSISTENCY,
        "periods": {
            "published": sorted(table[period].astype(str).unique().tolist()),
            "new": sorted(protected[period].astype(str).unique().tolist()),
            "frozen": sorted(frozen_periods),
        },
        "late_changes_not_published": 0,
    })
    example = table.iloc[0].to_dict() if len(table) else None
    return table, disclosure, table_fields(dataset, k, example)
