"""The analyst pages' building blocks: French formats, declared labels, periods, charts, maps."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from apps import formatting as fmt
from apps.observatoire import components as c
from orchestration.core.catalog.mart_schema import code_labels, data_window
from orchestration.core.geography import inside_city

NNBSP = "\u202f"


# -- formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (12345.678, 1, f"12{NNBSP}345,7"),
        (2.5, 1, "2,5"),
        (0, 2, "0,00"),
        (-1234567, 0, f"-1{NNBSP}234{NNBSP}567"),
        (None, 1, "–"),
        (float("nan"), 1, "–"),
    ],
)
def test_fr_number_uses_decimal_comma_and_narrow_spaces(value, decimals, expected) -> None:
    assert fmt.fr_number(value, decimals) == expected


def test_percentages_booleans_and_missing_values_are_french() -> None:
    assert fmt.fr_percent(0.025) == f"2,5{NNBSP}%"
    assert fmt.fr_measure(0.025, "proportion") == f"2,5{NNBSP}%"
    assert fmt.fr_bool(True) == "oui" and fmt.fr_bool(np.False_) == "non" and fmt.fr_bool(pd.NA) == "–"
    assert fmt.fr_measure(1.234, "ratio") == "1,23"
    assert fmt.fr_measure(188.7) == "189" and fmt.fr_measure(18.87) == "18,9" and fmt.fr_measure(12.0) == "12"
    assert fmt.fr_day(pd.Timestamp("2026-01-31")) == "31/01/2026" and fmt.fr_day("2026-03-05") == "05/03/2026"
    assert fmt.fr_datetime_local(datetime(2026, 3, 5, 20, 0)) == "05/03/2026 20:00"


def test_free_text_from_the_pipeline_gets_french_decimals_and_dates() -> None:
    assert fmt.fr_text("Rapport du surcroît (IC 95 % 0.32 – 3.10).") == "Rapport du surcroît (IC 95 % 0,32 – 3,10)."
    assert fmt.fr_text("de 2026-11-13 06:00 à 2026-12-03") == "de 13/11/2026 06:00 à 03/12/2026"
    assert fmt.fr_text("EVT2026-1101") == "EVT2026-1101"


def test_vega_locale_is_french() -> None:
    assert fmt.VEGA_NUMBER_LOCALE["decimal"] == ","
    assert fmt.VEGA_TIME_LOCALE["months"][0] == "janvier" and "January" not in json.dumps(fmt.VEGA_TIME_LOCALE)


# -- declarations -------------------------------------------------------------------------------


def test_labels_and_units_come_from_the_declaration() -> None:
    assert c.column_label("securite_routiere_points_chauds_quartier", "taux_lisse_km2_an") == "Taux lissé (accidents/km²/an)"
    assert c.column_label("securite_routiere_facteurs", "ratio") == "Rapport"  # ratios carry no unit in brackets
    assert c.code_label("sante_fraicheur_flux", "cadence", "daily") == "quotidienne"
    assert set(code_labels("securite_routiere_facteurs")["type_ratio"]) == {
        "rapport_de_taux",
        "rapport_de_comptes",
        "risque_relatif_gravite",
    }


def test_display_table_has_labels_french_values_and_names_not_codes() -> None:
    frame = pd.DataFrame(
        {
            "flux": ["police"],
            "cadence": ["daily"],
            "derniere_livraison": [date(2026, 1, 31)],
            "sla_heures": [26.0],
            "age_heures": [1234.5],
            "statut": ["en retard"],
        }
    )
    shown = c.display_table(frame, "sante_fraicheur_flux")
    assert list(shown.columns) == ["Flux", "Cadence", "Dernière livraison", "Délai engagé (h)", "Âge des données (h)", "Statut"]
    assert shown.iloc[0].tolist() == ["police", "quotidienne", "31/01/2026", "26", f"1{NNBSP}234", "en retard"]
    alerts = c.display_table(pd.DataFrame({"code_quartier": ["1320103"], "alerte": [True]}), "signaux_faibles_anomalies")
    assert alerts.iloc[0].tolist() == ["Noailles (1er)", "oui"]


def test_grid_cells_are_places_not_ids() -> None:
    cell = "CRS3035RES200mN2246200E3947000"
    lat, lon = c.cell_centre(cell)
    # Checked against DuckDB spatial's st_transform(EPSG:3035 -> EPSG:4326) of the cell centre.
    assert lat == pytest.approx(43.221628, abs=1e-5) and lon == pytest.approx(5.407482, abs=1e-5)
    assert inside_city(np.array([lat]), np.array([lon]))[0]
    label = c.cell_label(cell, "1320103")
    assert "CRS3035" not in label and label.startswith("Noailles (1er), carreau de 200 m")
    assert len(c.cell_polygon(cell)) == 4


# -- windows and periods ----------------------------------------------------------------------------


def test_data_window_spans_every_declared_date_column() -> None:
    """A mart dated by the end of its period must not read "du d au d" (issue 11)."""
    zones = pd.DataFrame({"premiere_nuit": [date(2026, 9, 3)] * 2, "derniere_nuit": [date(2026, 12, 3)] * 2, "code_quartier": ["a", "b"]})
    start, end = data_window(zones, "vie_nocturne_zones")
    assert c.window_text(start, end) == "du 03/09/2026 au 03/12/2026"
    assert c.window_text(date(2026, 1, 1), date(2026, 1, 1)) == "le 01/01/2026"


def test_partial_periods_are_flagged_and_hidden_by_default() -> None:
    days = pd.DataFrame({"jour": pd.date_range("2026-01-15", "2026-03-10")})
    flagged = c.flag_partial_periods(days, "jour", "month", (date(2026, 1, 15), date(2026, 3, 10)))
    labels = flagged.drop_duplicates("periode")["periode"].tolist()
    assert labels == ["janvier 2026 (partiel)", "février 2026", "mars 2026 (partiel)"]
    assert set(c.complete_periods(flagged)["periode"]) == {"février 2026"}
    weeks = c.flag_partial_periods(days, "jour", "week", (date(2026, 1, 15), date(2026, 3, 10)))
    assert weeks["periode"].iloc[0] == "semaine du 12/01/2026 (partiel)"


# -- charts and maps ------------------------------------------------------------------------------


def _factors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nom": ["Nuit", "Pluie", "Vélo"],
            "ratio": [1.8, 0.9, 2.4],
            "ic_bas": [1.2, 0.5, 0.0],
            "ic_haut": [2.6, 1.4, np.nan],
            "type_ratio": ["rapport_de_taux", "rapport_de_comptes", "risque_relatif_gravite"],
        }
    )


def test_forest_plot_draws_every_row_with_its_interval_a_rule_at_one_and_a_log_scale() -> None:
    rows = c.forest_frame(
        _factors(),
        label="nom",
        estimate="ratio",
        low="ic_bas",
        high="ic_haut",
        kind="type_ratio",
        kind_labels=code_labels("securite_routiere_facteurs")["type_ratio"],
    )
    assert rows["taux"].tolist() == [True, False, False]
    assert rows["intervalle_txt"].tolist() == ["[1,20 ; 2,60]", "[0,50 ; 1,40]", "[0,00 ; +∞]"]
    spec = c.french(c.forest_plot(rows, title="Effets")).to_dict()
    text = json.dumps(spec, ensure_ascii=False)
    assert '"type": "log"' in text and spec["config"]["locale"]["number"]["decimal"] == ","
    assert any(layer["mark"]["type"] == "rule" and "un" in json.dumps(layer["encoding"]) for layer in spec["layer"])
    drawn = next(d for d in spec["datasets"].values() if d and "ligne" in d[0])
    assert [d["ligne"] for d in drawn] == ["Nuit", "Pluie", "Vélo"]
    assert "Rapport de taux (exposition = temps)" in text and "Risque relatif de gravité" in text
    assert "strokeDash" in text and '"diamond"' in text and '"circle"' in text


def test_a_zero_ratio_is_drawn_at_a_labelled_floor_not_dropped() -> None:
    """A log scale has no 0: with ``zero_label`` such a row stays, at a floor, labelled (issue 11)."""
    frame = pd.DataFrame({"h": ["22 h", "23 h", "0 h"], "irr": [1.5, 0.0, 0.8], "lo": [1.1, 0.0, 0.4], "hi": [2.0, 0.9, 1.6]})
    rows = c.forest_frame(frame, label="h", estimate="irr", low="lo", high="hi")
    dropped = json.dumps(c.french(c.forest_plot(rows, title="Profil")).to_dict(), ensure_ascii=False)
    assert "0 incident observé" not in dropped  # the default is unchanged for other pages
    spec = c.french(c.forest_plot(rows, title="Profil", zero_label="0 incident observé")).to_dict()
    drawn = next(d for d in spec["datasets"].values() if d and "ligne" in d[0])
    assert [d["ligne"] for d in drawn] == ["22 h", "23 h", "0 h"]
    zero = next(d for d in drawn if d["ligne"] == "23 h")
    others = [d for d in drawn if d["ligne"] != "23 h"]
    # At a floor below every other value, inside the scale's domain, its interval up to its bound.
    domain = spec["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert zero["estimation"] == 0 and domain[0] < zero["point_trace"] < min(d["bas_trace"] for d in others)
    assert zero["bas_trace"] == zero["point_trace"] and zero["haut_trace"] == 0.9
    assert zero["sorte"] == "0 incident observé" and zero["intervalle_txt"] == "[0,00 ; 0,90]"
    text = json.dumps(spec, ensure_ascii=False)
    assert '"triangle-left"' in text and any(layer["mark"]["type"] == "text" for layer in spec["layer"])


def test_ranked_list_has_rank_place_value_interval_and_count_with_declared_headings() -> None:
    frame = pd.DataFrame(
        {
            "code_quartier": ["1320101", "1320103", "1320102"],
            "taux_lisse_km2_an": [10.5, 30.25, 20.0],
            "ic_bas_lisse": [8.0, 25.0, 15.0],
            "ic_haut_lisse": [13.0, 36.0, 25.5],
            "nb_accidents": [4, 12, 1500],
        }
    )
    mart = "securite_routiere_points_chauds_quartier"
    table = c.ranked_list(
        frame, mart, place="code_quartier", value="taux_lisse_km2_an", low="ic_bas_lisse", high="ic_haut_lisse", count="nb_accidents", n=2
    )
    assert list(table.columns) == [
        "Rang",
        "Quartier",
        "Taux lissé (accidents/km²/an)",
        "Intervalle à 95 %",
        "Accidents (accidents)",
    ]
    assert table.iloc[0].tolist() == [1, "Noailles (1er)", "30,2", "[25,0 ; 36,0]", "12"]
    assert table.iloc[1].tolist() == [2, "Le Chapitre (1er)", "20,0", "[15,0 ; 25,5]", f"1{NNBSP}500"]


def test_maps_are_offline_and_come_with_a_legend_naming_measure_and_unit() -> None:
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code_qua": "1320101"}, "geometry": {"type": "Point", "coordinates": [5.38, 43.30]}},
            {"type": "Feature", "properties": {"code_qua": "1320102"}, "geometry": {"type": "Point", "coordinates": [5.37, 43.30]}},
        ],
    }
    values = pd.DataFrame({"code_quartier": ["1320101"], "v": [3.5]})
    deck = c.choropleth(geojson, values, value="v", value_text=["3,5 accidents"], measure="Taux lissé", unit="accidents/km²/an")
    payload = json.dumps(json.loads(deck.to_json()), ensure_ascii=False)
    assert "Belsunce (1er)" in payload and "pas de donnée" in payload and "cartocdn" not in payload and "mapbox://" not in payload
    legend = c.french(c.legend_chart(3.5, "Taux lissé", "accidents/km²/an")).to_dict()
    assert legend["encoding"]["x"]["title"] == "Taux lissé (accidents/km²/an)"
    cells = pd.DataFrame({"carreau": ["CRS3035RES200mN2246200E3947000"], "n": [4]})
    deck = c.cells_map(cells, cell="carreau", value="n", labels=["Noailles (1er)"], value_text=["4"], measure="Accidents")
    assert "CRS3035" not in deck.to_json()
