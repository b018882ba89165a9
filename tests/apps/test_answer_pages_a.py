"""Answer-first pages (events, road safety, weak signals, health) on what the real graph published.

Each page is run through AppTest on the session ``pipeline_lake`` (three simulated weeks plus the
real 2018 BAAC extract) and its answer elements are checked against the published marts, read
independently here (Delta at the version named by the publication record): the newest alert is
shown first, the forest plots draw exactly the factors mart's rows with their bounds, the staffing
figures are the doctrine's, the gate history is not empty after the first run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from apps.formatting import fr_date, fr_int
from apps.published import NO_DATA_MESSAGE
from orchestration.core.catalog import feeds
from tests.apps.answer_pages import published, run_page

# English words and raw values that must never reach an analyst's table.
ENGLISH = {"True", "False", "true", "false", "None", "nan", "NaN", "NaT", "daily", "weekly", "monthly", "yearly", "hourly"}


@pytest.fixture(scope="module")
def lake(published_pipeline_lake: Path) -> Path:
    return published_pipeline_lake


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first dataframe shown whose headers include ``columns``."""
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise AssertionError(f"no table with columns {columns}: {[list(d.value.columns) for d in at.dataframe]}")


def charts(at: AppTest) -> list[tuple[dict, list[pd.DataFrame]]]:
    """Every Vega-Lite chart: its spec and its datasets (as Streamlit ships them)."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        data = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
        found.append((spec, data))
    return found


def answer_tables(at: AppTest, count: int) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe][:count]


def assert_french(tables: list[pd.DataFrame]) -> None:
    for table in tables:
        values = {str(v) for column in table.columns for v in table[column]}
        assert not values & ENGLISH, values & ENGLISH
        assert not any("_" in str(c) for c in table.columns), list(table.columns)  # no raw column name as a heading


# ----------------------------------------------------------------------------------------------
# Weak signals
# ----------------------------------------------------------------------------------------------


def test_weak_signals_show_the_newest_alerts_first(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anomalies = published(lake, "signaux_faibles_anomalies")
    anomalies["jour"] = pd.to_datetime(anomalies["jour"])
    alerts = anomalies[anomalies["alerte"].astype(bool)].sort_values(["jour", "score"], ascending=[False, False], kind="stable")
    at = run_page(lake, "signaux_faibles", monkeypatch)
    shown = metrics(at)
    assert shown["Dernier jour analysé"] == fr_date(anomalies["jour"].max().date())
    if alerts.empty:
        assert any("Aucune alerte" in i.value for i in at.info)
        return
    newest = alerts.iloc[0]
    assert shown["Alerte la plus récente"] == fr_date(newest["jour"].date())
    table = frame_with(at, "Jour", "Quartier", "Observé / attendu", "Score")
    assert table["Jour"].iloc[0] == fr_date(newest["jour"].date())  # the newest, not the oldest
    days = pd.to_datetime(table["Jour"], format="%d/%m/%Y")
    assert days.is_monotonic_decreasing
    assert len(table) == min(20, len(alerts))
    assert any(s.value == "Alertes des 7 derniers jours par quartier" for s in at.subheader)
    assert at.get("deck_gl_json_chart"), "the map is drawn"
    legends = [spec for spec, _ in charts(at) if str(spec.get("title", "")).startswith("Légende")]
    assert legends and legends[0]["encoding"]["x"]["title"] == "Alertes (alertes)"
    # History of the quartier of the newest alert, selected by default.
    assert at.selectbox(key="signaux-quartier").value == str(newest["code_quartier"])
    assert_french(answer_tables(at, 2))


# ----------------------------------------------------------------------------------------------
# Road safety
# ----------------------------------------------------------------------------------------------


def test_road_safety_ranks_hotspots_with_intervals_and_never_mixes_perimeters(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hotspots = published(lake, "securite_routiere_points_chauds_quartier")
    at = run_page(lake, "securite_routiere", monkeypatch)
    selector = at.selectbox(key="perimetre")
    assert "réel" in selector.value  # the real 2018 BAAC first
    for perimetre in [p for p in selector.options if p in set(hotspots["perimetre"])]:
        at.selectbox(key="perimetre").set_value(perimetre).run()
        assert not at.exception
        rows = hotspots[hotspots["perimetre"] == perimetre].sort_values("taux_lisse_km2_an", ascending=False)
        assert metrics(at)["Accidents"] == fr_int(int(rows["nb_accidents"].sum()))  # this perimeter only
        top = frame_with(at, "Rang", "Quartier", "Intervalle à 95 %")
        assert top["Quartier"].iloc[0].startswith(str(rows["nom_quartier"].iloc[0]))
        assert top["Accidents (accidents)"].iloc[0] == fr_int(int(rows["nb_accidents"].iloc[0]))
        assert not any("CRS3035" in str(v) for d in at.dataframe[:3] for v in d.value.to_numpy().ravel())
        assert len(at.get("deck_gl_json_chart")) >= 1
        assert any(str(spec.get("title", "")).startswith("Légende : Taux lissé") for spec, _ in charts(at))


def test_road_safety_forest_plots_draw_the_factors_mart_rows_with_their_bounds(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    factors = published(lake, "securite_routiere_facteurs")
    at = run_page(lake, "securite_routiere", monkeypatch)
    perimetre = at.selectbox(key="perimetre").value
    expected = factors[(factors["perimetre"] == perimetre) & factors["ratio"].notna()]
    drawn = []
    for spec, data in charts(at):
        if "Graphique en forêt" not in spec.get("description", "") or perimetre not in spec.get("description", ""):
            continue
        text = json.dumps(spec)
        assert '"type": "log"' in text  # log x scale
        assert any(layer["mark"]["type"] == "rule" and "un" in json.dumps(layer["encoding"]) for layer in spec["layer"])  # the line at 1
        rows = next(d for d in data if "ligne" in d.columns)
        drawn.append(rows)
    assert drawn, "one forest plot per factor"
    drawn_rows = pd.concat(drawn, ignore_index=True)
    assert len(drawn_rows) == len(expected)
    got = drawn_rows[["estimation", "bas", "haut"]].to_numpy(dtype=float)
    want = expected[["ratio", "ic_bas", "ic_haut"]].to_numpy(dtype=float)
    order = lambda a: a[np.lexsort(np.nan_to_num(a, nan=-1.0).T[::-1])]  # noqa: E731 - rows sorted, NaN-safe
    np.testing.assert_allclose(order(got), order(want), rtol=1e-9, equal_nan=True)
    # True rate ratios are flagged as such (filled circles); count and severity ratios are not.
    assert int(drawn_rows["taux"].sum()) == int((expected["type_ratio"] == "rapport_de_taux").sum())
    assert set(drawn_rows["sorte"]) <= {
        "Rapport de taux (exposition = temps)",
        "Rapport de comptes (sans exposition)",
        "Risque relatif de gravité",
    }
    assert at.tabs, "factors in tabs"
    assert_french([frame_with(at, "Libellé de la modalité", "IC à 95 %")])


def test_road_safety_links_lighting_outages_to_night_events(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outages = published(lake, "securite_routiere_pannes_eclairage")
    at = run_page(lake, "securite_routiere", monkeypatch)
    text = "\n".join(m.value for m in at.markdown)
    for _, row in outages.iterrows():
        assert f"**{row['perimetre']}**" in text
    outage_plots = [data for spec, data in charts(at) if str(spec.get("title", "")).startswith("Pendant une panne")]
    assert len(outage_plots) == (1 if not outages.empty else 0)


# ----------------------------------------------------------------------------------------------
# Events
# ----------------------------------------------------------------------------------------------


def test_events_page_answers_for_the_next_planned_event(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = published(lake, "securite_evenements_calendrier")
    staffing = published(lake, "securite_evenements_dispositif")
    forecast = published(lake, "securite_evenements_prevision_heure")
    at = run_page(lake, "securite_evenements", monkeypatch)
    planned = calendar[calendar["planifie"].astype(bool) & (calendar["code_statut"] != "ANNULE")].sort_values("debut_local")
    if planned.empty:
        assert any("Aucun événement à venir" in i.value for i in at.info)
        at.toggle(key="evenements-passes").set_value(True).run()
        assert not at.exception
        planned = calendar[calendar["code_statut"] != "ANNULE"].sort_values("debut_local", ascending=False)
    event = planned.iloc[0]
    assert at.selectbox(key="evenement").value == event["evenement_id"]
    venue = event["lieu"] if isinstance(event["lieu"], str) and event["lieu"] else event["code_lieu"]
    assert any(str(venue) in s.value for s in at.subheader)  # the event by name...
    assert any(fr_date(pd.Timestamp(event["debut_local"]).date()) in s.value for s in at.subheader)  # ...and date
    rows = staffing[staffing["evenement_id"] == event["evenement_id"]]
    if not rows.empty:
        assert metrics(at)["Agents au plus fort"] == fr_int(int(rows["agents"].max()))
        assert metrics(at)["Barrières"] == fr_int(int(rows["barrieres"].max()))
        timeline = [data for spec, data in charts(at) if "Chronologie des agents" in spec.get("description", "")]
        assert timeline and len(timeline[0][0]) == len(rows)
    expected = forecast[forecast["evenement_id"] == event["evenement_id"]]
    if not expected.empty:
        table = frame_with(at, "Source", "Surcroît à l'heure du pic")
        assert sorted(table["Source"]) == sorted(feeds()[s].title for s in expected["source"].unique())
        band = [data for spec, data in charts(at) if "intervalle de prévision" in spec.get("description", "")]
        assert band and {"exces_bas", "exces_haut"} <= set(band[0][0].columns)  # the interval is drawn
    assert any(s.value == "Événements comparables sur lesquels la prévision s'appuie" for s in at.subheader)
    assert any(s.value == "La prévision fait-elle mieux que la règle naïve ?" for s in at.subheader)
    quality = published(lake, "securite_evenements_qualite")
    if (quality["indicateur"] == "backtest_mae_session_modele").any():
        assert "Erreur par journée, règle naïve" in frame_with(at, "Source", "Verdict").columns
    else:
        assert any("rétro-évaluation" in i.value for i in at.info)


# ----------------------------------------------------------------------------------------------
# Health
# ----------------------------------------------------------------------------------------------


def test_health_page_has_freshness_volumes_reasons_and_a_gate_history_after_the_first_run(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = published(lake, "sante_flux_jour")
    at = run_page(lake, "sante_observatoire", monkeypatch)
    shown = metrics(at)
    freshness = frame_with(at, "Flux", "Cadence", "Dernière période livrée", "Statut")
    assert len(freshness) == len(feeds())
    assert set(freshness["Flux"]) == {f.title for f in feeds().values()}
    assert_french([freshness])
    assert "0 h" not in set(freshness["Âge des données"])  # an open period says so, it is not "0 h" old
    assert shown["Lignes en quarantaine"] == fr_int(int(days["lignes_quarantaine"].sum()))
    assert shown["Lignes lues"] == fr_int(int(days["lignes_lues"].sum()))
    # The gate history: every verdict the gates recorded, already after the first run.
    recorded = list((lake / "quality").glob("*/history/*.json"))
    assert recorded
    assert shown["Contrôles enregistrés"] == fr_int(len(recorded))
    assert any(
        "Verdicts des contrôles qualité" in spec.get("description", "") or "Verdicts" in str(spec.get("title", ""))
        for spec, _ in charts(at)
    )
    reasons = frame_with(at, "Flux", "Motif")
    assert not reasons["Motif"].str.contains("_").any()  # reason codes shown by their declared label


@pytest.mark.parametrize("name", ["securite_evenements", "securite_routiere", "signaux_faibles", "sante_observatoire"])
def test_answer_pages_on_an_empty_lake_say_there_is_no_data(name: str, empty_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(empty_lake, name, monkeypatch)
    assert any(NO_DATA_MESSAGE in i.value or "Aucun contrôle" in i.value for i in at.info)
    assert not at.get("vega_lite_chart") and not at.get("deck_gl_json_chart")
