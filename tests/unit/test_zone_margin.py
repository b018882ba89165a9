"""Known margins over zones: a (period, category) whose city-wide sum is public keeps no masked zone alone.

The accidents by quartier and year publish four overlapping measures (no total), while the city's
yearly count of each measure is public (ONISR's national BAAC files, the factor table): a single
masked quartier would be that count minus the published quartiers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from frictionless import validate

from orchestration.core.catalog import open_datasets
from orchestration.core.catalog.models import OpenDataset
from orchestration.core.disclosure import DisclosureError, ZoneMargin, attacker_intervals, audit_release, protect
from orchestration.core.opendata import releases
from orchestration.core.opendata.publish import publish_open_dataset, zone_margin
from orchestration.core.opendata.siblings import siblings_of
from orchestration.core.opendata.zones import quartiers
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult

K = 11
PROTECTION = 3
GROUP = ["zone", "annee"]
MARGIN = ZoneMargin("zone", None, "total de la ville publié ailleurs")
ACCIDENTS = "accidents-corporels-quartier-annee"


def grid(values: dict[tuple[str, str], int], zones: int = 6) -> pd.DataFrame:
    """Zones Z1..Zn, year 2018, measures a and b (overlapping: no total); 30 unless given."""
    rows = [(f"Z{z}", "2018", m, values.get((f"Z{z}", m), 30)) for z in range(1, zones + 1) for m in ("a", "b")]
    return pd.DataFrame(rows, columns=["zone", "annee", "mesure", "n"])


def totals(cells: pd.DataFrame) -> dict[tuple[str, ...], float]:
    """What the attacker reads elsewhere: the sum over zones of each (year, measure)."""
    return {key: float(v) for key, v in cells.groupby(["annee", "mesure"])["n"].sum().items()}


def masked(table: pd.DataFrame) -> set[tuple[str, str]]:
    return set(table.loc[table["n"].isna(), ["zone", "mesure"]].itertuples(index=False, name=None))


def test_a_single_masked_quartier_is_recovered_from_the_city_total_without_the_margin() -> None:
    cells = grid({("Z3", "a"): 4})
    before, _ = protect(cells, GROUP, "mesure", "n", None, K, PROTECTION)
    assert masked(before) == {("Z3", "a")}  # the only small cell: today's rule masks it alone
    # The attacker who knows the city's total of a finds it exactly.
    found = attacker_intervals(before, GROUP, "mesure", "n", None, K, zone_margin=MARGIN, zone_totals=totals(cells))
    assert found.iloc[0][["borne_basse", "borne_haute"]].tolist() == [4.0, 4.0]
    assert len(audit_release(before, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN, zone_totals=totals(cells))) == 1
    # With the margin declared, a partner is masked and nothing is narrower than the protection interval.
    after, report = protect(cells, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)
    assert len(masked(after)) == 2 and ("Z3", "a") in masked(after)
    assert audit_release(after, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN, zone_totals=totals(cells)).empty
    found = attacker_intervals(after, GROUP, "mesure", "n", None, K, zone_margin=MARGIN, zone_totals=totals(cells))
    assert (found["borne_haute"] - found["borne_basse"] >= PROTECTION).all()
    assert report.primary_suppressed == 1 and report.secondary_suppressed == 1
    margin = report.to_json()["known_margins"][0]
    assert margin["over"] == "zone" and margin["cells_masked_for_margin"] == 1 and margin["groups"] == 2
    assert "totaux sur les zones" in report.audit["attacker"] and "connu par ailleurs" in report.method


def test_the_partner_is_the_smallest_published_zone_ties_by_code_whatever_the_row_order() -> None:
    cells = grid({("Z3", "a"): 4, ("Z5", "a"): 15, ("Z2", "a"): 15, ("Z6", "a"): 16})
    first, _ = protect(cells, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)
    assert masked(first) == {("Z3", "a"), ("Z2", "a")}
    for seed in range(3):
        shuffled = cells.sample(frac=1, random_state=seed).reset_index(drop=True)
        again, _ = protect(shuffled, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)
        assert masked(again) == masked(first)


def test_a_narrow_pair_gets_a_third_zone() -> None:
    """Two masked zones (1 and 2) whose remainder is 3: each in [1, 2], too narrow; a third zone is masked."""
    cells = grid({("Z1", "a"): 1, ("Z2", "a"): 2})
    table, report = protect(cells, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)
    assert masked(table) == {("Z1", "a"), ("Z2", "a"), ("Z3", "a")}  # all others 30: ties by code
    assert report.audit["extra_masking_rounds"] == 1
    assert audit_release(table, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN, zone_totals=totals(cells)).empty


def test_without_a_published_non_zero_zone_the_whole_group_is_withheld() -> None:
    """b is 2 in Z4 and 0 elsewhere: any masked zones would add up to the public 2; all of b is masked."""
    cells = grid({**{(f"Z{z}", "b"): 0 for z in range(1, 7)}, ("Z4", "b"): 2})
    table, report = protect(cells, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)
    assert masked(table) == {(f"Z{z}", "b") for z in range(1, 7)}
    found = attacker_intervals(table, GROUP, "mesure", "n", None, K, zone_margin=MARGIN, zone_totals=totals(cells))
    assert set(map(tuple, found[["borne_basse", "borne_haute"]].to_numpy().tolist())) == {(0.0, 2.0)}  # only the public sum
    margin = report.to_json()["known_margins"][0]
    assert margin["groups_withheld"] == 1 and margin["zero_cells_masked"] == 5 and margin["cells_masked_for_margin"] == 5
    assert margin["cells_capped_by_known_total"] == 6  # [0, 2] is the best any release can do
    assert report.primary_suppressed == 1 and report.secondary_suppressed == 5


def test_both_margins_are_iterated_until_stable_and_audited_together() -> None:
    """With a published total per (zone, year) too: no group of either margin keeps a single mask."""
    rows = [(f"Z{z}", "2018", m, 30 + z) for z in range(1, 5) for m in ("x", "y", "z")]
    cells = pd.DataFrame(rows, columns=["zone", "annee", "categorie", "n"])
    cells.loc[(cells["zone"] == "Z2") & (cells["categorie"] == "x"), "n"] = 5
    margin = ZoneMargin("zone", None, "connu")
    table, report = protect(cells, GROUP, "categorie", "n", "Total", K, PROTECTION, zone_margin=margin)
    shown = table.rename(columns={"categorie": "mesure"})
    per_zone = shown.groupby("zone")["n"].apply(lambda s: int(s.isna().sum()))
    per_category = shown.groupby("mesure")["n"].apply(lambda s: int(s.isna().sum()))
    assert not (per_zone == 1).any() and not (per_category == 1).any()
    known = {k: float(v) for k, v in table.assign(n=cells_with_totals(cells)).groupby(["annee", "categorie"])["n"].sum().items()}
    failing = audit_release(table, GROUP, "categorie", "n", "Total", K, PROTECTION, zone_margin=margin, zone_totals=known)
    assert failing.empty
    assert report.to_json()["known_margins"][0]["cells_masked_for_margin"] >= 1


def cells_with_totals(cells: pd.DataFrame) -> list[int]:
    """The true counts in :func:`protect`'s row order (cells, then one total per group)."""
    sums = cells.groupby(GROUP, sort=False)["n"].sum()
    return [*cells["n"], *sums]


def test_a_zone_margin_over_a_single_zone_is_refused() -> None:
    cells = grid({("Z1", "a"): 4}, zones=1)
    with pytest.raises(DisclosureError, match="single zone"):
        protect(cells, GROUP, "mesure", "n", None, K, PROTECTION, zone_margin=MARGIN)


def test_without_a_declared_margin_the_report_keeps_its_shape() -> None:
    _, report = protect(grid({("Z3", "a"): 4}), GROUP, "mesure", "n", None, K, PROTECTION)
    assert "known_margins" not in report.to_json()


# Every open dataset without a declared known zone margin, and why (reviewed). A new dataset fails
# the test below until it declares ``known_margins`` or is reviewed here.
REVIEWED_WITHOUT_ZONE_MARGIN = {
    "accidents-corporels-carreaux-200m-annee": (
        "kind: table, no zone grid to mask: listed carreaux are never masked, the rest of each quartier is 0 or >= k "
        "(nested_in). Caveat for the quartier dataset: listed carreaux bound a quartier's total from below; a quartier "
        "masked for the zone margin in 'Tous accidents corporels' would get that bound (not in its audit; none on the "
        "test lake: its zone-margin masks are only in 'Accidents impliquant un vélo')."
    ),
    "accidents-corporels-facteurs-annee": (
        "kind: table; its rows of one (year, factor, ratio type) add up to the city's yearly total, which the audit "
        "already treats as known (table.group_columns)."
    ),
    "abords-scolaires-incidents-arrondissement-annee": (
        "the city-wide yearly count of incidents near schools during the entry/exit slots is published nowhere else "
        "(the feed counts of sante-observatoire-* are all rows of a feed, all hours, all places)."
    ),
    "espace-public-conflits-arrondissement-semaine": (
        "conflicts are pairs of occupations the observatory computes; no city-wide weekly count of them is published "
        "elsewhere (and they describe works, markets and events, no person)."
    ),
    "evenements-publics-arrondissement-mois": (
        "no other dataset publishes the city-wide monthly count of events by type; events are public happenings, not persons."
    ),
    "evenements-publics-faits-attendus-observes-jour": "kind: table (one row per event and day), no zone grid and no total.",
    "interventions-police-municipale-arrondissement-mois": (
        "no city-wide police count is published: per feed, the health datasets publish deliveries and a quarantine "
        "rate rounded to the percent, never the feed's lines (test_no_feed_line_count_is_published)."
    ),
    "interventions-police-municipale-arrondissement-semaine": (
        "no city-wide police count is published: a daily delivery holds that day's events, so a feed's weekly lines "
        "would be the sum over arrondissements of 'Toutes natures'; the health datasets therefore publish per feed "
        "only deliveries and a quarantine rate rounded to the percent (test_no_feed_line_count_is_published)."
    ),
    "sante-observatoire-fraicheur-quarantaine-flux-semaine": (
        "kind: table, commune level, unmasked technical metadata: deliveries and a rounded rate, no line count."
    ),
    "sante-observatoire-lignes-flux-semaine": (
        "commune level: one zone, whose sum over zones is the cell itself (technical metadata); lines of all "
        "feeds together, no feed's own total."
    ),
    "sante-observatoire-quarantaine-par-flux-semaine": (
        "commune level: one zone; per feed, deliveries only (no line count: test_no_feed_line_count_is_published)."
    ),
    "vie-nocturne-faits-de-nuit-arrondissement-mois": (
        "the city-wide monthly count of night facts by category is published nowhere else (feed counts are all hours, "
        "all categories, by delivery week)."
    ),
}


def test_every_open_dataset_declares_its_known_zone_margin_or_is_reviewed() -> None:
    declared = {name for name, d in open_datasets().items() if d.known_margins}
    assert ACCIDENTS in declared
    assert not declared & set(REVIEWED_WITHOUT_ZONE_MARGIN), "declared and reviewed as not declared"
    assert set(open_datasets()) - declared == set(REVIEWED_WITHOUT_ZONE_MARGIN), "a new open dataset: review its zone margins"
    for name in declared:
        assert zone_margin(open_datasets()[name]) is not None
        # The joint audit of sibling series (other period grids) does not know zone margins yet.
        assert not siblings_of(open_datasets()[name]), f"{name}: a zone margin on a dataset with siblings is not audited jointly"


def test_a_zone_margin_needs_several_zones() -> None:
    base = open_datasets()["sante-observatoire-lignes-flux-semaine"].model_dump()
    with pytest.raises(ValueError, match="several zones"):
        OpenDataset(**{**base, "known_margins": [{"over": "zone", "reason": "x"}]})
    accidents = open_datasets()[ACCIDENTS].model_dump()
    with pytest.raises(ValueError, match="unknown categories"):
        OpenDataset(**{**accidents, "known_margins": [{"over": "zone", "categories": ["Accidents de jour"], "reason": "x"}]})


def accidents_mart() -> pd.DataFrame:
    """Two BAAC years over the 111 quartiers: in 2025, one quartier alone under k in every accident,
    two under k in serious ones, night accidents only in one quartier (2), bicycles everywhere >= k."""
    codes = sorted(quartiers())
    rows = []
    for year in (2024, 2025):
        for i, code in enumerate(codes):
            rows.append(
                {
                    "perimetre": f"BAAC {year}",
                    "code_quartier": code,
                    "nb_accidents": 20 + i % 7,
                    "nb_accidents_graves": 12,
                    "nb_accidents_nuit": 0,
                    "nb_accidents_velo": 15,
                }
            )
    mart = pd.DataFrame(rows)
    y25 = mart["perimetre"] == "BAAC 2025"
    mart.loc[y25 & (mart["code_quartier"] == codes[5]), "nb_accidents"] = 4
    mart.loc[y25 & mart["code_quartier"].isin(codes[10:12]), "nb_accidents_graves"] = [3, 5]
    mart.loc[y25 & (mart["code_quartier"] == codes[20]), "nb_accidents_nuit"] = 2
    return mart


def test_the_accidents_release_reports_and_applies_its_zone_margin(tmp_path: Path) -> None:
    dataset = open_datasets()[ACCIDENTS]
    settings = load_settings(tmp_path, require_key=False)
    gate = GateResult(
        mart=dataset.from_mart,
        suite=dataset.from_mart,
        success=True,
        evaluated_at="2026-01-01T00:00:00+00:00",
        statistics={},
        fingerprint="x",
    )
    mart = accidents_mart()
    publish_open_dataset(settings, dataset, mart[mart["perimetre"] == "BAAC 2024"], gate)  # 2024 first, then frozen
    started = time.process_time()
    package = publish_open_dataset(settings, dataset, mart, gate)
    cpu = time.process_time() - started
    assert package["version"] == "2025" and package["disclosure"]["periods"]["frozen"] == ["2024"]
    folder = settings.open_data / ACCIDENTS / "latest"
    report = validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    disclosure = json.loads((folder / "disclosure.json").read_text(encoding="utf-8"))
    assert disclosure == json.loads(json.dumps(package["disclosure"], default=str))
    (margin,) = disclosure["known_margins"]
    assert margin["over"] == "zone" and "ONISR" in margin["reason"] and "ONISR" in disclosure["method"]
    assert margin["frozen_groups_with_one_mask_not_revisable"] == 0
    # 2025: every accident 1 partner; serious 0 (two masked, wide enough); night withheld whole (110 zeros); bicycles none.
    assert margin["cells_masked_for_margin"] == 1 + 110 and margin["groups_withheld"] == 1
    assert disclosure["primary_suppressed"] == 1 + 2 + 1 and disclosure["secondary_suppressed"] == 111
    assert disclosure["audit"]["passed"] and "totaux sur les zones" in disclosure["audit"]["attacker"]
    table = releases.read_release(folder.resolve(), ACCIDENTS)
    year = table[table["annee"] == "2025"]
    assert year.groupby("type_accident")["nb_accidents"].apply(lambda s: int(s.isna().sum())).to_dict() == {
        "Accidents de nuit": 111,
        "Accidents graves": 2,
        "Accidents impliquant un vélo": 0,
        "Tous accidents corporels": 2,
    }
    assert table[table["annee"] == "2024"]["nb_accidents"].notna().all()
    # Re-audited from the published file and the public city totals: nothing narrower than the protection interval.
    cells = mart.melt(
        id_vars=["perimetre", "code_quartier"], value_vars=list(dataset.measures.values()), var_name="colonne", value_name="n"
    )
    cells["annee"] = cells["perimetre"].str[-4:]
    cells["type_accident"] = cells["colonne"].map({v: k for k, v in dataset.measures.items()})
    known = {key: float(v) for key, v in cells.groupby(["annee", "type_accident"])["n"].sum().items()}
    failing = audit_release(
        table,
        ["code_quartier", "annee"],
        "type_accident",
        "nb_accidents",
        None,
        11,
        dataset.protection_interval,
        zone_margin=zone_margin(dataset),
        zone_totals=known,
    )
    assert failing.empty, failing
    assert cpu < 30  # the audit of 888 cells is cheap (closed form per (year, measure))


def test_no_feed_line_count_is_published() -> None:
    """A feed's weekly lines are the city total of what other datasets publish by zone: never per feed.

    Lines of one feed per week would be a known zone margin of the police datasets (a daily delivery
    holds that day's events). Per feed, the health datasets publish deliveries and a quarantine rate
    rounded to the percent, which cannot be turned back into its counts.
    """
    lines = {"lignes_lues", "lignes_ecrites", "lignes_quarantaine"}
    checked = []
    for name, dataset in open_datasets().items():
        per_feed = dataset.breakdown_column == "flux" or dataset.category_column == "flux"
        if not per_feed:
            continue
        checked.append(name)
        published = set((dataset.measures or {}).values()) | ({dataset.count_column} - {None})
        if dataset.table is not None:
            published |= set(dataset.table.columns)
            for rate, (numerator, denominator) in dataset.table.rates.items():
                if rate in dataset.table.columns and {numerator, denominator} & lines:
                    assert dataset.table.rate_decimals <= 2, f"{name}: {rate} to more than the percent gives its counts back"
        assert not published & lines, f"{name} publishes a feed's line counts: {sorted(published & lines)}"
    # The two per-feed health datasets were found (a renamed column would otherwise pass vacuously).
    assert {"sante-observatoire-quarantaine-par-flux-semaine", "sante-observatoire-fraicheur-quarantaine-flux-semaine"} <= set(checked)
