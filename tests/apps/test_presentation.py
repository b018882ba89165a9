"""Pure helpers of the pages: French formats, disclosure sentence, colours, filters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from apps.formatting import arrondissement_label, fr_datetime, fr_int, fr_month
from apps.observatoire.charts import PALETTE, colour_for, counts_by_quartier, filter_incidents, top_quartiers
from apps.portail.presentation import SECRET, disclosure_sentence, period_text, preview_table, totals_for_month
from apps.published import normalise_days


def test_french_formats() -> None:
    assert fr_int(1234567) == "1\u202f234\u202f567"
    assert fr_month("2026-08") == "août 2026"
    assert fr_month("n/a") == "n/a"
    assert arrondissement_label("13201") == "1er"
    assert arrondissement_label("13216") == "16e"
    # Published timestamps are UTC; Marseille is UTC+1 in winter, UTC+2 in summer.
    assert fr_datetime(datetime(2026, 11, 22, 21, 3, tzinfo=UTC)) == "22/11/2026 à 22:03"
    assert fr_datetime(datetime(2026, 7, 1, 21, 3, tzinfo=UTC)) == "01/07/2026 à 23:03"


def test_disclosure_sentence_plural_and_singular() -> None:
    report = {"k_min": 11, "cells": 600, "primary_suppressed": 40, "secondary_suppressed": 12}
    assert disclosure_sentence(report) == ("Sur 600 cases, 40 cases masquées car inférieures à 11 ; 12 masquées en secret secondaire.")
    report = {"k_min": 5, "primary_suppressed": 1, "secondary_suppressed": 0}
    assert disclosure_sentence(report) == "1 case masquée car inférieure à 5 ; 0 masquée en secret secondaire."


def open_data_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arrondissement": ["13201", "13201", "13202", "13202"],
            "nom_arrondissement": ["Marseille 1er Arrondissement"] * 2 + ["Marseille 2e Arrondissement"] * 2,
            "mois": ["2026-01", "2026-01", "2026-01", "2026-02"],
            "categorie": ["Tapage", "Toutes natures", "Toutes natures", "Toutes natures"],
            "nb_interventions": pd.array([None, 40, 12, None], dtype="Int64"),
            "diffusion": ["masqué (secret primaire)", "publié", "publié", "masqué (secret primaire)"],
        }
    )


def test_preview_shows_secret_as_text_never_nan() -> None:
    shown = preview_table(open_data_rows())
    assert shown["Interventions"].tolist() == [SECRET, "40", "12", SECRET]
    assert shown["Mois"].tolist()[0] == "janvier 2026"
    assert period_text(open_data_rows()) == "de janvier 2026 à février 2026"
    # The package's declared coverage wins over the months that happen to have rows.
    assert period_text(open_data_rows(), {"start": "2025-12", "end": "2026-02"}) == "de décembre 2025 à février 2026"


def test_chart_totals_drop_masked_cells() -> None:
    totals = totals_for_month(open_data_rows(), "2026-01", "Toutes natures")
    assert totals["Interventions"].tolist() == [40, 12]
    assert totals_for_month(open_data_rows(), "2026-02", "Toutes natures").empty


def test_colour_scale() -> None:
    assert colour_for(0, 10)[:3] == [230, 230, 230]
    assert colour_for(10, 10)[:3] == list(PALETTE[-1])
    assert colour_for(1, 1_000)[:3] == list(PALETTE[0])


def test_filters_and_top_quartiers() -> None:
    table = pd.DataFrame(
        {
            "jour": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
            "code_quartier": ["1320101", "1320102", "1320101"],
            "nom_quartier": ["Belsunce", "Le Chapitre", "Belsunce"],
            "arrondissement": ["13201"] * 3,
            "categorie": ["A", "B", "A"],
            "nb_incidents": [3, 5, 4],
        }
    )
    rows = filter_incidents(table, date(2026, 1, 1), date(2026, 1, 2))
    assert rows["nb_incidents"].sum() == 8
    assert filter_incidents(table, date(2026, 1, 1), date(2026, 1, 3), categories=["A"])["nb_incidents"].sum() == 7
    top = top_quartiers(counts_by_quartier(table))
    assert top["Quartier"].tolist() == ["Belsunce", "Le Chapitre"]
    assert top["Incidents"].tolist() == [7, 5]
    assert round(top["Part (%)"].sum(), 6) == 100


def test_day_column_accepts_date_naive_and_aware_timestamps() -> None:
    expected = pd.to_datetime(["2026-03-02", "2026-03-03"]).tolist()
    as_dates = pd.Series([date(2026, 3, 2), date(2026, 3, 3)])
    naive = pd.Series(pd.to_datetime(["2026-03-02 00:00", "2026-03-03 00:00"]))
    # 23:30 UTC on the 1st is already the 2nd in Marseille.
    aware = pd.Series(pd.to_datetime(["2026-03-01 23:30", "2026-03-02 23:30"]).tz_localize("UTC"))
    for series in (as_dates, naive, aware):
        assert normalise_days(series).tolist() == expected
