"""The joint attacker's audit: one mart's counts published by month and by ISO week cannot be differenced."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.core.catalog import open_datasets
from orchestration.core.disclosure import attacker_intervals, protect
from orchestration.core.opendata import overlap, releases
from orchestration.core.opendata.joint_audit import Series, joint_intervals, time_blocks
from orchestration.core.opendata.periods import period_bounds, period_column, period_labels
from orchestration.core.opendata.publish import feed_categories, publish_open_dataset
from orchestration.core.opendata.siblings import series, sibling_groups, siblings_of
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult
from tests.unit.lineage import dbt_manifest, lineage_feeds

K = 11
PROTECTION = 3
COLUMN = {"week": "semaine", "month": "mois"}


def daily(start: date, end: date, quiet_week: int | None = 5, quiet_day: date = date(2024, 2, 1)) -> pd.DataFrame:
    """x = 2, y = 2, z = 3 a day in one zone; in ISO week ``quiet_week`` x happens twice, on ``quiet_day`` only."""
    rows = []
    day = start
    while day <= end:
        for category, n in (("x", 2), ("y", 2), ("z", 3)):
            if category == "x" and day.isocalendar().week == quiet_week:
                n = 2 if day == quiet_day else 0
            rows.append((day, "Z1", category, n))
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["jour", "zone", "categorie", "n"])


def naive_release(days: pd.DataFrame, level: str) -> pd.DataFrame:
    """One series protected on its own (primary, secondary, its own attacker's audit): today's path without siblings."""
    column = COLUMN[level]
    cells = days.assign(**{column: period_labels(days["jour"], level)}).groupby(["zone", column, "categorie"], as_index=False)["n"].sum()
    table, _ = protect(cells, ["zone", column], "categorie", "n", "Total", K, PROTECTION)
    return table


def as_series(name: str, level: str, *tables: pd.DataFrame) -> Series:
    return Series(name, level, COLUMN[level], ("zone",), "categorie", "n", "Total", tables)


def interval(found: pd.DataFrame, period: str, category: str) -> tuple[float, float]:
    row = found[(found["period"] == period) & (found["category"] == category)].iloc[0]
    return row["borne_basse"], row["borne_haute"]


def test_aligned_run_recovers_a_masked_week_that_each_series_alone_protects() -> None:
    """1 January - 31 March 2024 = ISO weeks 1-13: the months of x add up to its weeks."""
    days = daily(date(2024, 1, 1), date(2024, 3, 31))
    weeks, months = naive_release(days, "week"), naive_release(days, "month")
    masked = weeks[weeks["n"].isna()]
    assert set(masked["semaine"]) == {"2024-W05"} and set(masked["categorie"]) == {"x", "y"}
    assert months["n"].notna().all()
    # The per-dataset audit (one series, its own margins): x in W05 looks protected.
    alone = attacker_intervals(weeks, ["zone", "semaine"], "categorie", "n", "Total", K)
    assert (alone["borne_haute"] - alone["borne_basse"] >= PROTECTION).all()
    # Combined with the months: x = 2 and y = 14 exactly.
    joint = joint_intervals([as_series("w", "week", weeks), as_series("m", "month", months)])
    assert interval(joint.intervals, "2024-W05", "x") == (2.0, 2.0)
    assert interval(joint.intervals, "2024-W05", "y") == (14.0, 14.0)
    assert len(joint.narrow(PROTECTION)) == 2
    assert joint.blocks == [(date(2024, 1, 1), date(2024, 3, 31))]
    # The MIP agrees (the LP bounds are attained by integers here).
    assert joint_intervals([as_series("w", "week", weeks), as_series("m", "month", months)], integer=True).intervals.equals(joint.intervals)


def test_a_non_aligned_run_gives_bounded_intervals() -> None:
    """February - March 2024 (1 February is a Thursday): W05 straddles January, which is not published."""
    days = daily(date(2024, 1, 29), date(2024, 3, 31), quiet_week=7, quiet_day=date(2024, 2, 14))
    weeks = naive_release(days, "week")
    months = naive_release(days[days["jour"] >= pd.Timestamp(2024, 2, 1).date()], "month")
    assert set(weeks.loc[weeks["n"].isna(), "semaine"]) == {"2024-W07"}
    joint = joint_intervals([as_series("w", "week", weeks), as_series("m", "month", months)])
    # x over Feb-Mar = W06..W13 (W07 masked) + the 1-4 February part of W05 (f, unknown: January is
    # not published): W07's x = 10 - f. The z series pins W05's February part of z, the totals pin
    # W05's February part of x + y to 16, so f is in [2, 14] and W07's x in [1, 8]: bounded, not pinned.
    low, high = interval(joint.intervals, "2024-W07", "x")
    assert (low, high) == (1.0, 8.0)
    assert joint.narrow(PROTECTION).empty
    assert joint.blocks == [(date(2024, 1, 29), date(2024, 3, 31))]


def test_blocks_split_at_a_monday_that_is_a_first() -> None:
    """Weeks and months of January - June 2024 split at 1 April (a Monday); the audit per block is exact."""
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    weeks = [f"2024-W{w:02d}" for w in range(1, 27)]
    spans = [period_bounds(m, "month") for m in months] + [period_bounds(w, "week") for w in weeks]
    assert time_blocks(spans) == [(date(2024, 1, 1), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 6, 30))]
    # Without April's first week the second half is weeks only, May-June months straddling nothing else.
    assert time_blocks([period_bounds("2024-02", "month"), period_bounds("2024-W05", "week"), period_bounds("2024-W09", "week")]) == [
        (date(2024, 1, 29), date(2024, 3, 3))
    ]
    # Two quarters at once equal each quarter audited alone: no constraint crosses 1 April.
    days = pd.concat([daily(date(2024, 1, 1), date(2024, 3, 31)), daily(date(2024, 4, 1), date(2024, 6, 30), quiet_week=16, quiet_day=date(2024, 4, 17))])
    whole = joint_intervals([as_series("w", "week", naive_release(days, "week")), as_series("m", "month", naive_release(days, "month"))])
    assert whole.blocks == [(date(2024, 1, 1), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 6, 30))]
    parts = []
    for start, end in whole.blocks:
        part = days[(days["jour"] >= start) & (days["jour"] <= end)]
        parts.append(joint_intervals([as_series("w", "week", naive_release(part, "week")), as_series("m", "month", naive_release(part, "month"))]).intervals)
    assert pd.concat(parts, ignore_index=True).equals(whole.intervals)
    # Restricted to the blocks a release touches.
    second = joint_intervals([as_series("w", "week", naive_release(days, "week")), as_series("m", "month", naive_release(days, "month"))], within=[period_bounds("2024-05", "month")])
    assert second.blocks == [(date(2024, 4, 1), date(2024, 6, 30))] and set(second.intervals["period"]) == {"2024-W16"}


def test_an_earlier_release_outside_the_shared_block_is_ignored() -> None:
    """A first weekly release of 2023 weeks only: nothing of it in the 2024 block, the audit still runs."""
    days = daily(date(2024, 1, 1), date(2024, 3, 31))
    weeks, months = naive_release(days, "week"), naive_release(days, "month")
    old = naive_release(daily(date(2023, 12, 25), date(2023, 12, 31), quiet_week=None), "week")
    joint = joint_intervals([as_series("w", "week", old, weeks), as_series("m", "month", months)], within=[period_bounds("2024-03", "month")])
    assert interval(joint.intervals, "2024-W05", "x") == (2.0, 2.0)


# --- the publication path -------------------------------------------------------------------------

MONTHLY = "interventions-police-municipale-arrondissement-mois"
WEEKLY = "interventions-police-municipale-arrondissement-semaine"


def gate(mart: str) -> GateResult:
    return GateResult(mart=mart, suite="s", success=True, evaluated_at="2024-04-01T00:00:00+00:00", statistics={}, fingerprint="f")


def synthetic_counts_mart(dataset_name: str, start: date, days: int, seed: int = 11, rates: tuple[float, ...] = (2.0, 1.0, 0.3)) -> pd.DataFrame:
    """Sparse small counts per quartier and day for a counts dataset's mart, built from its declaration.

    Columns: its day column, quartier and arrondissement, its breakdown (two values) if any, and
    either its category and count columns or one column per declared measure, at one daily rate per
    category (or measure): weekly counts of the rarest fall below k, monthly ones mostly do not.
    The first ``days`` days of one fixed 120-day history: later releases see the same earlier days.
    """
    d = open_datasets()[dataset_name]
    cut, days = days, 120
    rng = np.random.default_rng(seed)
    quartiers = ["1320101", "1320102", "1320201"]
    breakdowns = ["a", "b"] if d.breakdown_column else [None]
    frames = []
    for category, rate in zip([None] if d.measures else feed_categories(d), rates, strict=False):
        for value in breakdowns:
            for q in quartiers:
                frame = pd.DataFrame({d.date_column: [start + timedelta(days=i) for i in range(days)], "code_quartier": q, "arrondissement": q[:5]})
                if d.breakdown_column:
                    frame[d.breakdown_column] = value
                if d.measures:
                    for column, measure_rate in zip(d.measures.values(), [*rates, *rates], strict=False):
                        frame[column] = rng.poisson(measure_rate, size=days)
                else:
                    frame[d.category_column] = category
                    frame[d.count_column or "_n"] = rng.poisson(rate, size=days)
                    frame = frame[frame[d.count_column or "_n"] > 0]
                    if d.count_column is None:  # one row per fact
                        frame = frame.loc[frame.index.repeat(frame.pop("_n"))]
                frames.append(frame)
    mart = pd.concat(frames, ignore_index=True)
    return mart[mart[d.date_column] < start + timedelta(days=cut)].reset_index(drop=True)


def published_series(settings, names: list[str]) -> list[Series]:
    out = []
    for name in names:
        folder = settings.open_data / name
        out.append(series(open_datasets()[name], [releases.read_release(v, name) for v in releases.versions(folder)]))
    return out


def test_every_declared_sibling_pair_is_audited_jointly_by_the_publication_path(tmp_path: Path) -> None:
    """Found from the declarations; each group's releases (interleaved, Jan - Mar 2024) pass the joint audit.

    A sibling group declared tomorrow is picked up here: it must be published through the path that
    audits it jointly, its reports name the siblings, and no masked cell of any of them is narrow.
    """
    groups = sibling_groups()
    assert (MONTHLY, WEEKLY) in groups  # today's pair, found without a hand list
    for group in groups:
        datasets = [open_datasets()[name] for name in group]
        for d in datasets:
            assert {s.dataset for s in siblings_of(d)} == set(group) - {d.dataset}
        settings = load_settings(tmp_path / group[0], require_key=False)
        start = date(2024, 1, 1)
        # Releases on 21 Jan, 4 Feb, 3 Mar, 31 Mar and 7 Apr 2024, each dataset in turn.
        for days in (21, 35, 63, 91, 98):
            mart = synthetic_counts_mart(group[0], start, days)
            for d in datasets:
                package = publish_open_dataset(settings, d, mart, gate(d.from_mart))
                if package.get("unchanged"):
                    continue
                joint = package["disclosure"]["joint_audit"]
                assert joint["passed"] and set(joint["siblings"]) == set(group) - {d.dataset}
                on_disk = (settings.open_data / d.dataset / "latest" / "disclosure.json").read_text(encoding="utf-8")
                assert "joint_audit" in on_disk
        # Everything published, audited at once, with an integer attacker: nothing narrow.
        final = joint_intervals(published_series(settings, list(group)), integer=True)
        assert final.intervals.shape[0] > 0, "the scenario must mask cells the siblings share"
        narrow = final.narrow(max(d.protection_interval for d in datasets))
        assert narrow.empty, narrow.to_string()


def planted_mart(days: int) -> pd.DataFrame:
    """:func:`daily`'s pattern (W05 of 2024 quiet in one category) as the police mart of one quartier."""
    monthly = open_datasets()[MONTHLY]
    names = dict(zip(["x", "y", "z"], feed_categories(monthly), strict=False))
    frame = daily(date(2024, 1, 1), date(2024, 1, 1) + timedelta(days=days - 1))
    frame = frame[frame["n"] > 0]
    return pd.DataFrame({
        monthly.date_column: frame["jour"], "code_quartier": "1320101", "arrondissement": "13201",
        monthly.category_column: frame["categorie"].map(names), monthly.count_column: frame["n"],
    })


@pytest.mark.parametrize("joint", [False, True])
def test_interleaved_releases_leak_without_the_joint_audit_and_not_with_it(tmp_path: Path, joint: bool) -> None:
    """Weekly and monthly releases on 21 Jan, 4 Feb, 3 Mar, 31 Mar and 7 Apr 2024 of one planted history.

    Each series alone passes its own audit; together, without the joint audit, W05's masked count is
    pinned (1 January - 31 March is an aligned run). With it, the monthly release of March masks
    more of its new cells, and nothing is pinned; earlier releases are untouched.
    """
    settings = load_settings(tmp_path, require_key=False)
    datasets = [open_datasets()[WEEKLY], open_datasets()[MONTHLY]]
    for days in (21, 35, 63, 91, 98):
        for d in datasets:
            package = publish_open_dataset(settings, d, planted_mart(days), gate(d.from_mart), siblings=None if joint else [])
            if not package.get("unchanged"):
                assert ("joint_audit" in package["disclosure"]) == joint
    final = joint_intervals(published_series(settings, [MONTHLY, WEEKLY]), integer=True)
    narrow = final.narrow(PROTECTION)
    if not joint:
        assert set(narrow["period"]) == {"2024-W05"} and narrow["borne_basse"].eq(narrow["borne_haute"]).all()
        return
    assert narrow.empty and len(final.intervals) > 2
    latest = json.loads((settings.open_data / MONTHLY / "latest" / "disclosure.json").read_text(encoding="utf-8"))
    assert latest["version"] == "2024-03" and latest["joint_audit"]["extra_masked_cells"] >= 1
    assert latest["joint_audit"]["narrow_cells"] == 0 and latest["joint_audit"]["blocks"] == [["2024-01-01", "2024-03-31"]]
    # The weeks, published before, are what they were: the monthly release took the extra masks.
    weeks = [releases.read_release(v, WEEKLY) for v in releases.versions(settings.open_data / WEEKLY)]
    for old, new in itertools.pairwise(weeks):
        merged = old.merge(new, on=["arrondissement", "semaine", "categorie"], suffixes=("_old", "_new"))
        assert merged["nb_interventions_old"].equals(merged["nb_interventions_new"])


def _release_a_sibling_gives_away() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A mart whose March count of one category in 13201 is 2, its January-February monthly release,
    and every week published in full (a hand-made legacy release): March's masked count is their difference."""
    from orchestration.core.disclosure import PUBLISHED
    from orchestration.core.opendata.publish import build_open_dataset, generalise

    weekly, monthly = open_datasets()[WEEKLY], open_datasets()[MONTHLY]
    mart = synthetic_counts_mart(MONTHLY, date(2024, 1, 1), 91)
    thefts = (mart["categorie"] == feed_categories(monthly)[0]) & (mart["arrondissement"] == "13201") & (mart["jour"] >= date(2024, 3, 1))
    mart = pd.concat([mart[~thefts], mart[thefts].head(2).assign(nb_incidents=1)], ignore_index=True)
    january_february, _, _ = build_open_dataset(mart[mart["jour"] < date(2024, 3, 1)], monthly, K, siblings=[])
    cells, groups = generalise(mart, weekly)
    totals = cells.groupby(groups, as_index=False)["nb_interventions"].sum().assign(categorie=weekly.total_label)
    weeks = pd.concat([cells, totals], ignore_index=True).assign(diffusion=PUBLISHED)
    return mart, january_february, weeks


def test_a_release_that_cannot_hide_what_a_sibling_gives_away_is_refused() -> None:
    """Weeks published in full, January and February already out: March's masked count of a category
    is their difference, whatever else March masks. Refused, siblings named."""
    from orchestration.core.disclosure import DisclosureError
    from orchestration.core.opendata.publish import build_open_dataset

    mart, january_february, weeks = _release_a_sibling_gives_away()
    with pytest.raises(DisclosureError, match=f"joint attacker's audit with {WEEKLY} failed.*13201 2024-03"):
        build_open_dataset(
            mart, open_datasets()[MONTHLY], K, previous=january_february.assign(periode_close=True),
            earlier=[january_february.assign(periode_close=True)], siblings=[(open_datasets()[WEEKLY], [weeks.assign(periode_close=True)])],
        )


def test_a_refused_release_names_its_version_and_writes_nothing(tmp_path: Path) -> None:
    """The same refusal through the publisher, its siblings' releases read from the lake: the error
    carries the refused version (for the record the asset keeps) and nothing reaches the folder."""
    from orchestration.core.disclosure import DisclosureError

    settings = load_settings(tmp_path, require_key=False)
    mart, january_february, weeks = _release_a_sibling_gives_away()
    for name, version, table in ((MONTHLY, "2024-02", january_february), (WEEKLY, "2024-W13", weeks)):
        folder = releases.dataset_folder(settings.open_data, name)
        staging = folder / ".staging"
        staging.mkdir(parents=True)
        table.to_parquet(staging / f"{name}.parquet", index=False)
        releases.install(staging, folder, version)
    before = sorted(p.relative_to(tmp_path) for p in settings.open_data.rglob("*"))
    with pytest.raises(DisclosureError, match=f"joint attacker's audit with {WEEKLY}.*failed.*13201 2024-03") as refused:
        publish_open_dataset(settings, open_datasets()[MONTHLY], mart, gate("incidents_quartier_jour"))
    assert refused.value.release == "2024-03"
    assert sorted(p.relative_to(tmp_path) for p in settings.open_data.rglob("*")) == before


def test_the_report_names_siblings_and_the_narrowest_interval(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, require_key=False)
    mart = synthetic_counts_mart(MONTHLY, date(2024, 1, 1), 91)
    publish_open_dataset(settings, open_datasets()[WEEKLY], mart, gate("incidents_quartier_jour"))
    package = publish_open_dataset(settings, open_datasets()[MONTHLY], mart, gate("incidents_quartier_jour"))
    joint = package["disclosure"]["joint_audit"]
    assert joint["siblings"] == [WEEKLY]
    assert joint["cells_audited"] > 0 and joint["blocks"] == [["2024-01-01", "2024-03-31"]]
    assert joint["min_interval_width"] is None or joint["min_interval_width"] >= PROTECTION
    assert joint["narrow_cells"] == 0
    assert period_column("month") == "mois"


def test_the_publication_asset_lets_the_declarations_name_the_siblings() -> None:
    """The Dagster asset publishes through :func:`publish_open_dataset` without overriding its siblings."""
    source = (Path(__file__).parents[2] / "orchestration" / "factories" / "publication.py").read_text(encoding="utf-8")
    calls = [line for line in source.splitlines() if "publish_open_dataset(" in line and "import" not in line]
    assert calls and not any("siblings" in line for line in calls)


def test_late_data_is_reconciled_by_the_smallest_revision() -> None:
    """Weeks released before a late row reached February: the series disagree by one; the audit still runs."""
    days = daily(date(2024, 1, 1), date(2024, 3, 31))
    weeks = naive_release(days, "week")
    late = days.copy()
    late.loc[(late["jour"] == date(2024, 2, 20)) & (late["categorie"] == "z"), "n"] += 1  # arrived after W08 was out
    months = naive_release(late, "month")
    joint = joint_intervals([as_series("w", "week", weeks), as_series("m", "month", months)])
    assert joint.revision == pytest.approx(2.0)  # one in February's z, one in its total
    assert interval(joint.intervals, "2024-W05", "x") == (2.0, 2.0)  # the leak is still found


# Pairs of open datasets whose cells can count the same source rows (same mart, or marts whose
# lineage reaches a common bronze feed or the deliveries ledger) and that are NOT audited jointly
# (siblings or ``audited_with``), each reviewed for differencing. A new such pair fails the test
# below until it is audited jointly or reviewed here; a pair audited jointly must leave this list.
SANTE = ("sante-observatoire-lignes-flux-semaine", "sante-observatoire-quarantaine-par-flux-semaine", "sante-observatoire-fraicheur-quarantaine-flux-semaine")
LEDGER_VS_FACTS = (
    "the health datasets count file lines city-wide, all feeds together (sante-observatoire-lignes-flux-semaine); per "
    "feed they publish only deliveries and a quarantine rate rounded to the percent, never a feed's lines "
    "(test_zone_margin.py::test_no_feed_line_count_is_published), since a daily delivery holds that day's events and a "
    "feed's weekly lines would be the city total of its zone datasets. All-feed lines are dated by delivery and mix "
    "22 feeds, quarantined and unlocated rows: not a sum of the other dataset's cells, no masked cell is pinned."
)
EVENTS_COUNT_EVENTS = (
    "evenements-publics-arrondissement-mois counts rows of the evenements feed only (the police, fire-brigade and CSU "
    "feeds reach its mart as columns, never counted): no row of the other dataset is counted by both."
)
BAAC_FACTORS = (
    "accidents-corporels-facteurs-annee counts BAAC accidents only; police rows enter its mart as an hourly covariate "
    "(int_securite_routiere__police_heures), never as a count: no row counted by both."
)
SCHOOL_VS_NIGHT = (
    "no row counted by both: abords-scolaires counts rows in the declared school windows (abords_scolaires.fenetres, "
    "daytime), the night dataset only rows at the declared night hours (vie_nocturne.heures_nuit)."
)
SCHOOL_VS_POLICE = (
    "abords-scolaires counts police and CSU rows of its declared categories within a radius of schools during school "
    "windows, summed over both feeds and over a whole school year per arrondissement: its police share is never "
    "published, so a police cell minus it is not a count of anything published; police cells bound it only from above "
    "by a whole arrondissement's year (all hours, all places), far wider than the protection interval."
)
OBSERVED_AROUND_EVENTS = (
    "evenements-publics-faits-attendus-observes-jour publishes, per event and day, facts within a venue's radius during "
    "its window summed over police, fire brigade and CSU (1 to k-1 masked, no total by place or day): a zone's cell of "
    "the other dataset is never a sum of these rows (radius, window and three feeds mixed), so differences bound a "
    "masked cell only by a whole zone-period's count, wider than the protection interval."
)
REVIEWED_PAIRS: dict[tuple[str, str], str] = {
    ("sante-observatoire-lignes-flux-semaine", "sante-observatoire-quarantaine-par-flux-semaine"):
        "same weeks, different measures: lines of all feeds together against deliveries per feed (no line count per "
        "feed is published): no cell of one is a sum of cells of the other.",
    ("sante-observatoire-fraicheur-quarantaine-flux-semaine", "sante-observatoire-lignes-flux-semaine"):
        "the table publishes per feed deliveries, days covered and a rounded rate, no line count: nothing adds up to "
        "the city-wide lines (technical metadata).",
    ("sante-observatoire-fraicheur-quarantaine-flux-semaine", "sante-observatoire-quarantaine-par-flux-semaine"):
        "the table publishes, unmasked by declaration, the per-feed weekly deliveries the counts dataset masks below k "
        "(technical metadata on file deliveries, no person): the masks there protect nothing, and nothing about people.",
    ("abords-scolaires-incidents-arrondissement-annee", "interventions-police-municipale-arrondissement-mois"): SCHOOL_VS_POLICE,
    ("abords-scolaires-incidents-arrondissement-annee", "interventions-police-municipale-arrondissement-semaine"): SCHOOL_VS_POLICE,
    ("abords-scolaires-incidents-arrondissement-annee", "vie-nocturne-faits-de-nuit-arrondissement-mois"): SCHOOL_VS_NIGHT,
    ("abords-scolaires-incidents-arrondissement-annee", "evenements-publics-faits-attendus-observes-jour"):
        "both count police and CSU rows, each in its own small places and hours (school windows near schools; an event's "
        "window near its venue), summed over feeds; neither is a zone-period sum of the other, and a row counted by both "
        "(an incident near a school and a venue at a school window) is not separable: no difference is a published count.",
    ("abords-scolaires-incidents-arrondissement-annee", "evenements-publics-arrondissement-mois"): EVENTS_COUNT_EVENTS,
    ("abords-scolaires-incidents-arrondissement-annee", "accidents-corporels-facteurs-annee"): BAAC_FACTORS,
    ("accidents-corporels-carreaux-200m-annee", "accidents-corporels-quartier-annee"):
        "the 200 m cells nest in the quartier totals: audited by the table's declared nested margin (nested_in: a cell "
        "is listed only when its count and its quartier's remainder are 0 or >= k), see opendata/tables.py.",
    ("accidents-corporels-carreaux-200m-annee", "accidents-corporels-facteurs-annee"):
        "both count the same BAAC accidents, but the factors table is city-wide by year and modality (no zone), and its "
        "rows with a count below k are masked: a city-wide modality count minus 200 m cells (listed only where >= k) is "
        "not a cell of either; no masked count is a difference of published ones.",
    ("accidents-corporels-facteurs-annee", "accidents-corporels-quartier-annee"):
        "same BAAC accidents: the quartier grid's city-wide sum per year and type is published, and the factors table "
        "splits city-wide accidents by modality (hour, lighting, weather...), masking a row whose count or reference is "
        "below k; the two share only the city-wide yearly total, and a modality is not a quartier category: differencing "
        "them pins no masked cell.",
    ("accidents-corporels-facteurs-annee", "evenements-publics-arrondissement-mois"): EVENTS_COUNT_EVENTS,
    ("accidents-corporels-facteurs-annee", "evenements-publics-faits-attendus-observes-jour"): BAAC_FACTORS,
    ("accidents-corporels-facteurs-annee", "interventions-police-municipale-arrondissement-mois"): BAAC_FACTORS,
    ("accidents-corporels-facteurs-annee", "interventions-police-municipale-arrondissement-semaine"): BAAC_FACTORS,
    ("accidents-corporels-facteurs-annee", "vie-nocturne-faits-de-nuit-arrondissement-mois"): BAAC_FACTORS,
    ("espace-public-conflits-arrondissement-semaine", "evenements-publics-arrondissement-mois"):
        "conflicts count pairs of occupations (worksite, market, event) within 150 m on the same day at overlapping hours, "
        "by week and conflict type; the events dataset counts events by month and event type. A conflict is not an event "
        "(one event may make several conflicts or none) and neither cell is a sum of the other's: no difference is a count.",
    ("espace-public-conflits-arrondissement-semaine", "evenements-publics-faits-attendus-observes-jour"):
        "the table counts police, fire-brigade and CSU facts around events (not the event rows); conflicts count pairs of "
        "occupations: no row counted by both.",
    ("evenements-publics-arrondissement-mois", "evenements-publics-faits-attendus-observes-jour"):
        "the table lists each event day by its id, published whole (its observed facts masked from 1 to k-1), so the "
        "monthly count of events by type and arrondissement adds nothing an attacker does not already read row by row; "
        "the masked observed facts are police/fire-brigade/CSU rows the monthly dataset does not count.",
    ("evenements-publics-arrondissement-mois", "interventions-police-municipale-arrondissement-mois"): EVENTS_COUNT_EVENTS,
    ("evenements-publics-arrondissement-mois", "interventions-police-municipale-arrondissement-semaine"): EVENTS_COUNT_EVENTS,
    ("evenements-publics-arrondissement-mois", "vie-nocturne-faits-de-nuit-arrondissement-mois"): EVENTS_COUNT_EVENTS,
    ("evenements-publics-faits-attendus-observes-jour", "interventions-police-municipale-arrondissement-mois"): OBSERVED_AROUND_EVENTS,
    ("evenements-publics-faits-attendus-observes-jour", "interventions-police-municipale-arrondissement-semaine"): OBSERVED_AROUND_EVENTS,
    ("evenements-publics-faits-attendus-observes-jour", "vie-nocturne-faits-de-nuit-arrondissement-mois"): OBSERVED_AROUND_EVENTS,
}
# The health datasets read the deliveries ledger: their lines are rows of every feed.
REVIEWED_PAIRS |= {
    tuple(sorted((health, other))): LEDGER_VS_FACTS
    for health in SANTE
    for other in open_datasets()
    if other not in SANTE
}


def overlapping_pairs(manifest: dict) -> set[tuple[str, str]]:
    """Pairs of open datasets whose cells can count the same source rows, from the marts' lineage."""
    datasets = open_datasets()
    feeds = {name: lineage_feeds(manifest, d.from_mart) for name, d in datasets.items()}
    pairs = set()
    for a, b in itertools.combinations(sorted(datasets), 2):
        ledger = any(f.startswith("*") for f in feeds[a] | feeds[b])
        if datasets[a].from_mart == datasets[b].from_mart or feeds[a] & feeds[b] or ledger:
            pairs.add((a, b))
    return pairs


@pytest.fixture(scope="module")
def manifest() -> dict:
    return dbt_manifest()


def test_overlapping_pairs_are_audited_jointly_or_reviewed(manifest: dict) -> None:
    """Every pair of open datasets (all use cases) that can count the same rows is audited jointly or reviewed above."""
    pairs = overlapping_pairs(manifest)
    joint = {tuple(sorted((d.dataset, o.dataset))) for d in open_datasets().values() for o in overlap.joint_group(d)}
    assert joint <= pairs, f"audited jointly but no common source rows in the lineage: {sorted(joint - pairs)}"
    assert not joint & set(REVIEWED_PAIRS), "a pair audited jointly is still listed as reviewed"
    missing = pairs - joint - set(REVIEWED_PAIRS)
    assert not missing, f"open datasets that can count the same rows, neither audited jointly nor reviewed: {sorted(missing)}"
    assert set(REVIEWED_PAIRS) <= pairs, f"reviewed pairs that no longer overlap: {sorted(set(REVIEWED_PAIRS) - pairs)}"
    # Today's joint groups: the police pair (siblings) and the night dataset (another mart, declared).
    assert ("interventions-police-municipale-arrondissement-mois", "vie-nocturne-faits-de-nuit-arrondissement-mois") in joint


def test_same_mart_pairs_are_siblings_or_reviewed() -> None:
    """Every pair of open datasets of one mart is either audited jointly (siblings) or reviewed above."""
    by_mart: dict[str, list[str]] = {}
    for d in open_datasets().values():
        by_mart.setdefault(d.from_mart, []).append(d.dataset)
    siblings = {pair for group in sibling_groups() for pair in itertools.combinations(group, 2)}
    pairs = {tuple(sorted(p)) for names in by_mart.values() for p in itertools.combinations(names, 2)}
    assert pairs - siblings <= set(REVIEWED_PAIRS), "a new pair of open datasets shares a mart: review it for differencing"
