"""Each mart's columns and grain are declared once; everything else is generated from them and checked here."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa
import pytest
from pydantic import ValidationError

from orchestration.core.catalog import dbt_sync, marts
from orchestration.core.catalog.mart_schema import (
    TABLE_SCHEMA_TYPES,
    MartColumn,
    MartShapeError,
    arrow_schema,
    check_shape,
    column_names,
    conform,
    labels,
    pandera_schema,
    table_schema,
)
from quality.gate import validate_mart

MARTS = sorted(marts())


# -- the declarations ------------------------------------------------------------------------------


def test_every_mart_declares_columns_and_a_grain_among_them() -> None:
    assert len(MARTS) == 33
    for name in MARTS:
        spec = marts()[name]
        names = [c.name for c in spec.columns]
        assert names, f"{name} declares no column"
        assert spec.grain and set(spec.grain) <= set(names), f"{name}: grain {spec.grain} not among its columns"
        assert len(set(names)) == len(names), f"{name}: duplicate column"
        assert not any(c.nullable for c in spec.columns if c.name in spec.grain), f"{name}: a grain column is nullable"


def test_labels_are_unique_short_and_french_descriptions_are_sentences() -> None:
    for name in MARTS:
        found = labels(name)
        assert len(set(found.values())) == len(found), f"{name}: two columns share a label"
        for column in marts()[name].columns:
            assert 0 < len(column.label) <= 40 and column.label != column.name, f"{name}.{column.name}: label {column.label!r}"
            assert column.description.rstrip().endswith((".", ")")), f"{name}.{column.name}: description is not a sentence"


def test_the_column_model_refuses_unknown_keys_and_types() -> None:
    with pytest.raises(ValidationError):
        MartColumn(name="x", type="string", label="X", description="X.", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        MartColumn(name="x", type="decimal", label="X", description="X.")  # type: ignore[arg-type]
    column = MartColumn(name="x", type="int", label="X", description="X.")
    with pytest.raises(ValidationError):
        column.label = "Y"  # frozen


def test_shape_checks_refuse_a_grain_outside_the_columns_and_duplicate_labels() -> None:
    a = MartColumn(name="a", type="string", label="A", description="A.")
    b = MartColumn(name="b", type="int", label="A", description="B.")
    with pytest.raises(MartShapeError, match="grain"):
        check_shape("m", ["z"], [a])
    with pytest.raises(MartShapeError, match="label"):
        check_shape("m", ["a"], [a, b])


# -- conform ---------------------------------------------------------------------------------------


def test_conform_selects_orders_and_casts_to_the_declared_types() -> None:
    mart = "sante_fraicheur_flux"
    raw = pd.DataFrame(
        {
            "extra": [1, 2],
            "evalue_le": [datetime(2026, 3, 10, 12, tzinfo=UTC)] * 2,
            "statut": ["à l'heure", "en retard"],
            "age_heures": [3, None],
            "sla_heures": [26, 26],
            "derniere_livraison": [pd.Timestamp("2026-03-09"), None],
            "cadence": ["daily", "daily"],
            "titre": ["A", "B"],
            "flux": ["a", "b"],
        }
    )
    out = conform(raw, mart)
    assert list(out.columns) == column_names(mart)
    assert out["sla_heures"].dtype == "float64" and out["age_heures"].isna().iloc[1]
    assert out["derniere_livraison"].iloc[0] == date(2026, 3, 9) and out["derniere_livraison"].iloc[1] is None
    assert str(out["evalue_le"].dtype).startswith("datetime64") and out["evalue_le"].dt.tz is not None
    assert pd.api.types.is_string_dtype(out["flux"])


def test_conform_gives_an_empty_frame_the_dtypes_of_a_full_one() -> None:
    mart = "securite_routiere_points_chauds_carreaux"
    out = conform(pd.DataFrame(columns=column_names(mart)), mart)
    assert out.empty and list(out.columns) == column_names(mart)
    assert out["nb_accidents"].dtype == "int64" and out["p_valeur"].dtype == "float64" and out["point_chaud"].dtype == bool


def test_conform_refuses_a_frame_missing_a_declared_column() -> None:
    with pytest.raises(KeyError, match="flux"):
        conform(pd.DataFrame({"titre": ["A"]}), "sante_fraicheur_flux")


def test_the_pandera_schema_accepts_a_conformed_frame_and_refuses_a_duplicate_grain() -> None:
    mart = "vie_nocturne_facteurs"
    row = {"facteur": "pluie", "modalite": "heure humide", "reference": "heure sèche", "irr": 1.2, "ic_bas": 1.0,
           "ic_haut": 1.4, "p_valeur": 0.01, "modele": "glm"}
    good = conform(pd.DataFrame([row]), mart)
    pandera_schema(mart).validate(good)
    with pytest.raises(Exception, match="facteur"):
        pandera_schema(mart).validate(conform(pd.DataFrame([row, row]), mart))


# -- generated schemas -----------------------------------------------------------------------------


@pytest.mark.parametrize("mart", MARTS)
def test_the_table_schema_of_every_mart_is_valid(mart: str) -> None:
    """Structure of a Frictionless Table Schema (frictionless itself is not installed)."""
    schema = table_schema(mart)
    assert set(schema) <= {"fields", "primaryKey", "missingValues", "foreignKeys"}
    names = [f["name"] for f in schema["fields"]]
    assert names == column_names(mart) and len(set(names)) == len(names)
    for field in schema["fields"]:
        assert field["type"] in set(TABLE_SCHEMA_TYPES.values())
        assert isinstance(field["title"], str) and field["title"] and isinstance(field["description"], str)
        assert isinstance(field["constraints"]["required"], bool)
        assert set(field) <= {"name", "type", "format", "title", "description", "constraints", "unit"}
    assert schema["primaryKey"] and set(schema["primaryKey"]) <= set(names)
    assert all(isinstance(v, str) for v in schema["missingValues"])


def test_the_arrow_schema_carries_types_nullability_and_labels() -> None:
    schema = arrow_schema("securite_routiere_accidents_quartier")
    assert schema.field("nb_annees").type == pa.int32()  # sql_type: integer
    assert schema.field("nb_accidents").type == pa.int64() and not schema.field("nb_accidents").nullable
    assert schema.field("taux_brut_km2_an").metadata[b"unit"].decode() == "accidents/km²/an"
    assert schema.metadata[b"primary_key"] == b"perimetre,code_quartier"


# -- the gate's generic expectations ---------------------------------------------------------------


def _good_fit_quality() -> pd.DataFrame:
    indicators = ["jours_fenetre", "jours_sans_score", "cellules_jours_scorees", "alertes", "alertes_pour_mille",
                  "observe_sur_attendu", "dispersion_pearson", "rappel_anomalies_injectees",
                  "fausses_alertes_pour_mille_hors_injection"]
    rows = [("donnees", name, 1.0, "jours", "Commentaire.") for name in indicators]
    return conform(pd.DataFrame(rows, columns=["perimetre", "indicateur", "valeur", "unite", "commentaire"]),
                   "signaux_faibles_qualite_modele")


def _failed(result) -> set[str]:
    return {f["expectation"] for f in result.failed}


def test_a_suite_passes_a_good_frame_and_fails_on_missing_column_null_duplicate_grain_or_wrong_type() -> None:
    mart = "signaux_faibles_qualite_modele"
    good = _good_fit_quality()
    assert validate_mart(mart, good).success

    missing = validate_mart(mart, good.drop(columns=["commentaire"]))
    assert not missing.success and "expect_table_columns_to_match_set" in _failed(missing)

    null = good.copy()
    null.loc[0, "unite"] = None
    assert "expect_column_values_to_not_be_null" in _failed(validate_mart(mart, null))

    duplicate = good.copy()
    duplicate.loc[1, "indicateur"] = duplicate.loc[0, "indicateur"]
    assert "expect_compound_columns_to_be_unique" in _failed(validate_mart(mart, duplicate))

    wrong_type = good.assign(valeur=good["valeur"].astype(str))
    assert "expect_column_values_to_be_in_type_family" in _failed(validate_mart(mart, wrong_type))


def test_dates_are_checked_by_value() -> None:
    mart = "espace_public_quartiers"
    row = {"code_quartier": "1320101", "nb_conflits": 2, "nb_jours_avec_conflit": 1, "nb_conflits_chantier_marche": 1,
           "nb_conflits_chantier_evenement": 1, "nb_conflits_evenement_marche": 0,
           "debut": date(2026, 3, 1), "fin": date(2026, 3, 2)}
    good = conform(pd.DataFrame([row]), mart)
    assert validate_mart(mart, good).success
    as_text = good.assign(debut=pd.Series(["2026-03-01"], dtype=object))
    assert "expect_column_values_to_be_in_type_family" in _failed(validate_mart(mart, as_text))


# -- dbt -------------------------------------------------------------------------------------------


def test_the_dbt_contracts_and_python_sources_match_the_declarations() -> None:
    stale = dbt_sync.drifted()
    assert not stale, f"run `.venv/bin/python -m orchestration.core.catalog.dbt_sync`: {[p.name for p in stale]} drifted"


def test_a_hand_edited_dbt_column_is_detected(tmp_path, monkeypatch) -> None:
    original = dbt_sync.models_path("sante_observatoire")
    copy = tmp_path / original.name
    copy.write_text(original.read_text(encoding="utf-8").replace("Lignes lues dans les fichiers.", "Lignes lues."), encoding="utf-8")
    monkeypatch.setattr(dbt_sync, "models_path", lambda use_case: copy if use_case == "sante_observatoire" else original)
    assert "Lignes lues dans les fichiers." in dbt_sync.render_models("sante_observatoire")
    assert copy.read_text(encoding="utf-8") != dbt_sync.render_models("sante_observatoire")


def test_dbt_not_null_constraints_are_declared_non_nullable() -> None:
    import yaml

    for use_case in {m.use_case for m in marts().values() if m.built_by == "dbt"}:
        data = yaml.safe_load(dbt_sync.models_path(use_case).read_text(encoding="utf-8"))
        for model in data["models"]:
            declared = {c.name: c for c in marts()[model["name"]].columns}
            for column in model["columns"]:
                if {"type": "not_null"} in (column.get("constraints") or []):
                    assert not declared[column["name"]].nullable, f"{model['name']}.{column['name']}"


def test_an_empty_python_mart_is_written_with_its_declared_types(tmp_path) -> None:
    """DuckDB types an empty object column INTEGER; the declared Arrow schema keeps DATE (the gate checks it)."""
    import duckdb

    from orchestration.analytics import write_mart

    mart = "espace_public_conflits"
    assert write_mart(tmp_path / "build.duckdb", mart, conform(pd.DataFrame(columns=column_names(mart)), mart)) == 0
    con = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)
    try:
        types = dict(con.sql(f"select column_name, data_type from information_schema.columns where table_name = '{mart}'").fetchall())
    finally:
        con.close()
    assert types["jour"] == "DATE" and types["distance_m"] == "DOUBLE" and types["type_conflit"] == "VARCHAR"
