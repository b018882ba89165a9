"""The dbt project follows the governance rules the catalog declares (read from the manifest).

Marts live in ``marts/<use_case>/``, belong to the use case's group (with an owner), enforce a
contract, describe and type every column, and are ``public`` exactly when the catalog publishes
them; intermediate models are private to their group; every public mart feeds an exposure; every
declared mart has a blocking Great Expectations suite; every use case with SQL models has a dbt
unit test.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from typing import Any

import pytest

from orchestration.core.catalog import marts, use_cases
from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.defs.transform.project import ensure_manifest


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def _models(manifest: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == layer]


def test_every_dbt_mart_is_declared_and_every_declared_dbt_mart_exists(manifest: dict[str, Any]) -> None:
    built = {n["name"]: n["fqn"][2] for n in _models(manifest, "marts")}
    declared = {name: spec.use_case for name, spec in marts().items() if spec.built_by == "dbt"}
    assert built == declared  # same names, each in the folder of the use case that declares it


def test_marts_are_grouped_contracted_and_documented(manifest: dict[str, Any]) -> None:
    groups = manifest["groups"]
    for node in _models(manifest, "marts"):
        use_case = node["fqn"][2]
        assert node["group"] == use_case, node["name"]
        assert groups[f"group.observatoire.{use_case}"]["owner"].get("email"), use_case
        assert node["config"]["contract"]["enforced"], f"{node['name']}: contract not enforced"
        assert node["description"].strip(), node["name"]
        assert node["columns"], f"{node['name']}: no column declared"
        for column in node["columns"].values():
            assert column["description"].strip(), f"{node['name']}.{column['name']} has no description"
            assert column["data_type"], f"{node['name']}.{column['name']} has no data_type"


def test_access_is_public_exactly_for_published_marts(manifest: dict[str, Any]) -> None:
    for node in _models(manifest, "marts"):
        expected = "public" if marts()[node["name"]].published else "protected"
        assert node["access"] == expected, f"{node['name']}: access {node['access']}, catalog says {expected}"


def test_intermediate_models_are_private_to_their_use_case(manifest: dict[str, Any]) -> None:
    for node in _models(manifest, "intermediate"):
        use_case = node["fqn"][2]
        assert use_case in use_cases(), f"{node['name']}: folder {use_case} is not a declared use case"
        assert node["group"] == use_case and node["access"] == "private", node["name"]
        assert node["description"].strip(), node["name"]
        for column in node["columns"].values():
            assert column["description"].strip(), f"{node['name']}.{column['name']} has no description"


def test_every_public_mart_feeds_an_exposure(manifest: dict[str, Any]) -> None:
    exposed = {dep for e in manifest["exposures"].values() for dep in e["depends_on"]["nodes"]}
    for node in _models(manifest, "marts"):
        if node["access"] == "public":
            assert node["unique_id"] in exposed, f"{node['name']} is published but no exposure reads it"


def test_one_yaml_per_folder() -> None:
    for layer in ("staging", "intermediate", "marts"):
        for folder in (DBT_PROJECT_DIR / "models" / layer).glob("*/"):
            yamls = list(folder.glob("*.yml"))
            counts = Counter(p.name.startswith("_") and p.name.endswith("__models.yml") for p in yamls)
            assert counts[True] == 1, f"{folder}: expected one _<folder>__models.yml, found {[p.name for p in yamls]}"


def test_every_declared_mart_has_a_blocking_suite() -> None:
    for name in marts():
        module = importlib.import_module(f"quality.suites.{name}")
        assert module.expectations(), f"quality/suites/{name}.py has no expectation"


def test_every_use_case_with_sql_models_has_a_unit_test(manifest: dict[str, Any]) -> None:
    tested = {manifest["nodes"][t["depends_on"]["nodes"][0]]["fqn"][2] for t in manifest["unit_tests"].values()}
    for node in _models(manifest, "marts"):
        if node["fqn"][2] != "tranquillite_publique":  # a one-line count, covered by the reconciliation test
            assert node["fqn"][2] in tested, f"use case {node['fqn'][2]} has no dbt unit test"


def test_model_card_declared_for_every_use_case() -> None:
    for uc in use_cases().values():
        for key in ("model", "data", "cannot_say"):
            assert str(getattr(uc.model_card, key)).strip(), f"{uc.name}: model_card.{key} missing"
        fit = uc.model_card.fit_quality_mart
        if fit:
            assert fit in marts() and marts()[fit].published, f"{uc.name}: fit_quality_mart {fit} is not a published mart"
