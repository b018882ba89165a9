"""One ``column_rules`` test per model holds its not_null, unique and accepted_values rules.

dbt ran each of those rules as a node of its own (375 of a new day's 437 data tests), each node
costing dbt more than DuckDB's scan. The merged test keeps dbt's guarantees: a broken rule fails
the build, the model's children are skipped, and the build's error names the column and the rule.
The tests of marts are Dagster asset checks and stay as declared (one per column and rule).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.defs.transform.project import ensure_manifest
from orchestration.factories.dbt import COLUMN_RULES_TEST, SURFACED_LAYER, broken_column_rules
from tests.unit.mini_dbt import dbt_build, mini_project

MERGED = ("not_null", "unique", "accepted_values")


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def _tests(manifest: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(test node, model node) for every generic data test attached to a model."""
    nodes = manifest["nodes"]
    return [
        (node, nodes[node["attached_node"]])
        for node in nodes.values()
        if node["resource_type"] == "test" and node.get("test_metadata") and node.get("attached_node") in nodes
    ]


def test_staging_and_intermediate_rules_are_one_test_per_model(manifest: dict[str, Any]) -> None:
    seen: set[str] = set()
    for test, model in _tests(manifest):
        name = test["test_metadata"]["name"]
        if model["fqn"][1] == SURFACED_LAYER:
            assert name != COLUMN_RULES_TEST, f"{test['name']}: a mart's tests are asset checks, one per rule"
            continue
        assert name not in MERGED, f"{test['name']}: declare it in the model's column_rules test"
        # Grain and relationships rules are folded too; only a relationships test of another severity stays apart.
        assert name != "unique_combination", f"{test['name']}: declare it in the model's column_rules test (unique_combinations)"
        if name == "relationships":
            assert test["config"]["severity"].lower() != "error", f"{test['name']}: declare it in the model's column_rules test"
        if name == COLUMN_RULES_TEST:
            assert test["name"] == f"{COLUMN_RULES_TEST}_{model['name']}", test["name"]  # names the model in errors
            assert test["config"]["severity"].lower() == "error", test["name"]
            assert model["name"] not in seen, f"{model['name']}: two column_rules tests"
            seen.add(model["name"])
            declared = set(model["columns"])
            kwargs = test["test_metadata"]["kwargs"]
            combined = [c for columns in kwargs.get("unique_combinations", []) for c in columns]
            rules = [*kwargs.get("not_null", []), *kwargs.get("unique", []), *kwargs.get("accepted_values", {})]
            for column in [*rules, *combined, *kwargs.get("relationships", {})]:
                assert column in declared, f"{model['name']}.{column}: a rule on an undeclared column"
    assert len(seen) > 40  # every staging and intermediate model with a rule


def _results(path: Path, *results: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"results": list(results)}), encoding="utf-8")
    return path


def test_broken_rules_are_named_from_the_failed_tests_query(tmp_path: Path) -> None:
    build_db = tmp_path / "observatoire.duckdb"
    with duckdb.connect(str(build_db)) as con:
        con.execute("create table t as select 'code' as column_name, 'accepted_values' as rule, 4 as failing_rows")
    manifest = {
        "nodes": {
            "model.p.stg_x": {"name": "stg_x"},
            "test.p.column_rules_stg_x.1": {"attached_node": "model.p.stg_x", "test_metadata": {"name": COLUMN_RULES_TEST}},
            "test.p.unique_stg_x_id.2": {"attached_node": "model.p.stg_x", "test_metadata": {"name": "unique"}},
        }
    }
    failed = {"unique_id": "test.p.column_rules_stg_x.1", "status": "fail", "compiled_code": "select * from t", "message": "Got 4"}
    other = {"unique_id": "test.p.unique_stg_x_id.2", "status": "fail", "compiled_code": "select 1", "message": "Got 1"}
    passed = {**failed, "status": "pass"}
    run_results = _results(tmp_path / "run_results.json", failed, other)
    assert broken_column_rules(run_results, manifest, build_db) == "- stg_x.code: accepted_values broken by 4 row(s)"
    assert broken_column_rules(_results(tmp_path / "ok.json", passed, other), manifest, build_db) == ""
    assert broken_column_rules(tmp_path / "absent.json", manifest, build_db) == ""
    broken_sql = _results(tmp_path / "broken.json", {**failed, "compiled_code": "select * from missing"})
    assert broken_column_rules(broken_sql, manifest, build_db).startswith("- stg_x: Got 4 (rules not re-read: ")


MINI_MODELS = {
    # Nulls pass unique (two null ids) and accepted_values (as dbt's tests); numbers are compared unquoted.
    "good": "select * from (values (1, 'a', 0, 'w'), (2, null, 5, 'x'), (null, 'b', null, 'y'), (null, 'a', 0, 'z')) as t (id, code, heure, k)",
    # One null id, one duplicated id, one code outside the list: three offending rows.
    "bad": "select * from (values (1, 'a', 0), (1, 'z', 0), (null, 'a', 0)) as t (id, code, heure)",
    "good_child": "select * from {{ ref('good') }}",
    "bad_child": "select * from {{ ref('bad') }}",
}
MINI_YAML = """version: 2
models:
  - name: good
    data_tests:
      - column_rules:
          name: column_rules_good
          arguments:
            not_null: [k]
            unique: [id]
            accepted_values: {code: [a, b], heure: [0, 5]}
  - name: bad
    data_tests:
      - column_rules:
          name: column_rules_bad
          arguments:
            not_null: [id, code]
            unique: [id]
            accepted_values: {code: [a, b], heure: [0, 5]}
"""


@pytest.mark.slow  # one dbt build (seconds): make test only
def test_a_broken_rule_fails_the_build_skips_the_children_and_is_named(tmp_path: Path) -> None:
    project, build_db = mini_project(tmp_path, ["test_column_rules.sql"], MINI_MODELS, MINI_YAML)
    build = dbt_build(project)
    assert build.returncode == 1, build.stdout[-2000:]
    run_results = project / "target" / "run_results.json"
    results = {r["unique_id"].split(".")[2]: r for r in json.loads(run_results.read_text(encoding="utf-8"))["results"]}
    assert results["column_rules_good"]["status"] == "pass"
    assert results["good_child"]["status"] == "success"
    assert (results["column_rules_bad"]["status"], results["column_rules_bad"]["failures"]) == ("fail", 3)
    assert results["bad_child"]["status"] == "skipped"
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert broken_column_rules(run_results, manifest, build_db).splitlines() == [
        "- bad.id: not_null broken by 1 row(s)",
        "- bad.id: unique broken by 1 row(s)",
        "- bad.code: accepted_values broken by 1 row(s)",
    ]
