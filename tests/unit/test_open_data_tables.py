"""Open datasets made of a mart's rows (kind: table): per-row minimum count, known group totals, releases."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

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
            rows.append({
                "perimetre": "BAAC 2018 réel", "facteur": factor, "modalite": level, "libelle_modalite": level,
                "modalite_reference": "ref", "type_ratio": "rapport_de_comptes", "nb_evenements": count,
                "nb_evenements_reference": reference, "exposition": None, "exposition_reference": None,
                "unite_exposition": "aucune (comptes)", "ratio": count / reference, "ic_bas": 0.5 * count / reference,
                "ic_haut": 1.5 * count / reference, "methode": "rapport des nombres d'accidents",
            })
    return pd.DataFrame(rows)


def test_every_table_dataset_names_only_declared_columns() -> None:
    declared = [d for d in open_datasets().values() if d.kind == "table"]
    assert {FACTORS, EVENTS, HEALTH} <= {d.dataset for d in declared}
    for dataset in declared:
        tables.check_declaration(dataset)
        assert dataset.table is not None and len(dataset.table.disclosure_rule) > 80  # the why is said


def test_factor_table_masks_small_rows_and_a_partner_against_the_known_total() -> None:
    dataset = open_datasets()[FACTORS]
    mart = factor_rows({
        "eclairage": [("1", 50, 400), ("2", 3, 400), ("3", 40, 400)],  # one small row: a partner is masked too
        "velo": [("1", 2, 400)],  # a single small row: the known total gives it away, withheld
        "intersection": [("1", 50, 3), ("2", 60, 3)],  # small reference: every row masked
        "meteo_declaree": [("1", 0, 300), ("2", 80, 300)],  # a zero is published
    })
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
