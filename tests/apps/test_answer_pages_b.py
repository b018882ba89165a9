"""The answer-first pages of night life, school surroundings and public space (issue 11), through
AppTest on a lake the real pipeline published.

Each test checks that the answer elements exist and carry the published values: the first place
of a ranked list is the mart's top row, a forest plot's rows are the mart's rows with their
bounds, conflicts are counted (never distances summed), every map has a legend. The oracles read
the gold Delta tables directly, at the version named by their publication record.

The lake is the session's ``pipeline_lake`` (three simulated weeks); while developing, point
``OBSERVATOIRE_TEST_PUBLISHED_LAKE`` at a lake already built with ``observatoire run``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from apps.formatting import fr_date, fr_hour, fr_int, fr_measure
from apps.observatoire.answers import abords_scolaires, espace_public, vie_nocturne
from apps.observatoire.components import interval_text, quartier_label
from orchestration.core.catalog import use_cases
from tests.apps.answer_pages import published, run_page

RAW_WORDS = ("True", "False", "None", "NaN", "nan", "NaT")


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_lake(published_pipeline_lake: Path) -> Path:
    """The real pipeline's lake, or ``$OBSERVATOIRE_TEST_PUBLISHED_LAKE`` (tests/apps/conftest.py)."""
    return published_pipeline_lake


def charts(at: AppTest) -> dict[str, list[pd.DataFrame]]:
    """Every Vega-Lite chart of the page by title, with its datasets as DataFrames."""
    found: dict[str, list[pd.DataFrame]] = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        title = spec.get("title")
        title = title.get("text") if isinstance(title, dict) else title
        frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in element.proto.datasets if d.data.data]
        found[str(title)] = frames
    return found


def chart_rows(at: AppTest, title_start: str, column: str) -> pd.DataFrame:
    """The dataset holding ``column`` of the chart whose title starts with ``title_start``."""
    for title, frames in charts(at).items():
        if title.startswith(title_start):
            for frame in frames:
                if column in frame.columns:
                    return frame
    raise AssertionError(f"no chart titled « {title_start}… » with a {column!r} column: {list(charts(at))}")


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first st.dataframe holding all of ``columns``."""
    for element in at.dataframe:
        if all(c in element.value.columns for c in columns):
            return element.value
    raise AssertionError(f"no table with {columns}: {[list(d.value.columns) for d in at.dataframe]}")


def page_text(at: AppTest) -> str:
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "metric")
    parts = [str(getattr(e, "value", "")) + " " + str(getattr(e, "label", "")) for k in kinds for e in getattr(at, k)]
    parts += [" ".join(map(str, d.value.columns)) + " " + d.value.astype(str).to_string() for d in at.dataframe]
    return "\n".join(parts)


def assert_french_and_legended(at: AppTest) -> None:
    """No Python or pandas word on the page, and one legend per map."""
    text = page_text(at)
    leaked = [w for w in RAW_WORDS if re.search(rf"(?<!\w){w}(?!\w)", text)]
    assert not leaked, leaked
    legends = [t for t in charts(at) if t.startswith("Légende")]
    assert len(legends) == len(at.get("deck_gl_json_chart")) > 0


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ----------------------------------------------------------------------------------------------
# Night life
# ----------------------------------------------------------------------------------------------


def test_night_life_page_answers_where_when_and_why(published_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(published_lake, "vie_nocturne", monkeypatch)
    zones = published(published_lake, "vie_nocturne_zones")
    every = zones[(zones["type_nuit"] == "toutes") & (zones["nb_attendu"] > 0)]
    top = every.sort_values(["irr", "ic_bas"], ascending=False).iloc[0]

    ranked = table_with(at, "Rang", "Ratio standardisé", "Intervalle à 95 %")
    # Every listed place carries its own values (labels and values come from the same row).
    by_label = {
        quartier_label(c): (irr, lo, hi)
        for c, irr, lo, hi in zip(every["code_quartier"], every["irr"], every["ic_bas"], every["ic_haut"], strict=True)
    }
    for _, line in ranked.iterrows():
        irr, lo, hi = by_label[line["Quartier"]]
        assert (line["Ratio standardisé"], line["Intervalle à 95 %"]) == (fr_measure(irr, "ratio"), interval_text(lo, hi, "ratio"))
    assert ranked.iloc[0]["Quartier"] == quartier_label(top["code_quartier"])
    assert ranked.iloc[0]["Ratio standardisé"] == fr_measure(top["irr"], "ratio")
    assert ranked.iloc[0]["Intervalle à 95 %"] == interval_text(top["ic_bas"], top["ic_haut"], "ratio")
    flagged = int(every["zone_a_probleme"].sum())
    assert any(f"{fr_int(flagged)} zone(s) à problème" in m.value for m in at.markdown) or flagged == 0

    # The data window spans the first and the last night, not the publication's date column alone.
    first, last = pd.to_datetime(zones["premiere_nuit"]).min().date(), pd.to_datetime(zones["derniere_nuit"]).max().date()
    assert any(f"nuits du {fr_date(first)} au {fr_date(last)}" in c.value and "partielles" in c.value for c in at.caption)

    # The forest plot draws exactly the factors mart's rows (with an estimate), with their bounds.
    factors = published(published_lake, "vie_nocturne_facteurs").dropna(subset=["irr"]).reset_index(drop=True)
    drawn = chart_rows(at, "Effet des facteurs", "estimation")
    assert len(drawn) == len(factors)
    for (_, row), (_, point) in zip(factors.iterrows(), drawn.iterrows(), strict=True):
        assert close(point["estimation"], row["irr"]) and close(point["bas"], row["ic_bas"]) and close(point["haut"], row["ic_haut"])
        assert row["modalite"] in point["ligne"]
    # The bootstrap ratio of excesses is not drawn as a rate ratio.
    kinds = dict(zip(drawn["ligne"], drawn["taux"], strict=True))
    assert [k for k, rate in kinds.items() if not rate] == [
        line for line, model in zip(drawn["ligne"], factors["modele"], strict=True) if not str(model).startswith("glm_poisson")
    ]
    # The hourly profile of the top quartier is drawn in the declared order of the night: every
    # hour with a ratio, a ratio of 0 included (drawn at a marked floor, see the test below).
    hours = chart_rows(at, quartier_label(top["code_quartier"]), "estimation")
    declared = use_cases()["vie_nocturne"].parameters.vie_nocturne.heures_nuit  # type: ignore[attr-defined]
    profile = published(published_lake, "vie_nocturne_profil_horaire")
    drawable = set(profile[(profile["code_quartier"] == top["code_quartier"]) & (profile["nb_attendu"] > 0)]["heure"])
    assert list(hours["ligne"]) == [f"{h}\u00a0h" for h in declared if h in drawable]
    assert_french_and_legended(at)


def test_an_hour_without_incident_appears_on_the_hourly_profile(published_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ratio of 0 has no place on a log scale: the hour is drawn at a labelled floor and named
    under the chart with the upper bound of its interval, never dropped (issue 11, left alone)."""
    profile = published(published_lake, "vie_nocturne_profil_horaire")
    zeros = profile[(profile["nb_observe"] == 0) & (profile["nb_attendu"] > 0)]
    assert not zeros.empty, "the test lake should hold a quartier-hour with nothing observed"
    code = str(zeros.sort_values(["code_quartier", "heure"]).iloc[0]["code_quartier"])
    at = run_page(published_lake, "vie_nocturne", monkeypatch)
    at.selectbox(key="vie_nocturne-quartier").set_value(code).run()
    assert not at.exception, [e.message for e in at.exception]
    drawn = chart_rows(at, quartier_label(code), "estimation")
    mine = profile[(profile["code_quartier"] == code) & (profile["nb_attendu"] > 0)]
    assert len(drawn) == len(mine)  # no hour hidden
    for _, row in mine[mine["nb_observe"] == 0].iterrows():
        hour = fr_hour(int(row["heure"]))
        point = drawn[drawn["ligne"] == hour].iloc[0]
        assert point["estimation"] == 0 and point["sorte"] == vie_nocturne.ZERO_OBSERVED
        assert close(point["haut"], row["ic_haut"]) and point["point_trace"] > 0
        bound = f"{hour} (borne haute de l'intervalle : {fr_measure(row['ic_haut'], 'ratio')})"
        assert any(vie_nocturne.ZERO_OBSERVED in c.value and bound in c.value for c in at.caption), bound


def test_hours_without_expected_activity_are_named_not_shown_as_zero() -> None:
    cfg = use_cases()["vie_nocturne"].parameters.vie_nocturne  # type: ignore[attr-defined]
    first, second, third = cfg.heures_nuit[:3]
    profile = pd.DataFrame(
        {
            "code_quartier": ["1320101"] * 3,
            "heure": [first, second, third],
            "nb_observe": [4, 0, 0],
            "nb_attendu": [2.0, 1.5, 0.0],
            "irr": [2.0, 0.0, 0.0],
            "ic_bas": [0.8, 0.0, 0.0],
            "ic_haut": [5.1, 2.46, 0.0],
        }
    )
    hours = vie_nocturne.quartier_hours(profile, "1320101", cfg)
    assert hours["sans_attendu"].tolist() == [False, False, True] and math.isnan(hours["irr"].iloc[2])
    text = vie_nocturne.unplaced_hours_text(hours)
    assert text is not None
    assert f"{fr_hour(second)} (borne haute de l'intervalle : 2,46)" in text
    assert f"faute d'activité de jour pour le calculer : {fr_hour(third)}." in text
    assert vie_nocturne.unplaced_hours_text(hours.iloc[:1]) is None


def test_evening_hour_means_count_complete_nights_only() -> None:
    cfg = use_cases()["vie_nocturne"].parameters.vie_nocturne  # type: ignore[attr-defined]
    feed, category = next((f, str(c[0])) for f, c in cfg.categories.items())
    rows = [
        # 2026-03-05 is a Thursday: its night runs to Friday morning.
        (date(2026, 3, 5), 1, date(2026, 3, 4), 4),  # small hours of the night before the data: partial
        (date(2026, 3, 5), 23, date(2026, 3, 5), 2),
        (date(2026, 3, 6), 1, date(2026, 3, 5), 1),
        (date(2026, 3, 6), 23, date(2026, 3, 6), 7),  # last day's evening: partial
        (date(2026, 3, 6), 15, date(2026, 3, 6), 9),  # daytime: not a night hour
    ]
    counts = pd.DataFrame(rows, columns=["jour", "heure", "jour_nuit", "nb_incidents"]).assign(flux=feed, code_categorie=category)
    assert vie_nocturne.complete_nights(counts) == (date(2026, 3, 5), date(2026, 3, 5))
    means = vie_nocturne.evening_hour_means(counts, cfg)
    assert int(means["nb_incidents"].sum()) == 3
    assert set(means["soir_txt"]) == {"jeudi soir"}
    assert means.loc[means["heure"] == 23, "par_nuit"].item() == 2.0


# ----------------------------------------------------------------------------------------------
# School surroundings
# ----------------------------------------------------------------------------------------------


def test_school_page_answers_how_many_which_slot_and_where(published_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(published_lake, "abords_scolaires", monkeypatch)
    effects = published(published_lake, "abords_scolaires_effets")
    reference = abords_scolaires.comparison(effects)
    head = abords_scolaires.headline(effects, reference)
    assert head is not None
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rapport de taux"] == fr_measure(head["rapport_taux"], "ratio")
    if reference != abords_scolaires.HOLIDAYS:  # a window without holidays says so
        assert any("aucune période de vacances" in w.value for w in at.warning)

    expected = effects[(effects["source"] == "ensemble") & (effects["reference"] == reference)].dropna(subset=["rapport_taux"])
    drawn = chart_rows(at, "Rapport de taux par niveau et créneau", "estimation")
    assert sorted(zip(drawn["estimation"], drawn["bas"], drawn["haut"], strict=True)) == sorted(
        zip(expected["rapport_taux"], expected["ic_bas"], expected["ic_haut"], strict=True)
    )
    assert drawn.iloc[0]["ligne"].startswith("Tous niveaux · Tous créneaux")
    assert not any(re.search(r"\b(entree|mercredi_midi|college|lycee)\b", line) for line in drawn["ligne"])

    quartiers = published(published_lake, "abords_scolaires_quartiers")
    ranking = abords_scolaires.quartier_ranking(quartiers)
    ranked, value = ranking.rows, ranking.value
    top = quartiers[(quartiers["nb_etablissements"] > 0) & (quartiers["nb_creneaux_classe"] > 0)].dropna(subset=[value])[value].max()
    listed = table_with(at, "Rang", "Intervalle à 95 %")
    assert listed.iloc[0]["Quartier"] == quartier_label(ranked.iloc[0]["code_quartier"])
    assert ranked.iloc[0][value] == top
    # The intervals shown are the ones the mart publishes (no statistics in the app).
    drawn = chart_rows(at, "Excès pour 100 créneaux" if value == "exces_pour_100_creneaux" else "Taux en période de classe", "bas")
    by_place = {quartier_label(c): (lo, hi) for c, lo, hi in zip(quartiers["code_quartier"], quartiers[ranking.low], quartiers[ranking.high], strict=True)}
    assert len(drawn) == min(len(ranked), abords_scolaires.TOP) > 0
    for _, point in drawn.iterrows():
        assert close(point["bas"], by_place[point["lieu"]][0]) and close(point["haut"], by_place[point["lieu"]][1])
    assert listed.iloc[0]["Intervalle à 95 %"].startswith("[")
    assert_french_and_legended(at)


# ----------------------------------------------------------------------------------------------
# Public space
# ----------------------------------------------------------------------------------------------


def test_public_space_page_counts_conflicts_and_measures_complaints(published_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(published_lake, "espace_public", monkeypatch)
    conflicts = published(published_lake, "espace_public_conflits")
    days = pd.to_datetime(conflicts["jour"]).dt.date

    # The day shown first, its conflicts counted one per row.
    chosen = at.selectbox(key="espace_public-jour").value
    expected = int((days == chosen).sum())
    assert any(s.value == f"{fr_int(expected)} conflit(s) le {fr_date(chosen)}" for s in at.subheader)
    assert len(table_with(at, "Première occupation", "Seconde occupation")) == expected

    # Conflicts per day are counts: the bars add up to the number of conflicts, and no chart
    # encodes a distance.
    per_day = chart_rows(at, "Conflits d'occupation par jour", "nb_conflits")
    assert int(per_day["nb_conflits"].sum()) == len(conflicts)
    for element in at.get("vega_lite_chart"):
        assert "distance_m" not in element.proto.spec

    quartiers = published(published_lake, "espace_public_quartiers")
    top = quartiers.sort_values(["nb_conflits", "nb_jours_avec_conflit"], ascending=False).iloc[0]
    listed = table_with(at, "Rang", "Quartier")
    assert listed.iloc[0]["Quartier"] == quartier_label(top["code_quartier"])
    assert listed.iloc[0].iloc[2] == fr_int(top["nb_conflits"])

    effects = published(published_lake, "espace_public_plaintes_effets").dropna(subset=["rapport_taux"])
    drawn = chart_rows(at, "Plaintes pendant l'occupation", "estimation")
    assert sorted(zip(drawn["estimation"], drawn["bas"], drawn["haut"], strict=True)) == sorted(
        zip(effects["rapport_taux"], effects["ic_bas"], effects["ic_haut"], strict=True)
    )
    assert not any(re.search(r"[A-Z]{3,}_[A-Z]", line) for line in drawn["ligne"])  # partner codes are labelled
    assert_french_and_legended(at)


def test_reference_day_is_the_next_day_with_a_conflict() -> None:
    conflicts = pd.DataFrame({"jour": [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 9)]})
    assert espace_public.reference_day(conflicts, date(2026, 3, 3)) == date(2026, 3, 9)
    assert espace_public.reference_day(conflicts, date(2026, 4, 1)) == date(2026, 3, 9)
    per_day = espace_public.conflicts_per_day(conflicts.assign(type_conflit="chantier-marche", distance_m=[120.0, 50.0, 75.0]))
    assert per_day["nb_conflits"].tolist() == [1, 2]
