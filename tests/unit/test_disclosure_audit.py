"""The attacker's audit: no masked or small count can be recovered from everything published."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.core.catalog import open_datasets
from orchestration.core.disclosure import (
    MASKED,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    DisclosureError,
    attacker_intervals,
    audit_release,
    earlier_knowledge,
    margins_with_one_mask,
    protect,
    suppress,
)
from orchestration.core.opendata import releases
from orchestration.core.opendata.periods import is_closed, period_bounds, period_labels
from orchestration.core.opendata.publish import publish_open_dataset
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult

K = 11
GROUP = ["zone", "mois"]


def cells(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["zone", "mois", "categorie", "n"])


def intervals(table: pd.DataFrame, earlier: dict | None = None, solver: str = "auto") -> dict[str, tuple[float, float]]:
    found = attacker_intervals(table, GROUP, "categorie", "n", "Total", K, earlier, solver=solver)
    return {r.categorie: (r.borne_basse, r.borne_haute) for r in found.itertuples()}


def test_audit_sees_what_labels_give_away() -> None:
    """With primary/secondary labels in the file, x + y = 15 pins x to [1, 4]: the labels leak."""
    table, _ = suppress(cells([("a", "01", "x", 3), ("a", "01", "y", 12), ("a", "01", "z", 40)]), GROUP, "categorie", "n", "Total", K)
    assert dict(zip(table["categorie"], table["diffusion"], strict=True))["y"] == SECONDARY
    assert intervals(table)["x"] == (1.0, 4.0) and intervals(table)["y"] == (11.0, 14.0)
    # One label for every mask (what the open files show): x is anywhere in [1, 14].
    table["diffusion"] = table["diffusion"].replace({PRIMARY: MASKED, SECONDARY: MASKED})
    assert intervals(table)["x"] == (1.0, 14.0)


def test_earlier_release_pins_a_masked_cell() -> None:
    table, _ = suppress(cells([("a", "01", "x", 3), ("a", "01", "y", 12), ("a", "01", "z", 40)]), GROUP, "categorie", "n", "Total", K)
    table["diffusion"] = MASKED
    before = cells([("a", "01", "y", 12)]).assign(periode_close=True)
    known = earlier_knowledge([before], [*GROUP, "categorie"], "n")
    assert intervals(table, known)["x"] == (3.0, 3.0)  # y = 12 published earlier: x = 15 - 12
    partial = before.assign(periode_close=False)  # an open period only gives a lower bound
    assert intervals(table, earlier_knowledge([partial], [*GROUP, "categorie"], "n"))["x"] == (1.0, 3.0)


def test_protect_masks_more_until_the_interval_is_wide_enough() -> None:
    rows = [("a", "01", "x", 1), ("a", "01", "y", 11), ("a", "01", "z", 60), ("a", "01", "w", 70)]
    table, report = protect(cells(rows), GROUP, "categorie", "n", "Total", K, protection_interval=3,
                            published_labels={PUBLISHED: PUBLISHED, PRIMARY: PRIMARY, SECONDARY: SECONDARY})
    # With labels, x + y = 12 gives x in [1, 1]: one more cell (z) must be masked.
    assert report.audit["extra_masking_rounds"] >= 1
    assert set(table.loc[table["n"].isna(), "categorie"]) >= {"x", "y", "z"}
    found = attacker_intervals(table, GROUP, "categorie", "n", "Total", K)
    assert (found["borne_haute"] - found["borne_basse"] >= 3).all()


def test_protect_refuses_when_an_earlier_release_already_told() -> None:
    known = {("a", "01", "x"): (2.0, 2.0)}
    with pytest.raises(DisclosureError, match="attacker's audit failed"):
        protect(cells([("a", "01", "x", 2), ("a", "01", "y", 30)]), GROUP, "categorie", "n", "Total", K, 3, known)


def test_linprog_matches_the_closed_form_on_random_groups() -> None:
    """One margin over non-negative cells: each masked cell lies in [max(1, R - sum of the others' highs), R - (m - 1)]."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        counts = rng.integers(0, 40, size=6)
        rows = [("a", "01", f"c{i}", int(n)) for i, n in enumerate(counts)]
        table, _ = protect(cells(rows), GROUP, "categorie", "n", "Total", K, 3)
        masked = table[table["n"].isna() & (table["categorie"] != "Total")]
        total_masked = table.loc[table["categorie"] == "Total", "n"].isna().item()
        found = intervals(table)
        # Same answer from the closed form and from scipy's linprog, labels published or not.
        assert found == intervals(table, solver="linprog")
        labelled, _ = suppress(cells(rows), GROUP, "categorie", "n", "Total", K)
        assert intervals(labelled) == intervals(labelled, solver="linprog")
        if total_masked or masked.empty:
            continue
        rest = int(table.loc[table["categorie"] == "Total", "n"].item()) - int(table.loc[table["n"].notna() & (table["categorie"] != "Total"), "n"].sum())
        for cat in masked["categorie"]:
            assert found[cat] == (1.0, float(rest - (len(masked) - 1)))


def test_periods_close_only_once_over() -> None:
    days = pd.Series(pd.to_datetime(["2026-03-01", "2026-03-02", "2026-12-31"]))
    assert period_labels(days, "week").tolist() == ["2026-W09", "2026-W10", "2026-W53"]
    assert period_bounds("2026-W10", "week") == (date(2026, 3, 2), date(2026, 3, 8))
    assert not is_closed("2026-03", "month", date(2026, 3, 30)) and is_closed("2026-03", "month", date(2026, 3, 31))
    assert is_closed("2018", "year", date(2018, 12, 31))


# --- three releases of a lake: day N, N + 3, N + 4 -----------------------------------------------

START = date(2026, 3, 2)
CATEGORIES = ["Rixe et violences sur la voie publique", "Tapage et nuisances sonores", "Vols et tentatives de vol"]


def synthetic_mart(days: int, seed: int = 5) -> pd.DataFrame:
    """Sparse small counts per quartier-day-category, like incidents_quartier_jour (many below k)."""
    rng = np.random.default_rng(seed)
    quartiers = ["1320101", "1320102", "1320201", "1320301", "1321601"]
    rows = []
    for d in range(days):
        for q in quartiers:
            for c in CATEGORIES:
                n = int(rng.poisson(1.2))
                if n:
                    rows.append((START + timedelta(days=d), q, q[:5], c, n))
    return pd.DataFrame(rows, columns=["jour", "code_quartier", "arrondissement", "categorie", "nb_incidents"])


def gate() -> GateResult:
    return GateResult(mart="incidents_quartier_jour", suite="s", success=True, evaluated_at="2026-04-01T00:00:00+00:00", statistics={}, fingerprint="f")


@pytest.mark.parametrize("level", ["day", "week", "month"])
def test_three_releases_reveal_no_masked_or_small_count(tmp_path: Path, level: str) -> None:
    base = open_datasets()["interventions-police-municipale-arrondissement-mois"]
    dataset = base.model_copy(update={"dataset": f"essai-{level}", "temporal_level": level, "categories": tuple(CATEGORIES)})
    settings = load_settings(tmp_path, require_key=False)
    n = 27  # day N: 2026-03-28 (a Saturday); then N + 3 (Tuesday 31st: March closes) and N + 4 (1 April)
    published = []
    for days in (n, n + 3, n + 4):
        package = publish_open_dataset(settings, dataset, synthetic_mart(days), gate())
        published.append(package)
    folder = settings.open_data / dataset.dataset
    versions = releases.versions(folder)
    latest = releases.read_release(releases.latest(folder), dataset.dataset)
    period = {"day": "jour", "week": "semaine", "month": "mois"}[level]
    # Only closed periods: never April (one day old), never the week of 30 March (open on 1 April).
    assert "2026-04" not in set(latest[period]) and "2026-W14" not in set(latest[period])
    assert [v.name for v in versions] == {"day": ["2026-03-28", "2026-03-31", "2026-04-01"], "week": ["2026-W12", "2026-W13"], "month": ["2026-03"]}[level]
    groups = ["arrondissement", period]
    earlier = [releases.read_release(v, dataset.dataset) for v in versions]
    # Every version is a prefix of the next: no published cell is ever revised or masked later.
    key = [*groups, "categorie"]
    for old, new in itertools.pairwise(earlier):
        merged = old.merge(new, on=key, suffixes=("_old", "_new"))
        assert len(merged) == len(old)
        assert merged["nb_interventions_old"].equals(merged["nb_interventions_new"])
    # The attacker's audit on the last release against all of them: nothing narrower than declared.
    failing = audit_release(latest, groups, "categorie", "nb_interventions", dataset.total_label, settings.k_min, dataset.protection_interval, earlier)
    assert failing.empty
    found = attacker_intervals(latest, groups, "categorie", "nb_interventions", dataset.total_label, settings.k_min,
                               earlier_knowledge(earlier, key, "nb_interventions"))
    assert (found["borne_haute"] > found["borne_basse"]).all()
    visible = latest["nb_interventions"].dropna()
    assert not ((visible > 0) & (visible < settings.k_min)).any()
    assert margins_with_one_mask(latest, groups, "nb_interventions") == 0
    assert set(latest["diffusion"]) <= {PUBLISHED, MASKED}
    # Rerun with the same data: nothing new is written.
    assert publish_open_dataset(settings, dataset, synthetic_mart(n + 4), gate())["unchanged"] is True
    assert math.isfinite(len(versions))


def test_a_delivery_covers_its_cadence() -> None:
    from orchestration.core.opendata.publish import covered_through

    assert covered_through(date(2026, 3, 23), "daily") == date(2026, 3, 23)
    assert covered_through(date(2026, 3, 23), "weekly") == date(2026, 3, 29)
    assert covered_through(date(2026, 3, 1), "monthly") == date(2026, 3, 31)
    assert covered_through(date(2018, 1, 1), "yearly") == date(2018, 12, 31)
