"""Open datasets made of a mart's rows (kind: table): per-row minimum count, known group totals, releases."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.core.catalog import open_datasets
from orchestration.core.disclosure import MASKED, PUBLISHED
from orchestration.core.opendata import releases, tables
from orchestration.core.opendata.publish import publish_open_dataset
from orchestration.core.settings import load_settings
from tests.unit.test_open_data_formats import START, gate, synthetic_table_marts

FACTORS = "accidents-corporels-facteurs-annee"
EVENTS = "evenements-publics-faits-attendus-observes-jour"
HEALTH = "sante-observatoire-fraicheur-quarantaine-flux-semaine"
K = 5


def factor_rows(groups: dict[str, list[tuple[str, int, int]]]) -> pd.DataFrame:
    """A factors mart: {facteur: [(modalite, count, reference count)]}, one BAAC year, rate ratios."""
    rows = []
    for factor, levels in groups.items():
        for level, count, reference in levels:
            rows.append(
                {
                    "perimetre": "BAAC 2018 réel",
                    "facteur": factor,
                    "modalite": level,
                    "libelle_modalite": level,
                    "modalite_reference": "ref",
                    "type_ratio": "rapport_de_comptes",
                    "nb_evenements": count,
                    "nb_evenements_reference": reference,
                    "exposition": None,
                    "exposition_reference": None,
                    "unite_exposition": "aucune (comptes)",
                    "ratio": count / reference,
                    "ic_bas": 0.5 * count / reference,
                    "ic_haut": 1.5 * count / reference,
                    "methode": "rapport des nombres d'accidents",
                }
            )
    return pd.DataFrame(rows)


def test_every_table_dataset_names_only_declared_columns() -> None:
    declared = [d for d in open_datasets().values() if d.kind == "table"]
    assert {FACTORS, EVENTS, HEALTH} <= {d.dataset for d in declared}
    for dataset in declared:
        tables.check_declaration(dataset)
        assert dataset.table is not None and len(dataset.table.disclosure_rule) > 80  # the why is said


def test_factor_table_masks_small_rows_and_a_partner_against_the_known_total() -> None:
    dataset = open_datasets()[FACTORS]
    mart = factor_rows(
        {
            "eclairage": [("1", 50, 400), ("2", 3, 400), ("3", 40, 400)],  # one small row: a partner is masked too
            "velo": [("1", 2, 400)],  # a single small row: the known total gives it away, withheld
            "intersection": [("1", 50, 3), ("2", 60, 3)],  # small reference: every row masked
            "meteo_declaree": [("1", 0, 300), ("2", 80, 300)],  # a zero is published
        }
    )
    table, disclosure, fields = tables.build_table_release(mart, dataset, K, None)
    shown = table.set_index(["facteur", "modalite"])
    assert shown.loc[("eclairage", "2"), "diffusion"] == MASKED and shown.loc[("eclairage", "3"), "diffusion"] == MASKED
    assert shown.loc[("eclairage", "1"), "diffusion"] == PUBLISHED and shown.loc[("eclairage", "1"), "nb_evenements"] == 50
    assert "velo" not in set(table["facteur"]) and disclosure["withheld_groups"] == 1
    assert (table[table["facteur"] == "intersection"]["diffusion"] == MASKED).all()
    assert shown.loc[("meteo_declaree", "1"), "nb_evenements"] == 0
    masked = table[table["diffusion"] == MASKED]
    for column in dataset.table.masked_columns:  # counts, ratio and interval: nothing recomputes a count
        assert masked[column].isna().all(), column
    for column in dataset.table.min_count_columns:
        visible = table[column].dropna().astype(int)
        assert not ((visible > 0) & (visible < K)).any(), column
    # The attacker knows each factor's total (published elsewhere): no masked count within less than 3.
    for (factor,), group in mart.groupby(["facteur"]):
        published = table[(table["facteur"] == factor) & (table["diffusion"] == PUBLISHED)]["nb_evenements"].sum()
        hidden = table[(table["facteur"] == factor) & (table["diffusion"] == MASKED)]
        if len(hidden):
            remainder = group["nb_evenements"].sum() - published
            assert remainder - (len(hidden) - 1) - 1 >= dataset.protection_interval, factor  # [1, remainder - (m-1)]
    assert disclosure["audit"]["passed"] and disclosure["rule"] == dataset.table.disclosure_rule
    assert [f["name"] for f in fields] == tables.output_columns(dataset)
    assert next(f for f in fields if f["name"] == "ratio")["title"] == "Rapport"  # the mart's label


def test_a_zero_count_masked_for_its_small_reference_stays_published() -> None:
    """A row masked because its reference count is small may count zero: its zero is published (zeros
    always are), its reference, ratio and interval masked; the audit then reasons on true bounds."""
    dataset = open_datasets()[FACTORS]
    mart = factor_rows(
        {
            "pluie": [("1", 0, 3), ("2", 0, 3)],  # a year with no rain accident yet: the total is 0
            "eclairage": [("1", 0, 2), ("2", 60, 2)],  # the zero would give the other row away: withheld
            "velo": [("1", 40, 300), ("2", 50, 300)],
        }
    )
    table, disclosure, _ = tables.build_table_release(mart, dataset, K, None)  # was: constraints inconsistent
    rain = table[table["facteur"] == "pluie"]
    assert (rain["nb_evenements"] == 0).all() and (rain["diffusion"] == MASKED).all()
    for column in ("nb_evenements_reference", "ratio", "ic_bas", "ic_haut"):
        assert rain[column].isna().all(), column
    assert "eclairage" not in set(table["facteur"]) and disclosure["withheld_groups"] == 1
    assert (table[table["facteur"] == "velo"]["diffusion"] == PUBLISHED).all()
    assert disclosure["audit"]["passed"]


def test_factor_table_keeps_only_whole_baac_years() -> None:
    dataset = open_datasets()[FACTORS]
    mart = factor_rows({"heure": [("00h", 40, 90), ("01h", 30, 90)]})
    police = mart.assign(perimetre="Police municipale 2026")
    table, _, _ = tables.build_table_release(pd.concat([mart, police]), dataset, K, None)
    assert set(table["perimetre"]) == {"BAAC 2018 réel"} and set(table["annee"]) == {"2018"}


def test_events_observed_are_summed_per_day_and_unobserved_days_left_out() -> None:
    dataset = open_datasets()[EVENTS]
    mart, others = synthetic_table_marts(dataset, days=30)
    observed = others["securite_evenements_exces_heure"]
    late = mart["jour"] >= START + timedelta(days=21)  # the last days: not observed yet
    observed.loc[late.to_numpy(), ["observe", "reference"]] = None
    rows = tables.source_rows(mart, dataset, others)
    assert not rows.duplicated(["evenement_id", "jour"]).any()
    assert rows["jour"].max() < str(START + timedelta(days=21))
    expected = mart[~late].groupby(["evenement_id", "jour"])["faits_attendus"].sum().round(3)
    assert rows.set_index(["evenement_id", "jour"])["faits_attendus"].sort_index().tolist() == pytest.approx(
        expected.rename(index=str, level=1).sort_index().tolist()
    )


@pytest.mark.parametrize("name", [EVENTS, HEALTH])
def test_three_releases_reveal_no_small_or_masked_count(tmp_path: Path, name: str) -> None:
    """Day N, N+3, N+4: closed periods only, frozen periods copied verbatim, a masked row never shown."""
    dataset = open_datasets()[name]
    settings = load_settings(tmp_path, require_key=False)
    mart, others = synthetic_table_marts(dataset, days=60)
    spec = dataset.table
    assert spec is not None
    published = []
    for n in (45, 48, 49):
        cut = START + timedelta(days=n)
        part = mart[pd.to_datetime(mart[dataset.date_column]).dt.date <= cut]
        package = publish_open_dataset(settings, dataset, part, gate(dataset.from_mart), others)
        if not package.get("unchanged"):
            published.append(releases.read_release(releases.latest(settings.open_data / name), name))
    assert len(published) >= 2
    key = [*spec.key]
    for before, after in itertools.pairwise(published):
        merged = before.merge(after, on=key, suffixes=("_avant", "_apres"))
        assert len(merged) == len(before)  # nothing published disappears
        for column in [c for c in before.columns if c not in (*key, "periode_close")]:
            pd.testing.assert_series_equal(  # frozen: copied verbatim, masks included
                merged[f"{column}_avant"], merged[f"{column}_apres"], check_names=False, check_dtype=False
            )
    everything = pd.concat(published)
    for column in spec.min_count_columns:
        visible = everything[column].dropna().astype(int)
        assert not ((visible > 0) & (visible < settings.k_min)).any()
        shown_once = everything.groupby(key)[column].agg(lambda v: v.notna().any() and v.isna().any())
        assert not shown_once.any()  # masked in one release, visible in another: never
    disclosure = json.loads((settings.open_data / name / "latest" / "disclosure.json").read_text(encoding="utf-8"))
    assert disclosure["audit"]["passed"] and disclosure["periods"]["frozen"]


def test_catalogue_is_rewritten_only_when_a_release_or_a_declaration_changes(tmp_path: Path) -> None:
    from orchestration.core.dcat import write_catalogue

    settings = load_settings(tmp_path, require_key=False)
    dataset = open_datasets()[HEALTH]
    mart, _ = synthetic_table_marts(dataset, days=30)
    publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart))
    first = write_catalogue(settings.open_data, force=False)
    assert not first["unchanged"] and first["datasets"] == 1
    stamp = first["turtle"].stat().st_mtime_ns
    assert write_catalogue(settings.open_data, force=False)["unchanged"]
    assert first["turtle"].stat().st_mtime_ns == stamp
    publish_open_dataset(settings, dataset, synthetic_table_marts(dataset, days=45)[0], gate(dataset.from_mart))
    assert not write_catalogue(settings.open_data, force=False)["unchanged"]  # a new version is listed


CELLS = "accidents-corporels-carreaux-200m-annee"


def cell_marts(years: dict[int, int], seed: int = 5) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Cells of three quartiers, mostly small counts, per BAAC year; the quartier totals beside them."""
    rng = np.random.default_rng(seed)
    rows = []
    for year, cells in years.items():
        for q in range(3):
            for c in range(cells):
                count = int(rng.poisson(9) if c % 4 == 0 else rng.poisson(1.5))
                rows.append(
                    {
                        "perimetre": f"BAAC simulé {year}",
                        "carreau_200m": f"CRS3035RES200mN22{q}{c:02d}00E39000",
                        "code_quartier": f"13208{q:02d}",
                        "nb_accidents": count,
                    }
                )
    cells_mart = pd.DataFrame(rows)
    totals = cells_mart.groupby(["perimetre", "code_quartier"], as_index=False)["nb_accidents"].sum()
    totals["nb_accidents"] += totals.index % 2  # one accident of a straddling cell counted in the next quartier
    return cells_mart, {"securite_routiere_accidents_quartier": totals}


def attacker_remainders(published: pd.DataFrame, totals: pd.DataFrame) -> pd.Series:
    """What an attacker derives per quartier and year: its published total minus the cells listed."""
    listed = published.groupby(["perimetre", "code_quartier"])["nb_accidents"].sum()
    known = totals.set_index(["perimetre", "code_quartier"])["nb_accidents"]
    return (known.reindex(listed.index) - listed).dropna()


def test_cells_are_listed_only_where_neither_they_nor_their_quartier_remainder_is_small() -> None:
    dataset = open_datasets()[CELLS]
    mart, others = cell_marts({2024: 12})
    table, disclosure, _ = tables.build_table_release(mart, dataset, K, None, others=others)
    assert len(table) and (table["nb_accidents"] >= K).all() and (table["diffusion"] == PUBLISHED).all()
    remainders = attacker_remainders(table, others["securite_routiere_accidents_quartier"])
    assert not ((remainders > 0) & (remainders < K)).any(), remainders
    own = mart.groupby(["perimetre", "code_quartier"])["nb_accidents"].sum()
    rest = own.reindex(remainders.index) - table.groupby(["perimetre", "code_quartier"])["nb_accidents"].sum()
    assert not ((rest > 0) & (rest < K)).any()
    assert disclosure["rows_not_listed"] == len(mart) - len(table) and disclosure["audit"]["nests"] >= 1


def test_cells_three_releases_reveal_no_small_count(tmp_path: Path) -> None:
    """Day N (2024 closed), N+3 (2025 delivered), N+4 (late 2024 accidents): no small count recoverable."""
    dataset = open_datasets()[CELLS]
    settings = load_settings(tmp_path, require_key=False)
    first, others_n = cell_marts({2024: 12})
    both, others_n3 = cell_marts({2024: 12, 2025: 12})
    late = both.copy()
    late.loc[late["perimetre"].str.contains("2024"), "nb_accidents"] += 1  # late corrections of a closed year
    late_totals = late.groupby(["perimetre", "code_quartier"], as_index=False)["nb_accidents"].sum()
    states = [(first, others_n), (both, others_n3), (late, {"securite_routiere_accidents_quartier": late_totals})]
    releases_seen, totals_seen = [], []
    for mart, others in states:
        package = publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart), others)
        releases_seen.append(releases.read_release(releases.latest(settings.open_data / CELLS), CELLS))
        totals_seen.append(others["securite_routiere_accidents_quartier"])
    assert package.get("unchanged")  # day N+4: 2025 already published, 2024 never revised
    assert len(releases_seen[0]) and len(releases_seen[1]) > len(releases_seen[0])
    frozen = releases_seen[0].set_index(["perimetre", "carreau_200m"])["nb_accidents"]
    assert releases_seen[1].set_index(["perimetre", "carreau_200m"])["nb_accidents"].reindex(frozen.index).equals(frozen)
    everything = pd.concat(releases_seen)
    assert ((everything["nb_accidents"] >= settings.k_min) | (everything["nb_accidents"] == 0)).all()
    for published in releases_seen:  # against every total ever published, late ones included
        for totals in totals_seen:
            remainders = attacker_remainders(published, totals)
            assert not ((remainders > 0) & (remainders < settings.k_min)).any(), remainders


def test_catalogue_and_register_are_assets_that_a_refused_release_cannot_skip() -> None:
    """Their own assets, rebuilt after any release, with no dependency edge a failed step would skip."""
    from orchestration.factories.publication import CATALOGUE_KEY, REGISTER_KEY, build_publication_assets, open_data_key

    assets = {key: a for a in build_publication_assets() for key in a.keys}
    for key in (CATALOGUE_KEY, REGISTER_KEY):
        asset = assets[key]
        assert not list(asset.asset_deps[key])  # no edge: a refused release elsewhere never skips it
        condition = asset.automation_conditions_by_key[key]
        assert condition.get_label() == "after_any_open_data_release"
    for dataset in open_datasets().values():  # every release is one of its triggers
        assert open_data_key(dataset) in assets
    events = assets[open_data_key(open_datasets()[EVENTS])]
    deps = {k.path[-1] for k in events.asset_deps[open_data_key(open_datasets()[EVENTS])]}
    assert deps == {"securite_evenements_prevision_heure", "securite_evenements_exces_heure"}  # joined mart read too


def test_cells_geojson_has_one_closed_square_per_listed_cell_in_marseille(tmp_path: Path) -> None:
    """The cells' GeoJSON: one feature per published row, a closed WGS 84 ring around Marseille, the row as properties."""
    from orchestration.core.opendata.formats import write_geojson

    dataset = open_datasets()[CELLS]
    mart, others = cell_marts({2024: 12})
    # Real Marseille cells (the synthetic ids above only need to be distinct): a 200 m grid walk.
    ids = {
        cell: f"CRS3035RES200mN{2240000 + 200 * (i // 20)}E{3940000 + 200 * (i % 20)}"
        for i, cell in enumerate(mart["carreau_200m"].unique())
    }
    mart["carreau_200m"] = mart["carreau_200m"].map(ids)
    table, _, _ = tables.build_table_release(mart, dataset, K, None, others=others)
    path = tmp_path / "cells.geojson"
    assert write_geojson(table, dataset, path)
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert len(features) == len(table) > 0
    for feature, row in zip(features, table.to_dict(orient="records"), strict=True):
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        assert 4.9 < min(lons) < max(lons) < 5.8 and 42.9 < min(lats) < max(lats) < 43.7  # the Marseille area
        # A 200 m square: about 0.0025 degrees of longitude and 0.0018 of latitude at 43° N.
        assert 0.002 < max(lons) - min(lons) < 0.003 and 0.0015 < max(lats) - min(lats) < 0.0021
        assert feature["properties"]["carreau_200m"] == row["carreau_200m"]
        assert feature["properties"]["nb_accidents"] == row["nb_accidents"]
