"""The catalog loader: every declaration loads typed, and a broken one is refused naming file and key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from orchestration.core.catalog import (
    CATALOG_DIR,
    CatalogError,
    FeedSpec,
    UseCase,
    check_unique_marts,
    feed,
    feeds,
    load_feed,
    load_use_case,
    marts,
    open_datasets,
    use_cases,
)
from orchestration.core.catalog.parameters import PARAMETERS_BY_USE_CASE, Parameters

FEED = "police_mains_courantes"  # csv, coded columns, event_time, checks
USE_CASE = "securite_evenements"  # python marts, nested parameters, model card


def _raw(kind: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((CATALOG_DIR / kind / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _refused_feed(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(_raw("feeds", FEED))
    change(data)
    with pytest.raises(CatalogError) as refused:
        load_feed(_write(tmp_path, FEED, data))
    return str(refused.value)


def _refused_use_case(tmp_path: Path, change: Callable[[dict[str, Any]], None], name: str = USE_CASE) -> str:
    data = copy.deepcopy(_raw("use_cases", name))
    change(data)
    with pytest.raises(CatalogError) as refused:
        load_use_case(_write(tmp_path, name, data))
    return str(refused.value)


# --- every declaration loads ---------------------------------------------------------------------


def test_every_feed_declaration_loads_typed() -> None:
    files = sorted(p.stem for p in (CATALOG_DIR / "feeds").glob("*.yaml"))
    assert sorted(feeds()) == files
    for spec in feeds().values():
        assert isinstance(spec, FeedSpec)
        assert spec.file_regex.groupindex["date"]
        assert spec.retention.landing_days > 0 and spec.retention.bronze_days > 0


def test_every_use_case_declaration_loads_with_its_own_parameters_model() -> None:
    files = sorted(p.stem for p in (CATALOG_DIR / "use_cases").glob("*.yaml"))
    assert sorted(use_cases()) == files
    for uc in use_cases().values():
        assert isinstance(uc, UseCase)
        assert type(uc.parameters) is PARAMETERS_BY_USE_CASE.get(uc.name, Parameters)
        assert all(m.use_case == uc.name for m in uc.marts)
    assert set(PARAMETERS_BY_USE_CASE) <= set(use_cases()), "a parameters model for an undeclared use case"
    assert len(marts()) == sum(len(uc.marts) for uc in use_cases().values())
    assert open_datasets()


@pytest.mark.parametrize("name", sorted(p.stem for p in (CATALOG_DIR / "use_cases").glob("*.yaml")))
def test_typed_parameters_give_back_the_declaration_exactly(name: str) -> None:
    # The published model card (and the dict adapter of securite_evenements) rely on this.
    declared = _raw("use_cases", name).get("parameters", {})
    assert use_cases()[name].parameters.model_dump(mode="python") == declared


def test_feed_api_reads_typed_blocks() -> None:
    spec = feed(FEED)
    day = date(2026, 3, 2)
    assert spec.delivery_date(spec.file_name(day)) == day
    assert spec.delivery_date("not_ours.csv") is None
    assert spec.event_column is not None and spec.event_column.name == spec.event_time
    assert spec.kept_columns and all(c.privacy != "drop" for c in spec.kept_columns)
    assert spec.source_headers == tuple(c.source for c in spec.columns)
    coded = next(c for c in spec.columns if c.codes)
    assert spec.bronze_name(coded) == [coded.name, f"{coded.name}_libelle"]
    with pytest.raises(KeyError):
        spec.column("absent")


def test_declarations_are_immutable() -> None:
    with pytest.raises(pydantic.ValidationError):
        feed(FEED).format.encoding = "latin-1"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        use_cases()[USE_CASE].parameters.rayon_m = 1  # type: ignore[attr-defined]


# --- unknown keys are refused, naming file and key ----------------------------------------------


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("colour", lambda d: d.update(colour="bleu")),
        ("columns[", lambda d: d["columns"][0].update(colour="bleu")),
        ("format.colour", lambda d: d["format"].update(colour="bleu")),
        ("delivery.colour", lambda d: d["delivery"].update(colour="bleu")),
        ("retention.colour", lambda d: d["retention"].update(colour="bleu")),
    ],
)
def test_unknown_feed_key_is_refused(tmp_path: Path, where: str, change: Callable[[dict[str, Any]], None]) -> None:
    message = _refused_feed(tmp_path, change)
    assert f"{FEED}.yaml" in message and where in message and "colour" in message
    assert "Extra inputs are not permitted" in message


def test_unknown_column_key_names_the_column(tmp_path: Path) -> None:
    first = _raw("feeds", FEED)["columns"][0]["name"]
    message = _refused_feed(tmp_path, lambda d: d["columns"][0].update(colour="bleu"))
    assert f"columns[{first}].colour" in message


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("colour", lambda d: d.update(colour="bleu")),
        ("marts[securite_evenements_calendrier].colour", lambda d: d["marts"][0].update(colour="bleu")),
        ("model_card.colour", lambda d: d["model_card"].update(colour="bleu")),
        ("parameters.colour", lambda d: d["parameters"].update(colour="bleu")),
        ("parameters.doctrine.colour", lambda d: d["parameters"]["doctrine"].update(colour="bleu")),
    ],
)
def test_unknown_use_case_key_is_refused(tmp_path: Path, where: str, change: Callable[[dict[str, Any]], None]) -> None:
    message = _refused_use_case(tmp_path, change)
    assert f"{USE_CASE}.yaml: {where}: Extra inputs are not permitted" in message


def test_unknown_open_data_key_is_refused(tmp_path: Path) -> None:
    message = _refused_use_case(tmp_path, lambda d: d["open_data"][0].update(colour="bleu"), name="tranquillite_publique")
    assert "tranquillite_publique.yaml: open_data[0].colour" in message


def test_parameters_of_a_use_case_without_any_are_refused(tmp_path: Path) -> None:
    message = _refused_use_case(tmp_path, lambda d: d.update(parameters={"rayon_m": 10}), name="tranquillite_publique")
    assert "tranquillite_publique.yaml: parameters.rayon_m: Extra inputs are not permitted" in message


def test_missing_parameter_is_refused(tmp_path: Path) -> None:
    message = _refused_use_case(tmp_path, lambda d: d["parameters"]["doctrine"].pop("arrondi"))
    assert f"{USE_CASE}.yaml: parameters.doctrine.arrondi: Field required" in message


# --- wrong types are refused --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("retention.landing_days", lambda d: d["retention"].update(landing_days="beaucoup")),
        ("format.type", lambda d: d["format"].update(type="xml")),
        ("delivery.cadence", lambda d: d["delivery"].update(cadence="parfois")),
        (".type", lambda d: d["columns"][0].update(type="text")),
        (".privacy", lambda d: d["columns"][0].update(privacy="hide")),
        ("natural_key", lambda d: d.update(natural_key="id")),
    ],
)
def test_wrong_feed_type_is_refused(tmp_path: Path, where: str, change: Callable[[dict[str, Any]], None]) -> None:
    message = _refused_feed(tmp_path, change)
    assert f"{FEED}.yaml" in message and where in message


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("parameters.rayon_m", lambda d: d["parameters"].update(rayon_m="loin")),
        ("parameters.rayon_m", lambda d: d["parameters"].update(rayon_m=5000)),  # beyond the dbt search bound
        ("parameters.doctrine.arrondi", lambda d: d["parameters"]["doctrine"].update(arrondi="inferieur")),
        ("marts[securite_evenements_calendrier].publication", lambda d: d["marts"][0].update(publication="public")),
        ("marts[securite_evenements_calendrier].built_by", lambda d: d["marts"][0].update(built_by="spark")),
        ("retention_days", lambda d: d.update(retention_days="longtemps")),
    ],
)
def test_wrong_use_case_type_is_refused(tmp_path: Path, where: str, change: Callable[[dict[str, Any]], None]) -> None:
    assert f"{USE_CASE}.yaml: {where}:" in _refused_use_case(tmp_path, change)


def test_undeclared_school_window_is_refused(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["parameters"]["fenetres_par_niveau"]["ecole"]["lundi"] = ["entree", "recreation"]

    message = _refused_use_case(tmp_path, change, name="abords_scolaires")
    assert "abords_scolaires.yaml: parameters:" in message and "recreation" in message


# --- cross-field rules --------------------------------------------------------------------------


def test_natural_key_must_be_a_column(tmp_path: Path) -> None:
    message = _refused_feed(tmp_path, lambda d: d.update(natural_key=["absent"]))
    assert f"{FEED}.yaml" in message and "natural key 'absent' is not a column" in message


def test_partition_column_clash_is_refused(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["columns"][-1]["name"] = d["partition_by"]

    assert "clashes with the partition column" in _refused_feed(tmp_path, change)


def test_event_time_must_be_a_column(tmp_path: Path) -> None:
    assert "event_time 'absent' is not a column" in _refused_feed(tmp_path, lambda d: d.update(event_time="absent"))


def test_pseudonymised_column_needs_a_scope(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["columns"][0].update(privacy="pseudonymise")
        d["columns"][0].pop("pseudonym_scope", None)

    first = _raw("feeds", FEED)["columns"][0]["name"]
    message = _refused_feed(tmp_path, change)
    assert f"{FEED}.yaml: columns[{first}]:" in message and "need a pseudonym_scope" in message


def test_file_pattern_needs_a_date_group(tmp_path: Path) -> None:
    message = _refused_feed(tmp_path, lambda d: d["delivery"].update(file_pattern=r"mains_courantes_\d{8}\.csv"))
    assert "delivery.file_pattern" in message and "(?P<date>...)" in message


def test_records_path_is_for_json_only(tmp_path: Path) -> None:
    assert "records_path" in _refused_feed(tmp_path, lambda d: d["format"].update(records_path="items"))


def test_feed_name_must_match_its_file(tmp_path: Path) -> None:
    data = _raw("feeds", FEED)
    with pytest.raises(CatalogError, match="file and name must match"):
        load_feed(_write(tmp_path, "autre_flux", data))


def test_python_mart_needs_compute_and_inputs(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["marts"][1].pop("compute")

    message = _refused_use_case(tmp_path, change)
    assert f"{USE_CASE}.yaml: marts[securite_evenements_exces_heure]:" in message
    assert "a python mart needs `compute` and `inputs`" in message


def test_mart_names_are_unique_within_a_use_case(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["marts"].append(copy.deepcopy(d["marts"][0]))

    assert "mart names declared twice: ['securite_evenements_calendrier']" in _refused_use_case(tmp_path, change)


def test_mart_names_are_unique_across_use_cases() -> None:
    uc = use_cases()[USE_CASE]
    twin = uc.model_copy(update={"name": "autre_cas"})
    with pytest.raises(CatalogError, match="is declared by securite_evenements and autre_cas"):
        check_unique_marts([uc, twin])
    check_unique_marts(list(use_cases().values()))


def test_fit_quality_mart_must_be_a_mart_of_the_use_case(tmp_path: Path) -> None:
    message = _refused_use_case(tmp_path, lambda d: d["model_card"].update(fit_quality_mart="incidents_quartier_jour"))
    assert "fit_quality_mart 'incidents_quartier_jour' is not a mart of this use case" in message
