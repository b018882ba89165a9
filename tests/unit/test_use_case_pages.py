"""Pure helpers of the generic use-case pages: what a chart aggregates, what a map colours."""

from __future__ import annotations

import pandas as pd
import pytest

from apps.observatoire.use_case import chart_frame, quartier_values


def test_counts_are_summed_and_rates_averaged_per_x() -> None:
    table = pd.DataFrame({"jour": ["a", "a", "b"], "flux": ["p", "q", "p"], "n": [1, 2, 3], "taux": [0.1, 0.3, 0.5]})
    assert chart_frame(table, {"x": "jour", "y": "n"}).to_dict("list") == {"jour": ["a", "b"], "n": [3, 3]}
    assert chart_frame(table, {"x": "jour", "y": "taux"})["taux"].round(6).tolist() == [0.2, 0.5]
    assert len(chart_frame(table, {"x": "jour", "y": "n", "color": "flux"})) == 3


def test_a_view_naming_a_missing_column_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="colonnes absentes"):
        chart_frame(pd.DataFrame({"jour": [1]}), {"x": "jour", "y": "nb"})


def test_quartier_values_keep_floats_for_ratios() -> None:
    table = pd.DataFrame({"code_quartier": ["1", "1", "2"], "irr": [1.0, 3.0, 2.0]})
    out = quartier_values(table, "irr").set_index("code_quartier")["nb_incidents"]
    assert out.to_dict() == {"1": 2.0, "2": 2.0}


def test_filters_are_collected_once_and_booleans_offer_true_first() -> None:
    from apps.observatoire.use_case import filter_columns, filter_options

    views = ({"kind": "bar", "filter": ["planifie", "evenement_id"]}, {"kind": "table", "filter": ["planifie"]}, {"kind": "line"})
    assert filter_columns(views) == ["planifie", "evenement_id"]
    table = pd.DataFrame({"planifie": [False, True, False], "evenement_id": ["b", "a", None]})
    assert filter_options(table, "planifie") == [True, False]
    assert filter_options(table, "evenement_id") == ["a", "b"]


def test_a_quartier_without_a_value_is_left_out_of_the_map_not_crashing_it() -> None:
    from apps.observatoire.charts import colour_for

    table = pd.DataFrame({"code_quartier": ["1", "2"], "irr": [1.5, float("nan")]})
    assert quartier_values(table, "irr")["code_quartier"].tolist() == ["1"]
    assert colour_for(float("nan"), 2.0) == colour_for(0, 2.0)
