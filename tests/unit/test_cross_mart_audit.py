"""Open datasets of different marts that count the same police rows cannot be differenced.

The night-life facts by month count police rows the police interventions by month and by week count
too. Before: the night dataset counted every hour and every category, dated to the evening (an hour
before noon to the previous day), so a police month minus the night month of a daytime category is
the morning of the 1st minus the morning of the next 1st; weekly police cells bound those mornings
and a published zero week pins them: a masked cell is recovered exactly. After: the night dataset
counts its declared night hours and categories, and every release of any of the three is audited
jointly over the atoms they share (zone x code x calendar day x hour class).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from orchestration.core.catalog import feed, open_datasets
from orchestration.core.catalog.models import OpenRows
from orchestration.core.opendata import overlap, releases
from orchestration.core.opendata.joint_audit import joint_intervals
from orchestration.core.opendata.publish import feed_categories, generalise, publish_open_dataset
from orchestration.core.opendata.siblings import series
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult

MONTHLY = "interventions-police-municipale-arrondissement-mois"
WEEKLY = "interventions-police-municipale-arrondissement-semaine"
NIGHT = "vie-nocturne-faits-de-nuit-arrondissement-mois"
POLICE = "police_mains_courantes"
PROTECTION = 3


def label(feed_name: str, code: str) -> str:
    return next(c.codes[code] for c in feed(feed_name).columns if c.codes and code in c.codes)


def planted_rows(until: date) -> pd.DataFrame:
    """One quartier, 1 January - ``until`` 2024, one row per fact (feed, code, day, hour).

    Per month: 12 thefts (VOL) at 14 h on days 9-20 (the weeks holding a 1st have none), 3 noise
    calls to the police (TAP) at 23 h, 20 fights (RIX) at 23 h on days 2-21, 11 noise requests to
    Allô Mairie (BRUIT) at 23 h on days 5-15.
    """
    rows = []
    day = date(2024, 1, 1)
    while day <= until:
        d = day.day
        if 9 <= d <= 20:
            rows.append((POLICE, "VOL", day, 14))
        if d in (10, 12, 14):
            rows.append((POLICE, "TAP", day, 23))
        if 2 <= d <= 21:
            rows.append((POLICE, "RIX", day, 23))
        if 5 <= d <= 15:
            rows.append(("allo_mairie_demandes", "BRUIT", day, 23))
        day += timedelta(days=1)
    frame = pd.DataFrame(rows, columns=["flux", "code_categorie", "jour", "heure"])
    frame["categorie"] = [label(f, c) for f, c in zip(frame["flux"], frame["code_categorie"], strict=True)]
    return frame


def police_mart(rows: pd.DataFrame) -> pd.DataFrame:
    police = rows[rows["flux"] == POLICE]
    mart = police.groupby(["jour", "categorie"], as_index=False).size().rename(columns={"size": "nb_incidents"})
    return mart.assign(code_quartier="1320101", arrondissement="13201")


def night_mart(rows: pd.DataFrame) -> pd.DataFrame:
    mart = rows.groupby(["jour", "heure", "flux", "code_categorie", "categorie"], as_index=False).size().rename(columns={"size": "nb_incidents"})
    mart["jour_nuit"] = [j - timedelta(days=1) if h < 12 else j for j, h in zip(mart["jour"], mart["heure"], strict=True)]
    return mart.assign(code_quartier="1320101")


def gate(mart: str) -> GateResult:
    return GateResult(mart=mart, suite="s", success=True, evaluated_at="2024-04-01T00:00:00+00:00", statistics={}, fingerprint="f")


def published(settings, datasets) -> list:
    """Every release of each dataset, cut in the atoms common to all of them."""
    counted = overlap.countings(datasets)
    out = []
    for d in datasets:
        folder = settings.open_data / d.dataset
        out.append(series(d, [releases.read_release(v, d.dataset) for v in releases.versions(folder)], counted[d.dataset]))
    return out


def test_the_night_dataset_counts_its_declared_hours_and_categories() -> None:
    """Read from the declared parameters: a theft at 14 h and a fight at 10 h are not night-life facts."""
    night = open_datasets()[NIGHT]
    rows = planted_rows(date(2024, 1, 31))
    extra = pd.DataFrame({"flux": [POLICE], "code_categorie": ["RIX"], "jour": [date(2024, 1, 20)], "heure": [10], "categorie": [label(POLICE, "RIX")]})
    cells, _ = generalise(night_mart(pd.concat([rows, extra], ignore_index=True)), night, as_of=date(2024, 1, 31))
    january = cells[(cells["mois"] == "2024-01") & (cells["arrondissement"] == "13201")].set_index("categorie")["nb_faits"]
    assert label(POLICE, "VOL") not in january.index  # not a night-life category: not even a zero row
    assert january[label(POLICE, "RIX")] == 20 and january[label(POLICE, "TAP")] == 3
    assert january["Bruit, nuisances sonores"] == 11
    declared = overlap.parameter(night, night.rows.codes)
    assert set(feed_categories(night)) == {label(f, c) for f, codes in declared.items() for c in codes}
    assert overlap.scope(night).hours == frozenset(overlap.parameter(night, night.rows.hours))


def test_the_joint_group_joins_the_police_pair_and_the_night_dataset() -> None:
    datasets = open_datasets()
    for name, others in ((NIGHT, {MONTHLY, WEEKLY}), (MONTHLY, {WEEKLY, NIGHT}), (WEEKLY, {MONTHLY, NIGHT})):
        assert {d.dataset for d in overlap.joint_group(datasets[name])} == others
    counted = overlap.countings([datasets[MONTHLY], datasets[WEEKLY], datasets[NIGHT]])
    night = counted[NIGHT]
    # The small hours are counted on the next calendar day; 22-23 h the same day; daytime by the police only.
    assert sorted(o for _, o in night.pieces) == [0, 1]
    assert len(counted[MONTHLY].pieces) == 3 and {o for _, o in counted[MONTHLY].pieces} == {0}
    assert night.atoms[label(POLICE, "TAP")] == counted[MONTHLY].atoms[label(POLICE, "TAP")] == (f"{POLICE}:TAP",)
    # The siblings alone keep the plain programme.
    assert overlap.countings([datasets[MONTHLY], datasets[WEEKLY]]) == {MONTHLY: None, WEEKLY: None}


@pytest.mark.parametrize("cross_mart", [False, True])
def test_police_and_night_series_leak_without_the_cross_mart_audit_and_not_with_it(tmp_path: Path, cross_mart: bool) -> None:
    """Releases of the three datasets on 4 Feb, 3 Mar, 31 Mar and 7 Apr 2024 of one planted history.

    Before (the night dataset counting every hour and category, no cross-mart audit): the police
    month's masked thefts equal the published night thefts (the weeks holding a 1st are published
    zeros), and the masked fights follow. After: nothing is narrower than the protection interval.
    """
    settings = load_settings(tmp_path, require_key=False)
    police = [open_datasets()[WEEKLY], open_datasets()[MONTHLY]]
    night = open_datasets()[NIGHT]
    if not cross_mart:  # the base: every row of the night mart, audited alone
        night = night.model_copy(update={"rows": OpenRows(day_starts_at=12), "audited_with": ()})
    for days in (35, 63, 91, 98):
        rows = planted_rows(date(2024, 1, 1) + timedelta(days=days - 1))
        for d in police:
            group = None if cross_mart else [p for p in police if p is not d]
            publish_open_dataset(settings, d, police_mart(rows), gate(d.from_mart), siblings=group)
        package = publish_open_dataset(settings, night, night_mart(rows), gate(night.from_mart), siblings=None if cross_mart else [])
        if cross_mart and not package.get("unchanged"):
            joint = package["disclosure"]["joint_audit"]
            assert joint["passed"] and set(joint["cross_mart"]) == {MONTHLY, WEEKLY}
    final = joint_intervals(published(settings, [*police, night]), integer=True)
    narrow = final.narrow(PROTECTION)
    if not cross_mart:
        pinned = narrow[narrow["borne_basse"] == narrow["borne_haute"]]
        assert not pinned.empty, final.intervals.to_string()
        assert (MONTHLY, "2024-02", label(POLICE, "VOL")) in set(pinned[["dataset", "period", "category"]].itertuples(index=False, name=None))
        return
    assert len(final.intervals) > 0, "the scenario must mask cells the datasets share"
    assert narrow.empty, narrow.to_string()


def test_the_portal_says_which_datasets_the_release_was_audited_with() -> None:
    """One French sentence from the report: siblings and datasets of other marts, by their declared titles."""
    from apps.portail.dataset_view import joint_audit_sentence, masking_explanation

    night = open_datasets()[NIGHT]
    report = {"joint_audit": {"siblings": [], "cross_mart": [MONTHLY, WEEKLY], "protection_interval": 3, "extra_masked_cells": 2}}
    sentence = joint_audit_sentence(report)
    assert sentence is not None and f"« {open_datasets()[MONTHLY].title} » et « {open_datasets()[WEEKLY].title} »" in sentence
    assert "chaque case masquée garde au moins 4 valeurs possibles (2 cases ont été masquées en plus pour cela)." in sentence
    assert sentence in masking_explanation({**report, "k_min": 11, "cells": 10}, night)
    police = joint_audit_sentence({"joint_audit": {"siblings": [WEEKLY], "cross_mart": [NIGHT], "protection_interval": 3}})
    assert "d'autres périodes" in police and open_datasets()[NIGHT].title in police
    assert joint_audit_sentence({}) is None
    # A cell left narrow by earlier releases (never revised) is said, not hidden behind "every cell".
    left = joint_audit_sentence({"joint_audit": {"siblings": [WEEKLY], "protection_interval": 3, "narrow_cells": 2}})
    assert left is not None and "2 cases masquées de versions déjà publiées gardent moins de 4 valeurs possibles" in left
    assert "chaque case masquée garde" not in left


def test_every_row_scope_reads_declared_parameters_and_mart_columns() -> None:
    """``rows:`` names parameters its use case declares and columns its mart declares; ``audited_with`` names datasets of other marts."""
    from orchestration.core.catalog import marts

    datasets = open_datasets()
    for d in datasets.values():
        for other in d.audited_with:
            assert other in datasets and datasets[other].from_mart != d.from_mart, (d.dataset, other)
        if d.rows is None:
            continue
        found = overlap.scope(d)  # raises on an undeclared parameter
        assert set(found.feeds) <= set(marts()[d.from_mart].source_feeds), d.dataset
        columns = {c.name for c in marts()[d.from_mart].columns}
        assert {c for c in (d.rows.hour_column, d.rows.feed_column, d.rows.code_column) if c} <= columns, d.dataset
        if found.codes is not None:
            assert set(found.codes) <= set(found.feeds) and all(found.codes.values()), d.dataset
