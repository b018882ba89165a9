"""Grain and relationships rules folded into a model's ``column_rules`` test; tables built in place.

A new day's dbt build ran one node per ``unique_combination`` and ``relationships`` test of the
staging and intermediate models (52 of 114 data tests), each costing dbt more than DuckDB's query.
Folded into the model's ``column_rules`` test they keep dbt's verdicts: a broken rule fails the
folded test as the standalone test fails (same number of offending rows), the model's children
are skipped, and the build's error names the rule. The table materialization on DuckDB
(macros/materialization_table.sql) builds a model's table under its final name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import pytest

from orchestration.defs.transform.project import ensure_manifest
from orchestration.factories.dbt import COLUMN_RULES_TEST, broken_column_rules
from tests.unit.mini_dbt import dbt_build, mini_project

MACROS = ("test_column_rules.sql", "test_unique_combination.sql", "materialization_table.sql")

MINI_MODELS = {
    "parent": "select * from (values (1), (2), (null)) as t (id)",
    # Nulls group together in a grain (as GROUP BY); a null reference has no parent to find.
    "good": "select * from (values (1, 'x', 1), (1, 'y', 2), (2, 'x', null), (null, 'x', 1), (null, 'y', 2)) as t (a, b, ref_id)",
    # Two combinations seen twice ((1, x) and (null, y)); two rows whose reference has no parent (3, 4).
    "bad": "select * from (values (1, 'x', 1), (1, 'x', 3), (null, 'y', 4), (null, 'y', 2)) as t (a, b, ref_id)",
    # Children read the parent too, as every child of a model with a relationships rule does here.
    "good_child": "select g.* from {{ ref('good') }} as g inner join {{ ref('parent') }} as p on g.ref_id = p.id",
    "bad_child": "select b.* from {{ ref('bad') }} as b inner join {{ ref('parent') }} as p on b.ref_id = p.id",
}
FOLDED = """
          arguments:
            not_null: [b]
            unique_combinations: [[a, b]]
            relationships:
              ref_id: {to: "ref('parent')", field: id}"""
STANDALONE = """
      - unique_combination:
          arguments:
            columns: [a, b]
    columns:
      - name: ref_id
        data_tests:
          - relationships:
              arguments:
                to: ref('parent')
                field: id"""
MINI_YAML = f"""version: 2
models:
  - name: good
    data_tests:
      - column_rules:
          name: column_rules_good{FOLDED}{STANDALONE}
  - name: bad
    data_tests:
      - column_rules:
          name: column_rules_bad{FOLDED}{STANDALONE}
"""


@pytest.mark.slow  # two dbt builds (seconds): make test only
def test_folded_rules_fail_as_the_standalone_tests_skip_the_children_and_are_named(tmp_path: Path) -> None:
    project, build_db = mini_project(tmp_path, MACROS, MINI_MODELS, MINI_YAML, "models:\n  mini:\n    +materialized: table\n")

    for _ in range(2):  # the second build replaces the tables the first one made
        build = dbt_build(project)
        assert build.returncode == 1, build.stdout[-2000:]
        run_results = project / "target" / "run_results.json"
        results = {r["unique_id"].split(".")[2]: r for r in json.loads(run_results.read_text(encoding="utf-8"))["results"]}
        grain = {name: r for name, r in results.items() if name.startswith("unique_combination_")}
        orphans = {name: r for name, r in results.items() if name.startswith("relationships_")}
        verdicts = {name: r["status"] for name, r in results.items() if not name.startswith(("unique_", "relationships_"))}
        assert verdicts == {
            "parent": "success",
            "good": "success",
            "bad": "success",
            "column_rules_good": "pass",
            "column_rules_bad": "fail",
            "good_child": "success",
            "bad_child": "skipped",
        }
        # The standalone tests agree, rule by rule, with the same counts of offending rows.
        assert sorted((r["status"], r["failures"]) for r in grain.values()) == [("fail", 2), ("pass", 0)]
        assert sorted((r["status"], r["failures"]) for r in orphans.values()) == [("fail", 2), ("pass", 0)]
        assert results["column_rules_bad"]["failures"] == 2 + 2
        manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
        assert broken_column_rules(run_results, manifest, build_db).splitlines() == [
            "- bad.a, b: unique_combination broken by 2 row(s)",
            "- bad.ref_id: relationships broken by 2 row(s)",
        ]
    with duckdb.connect(str(build_db), read_only=True) as con:
        tables = con.execute("select table_name, table_type from information_schema.tables order by 1").fetchall()
        built = sorted(set(MINI_MODELS) - {"bad_child"})  # skipped by both builds
        assert tables == [(name, "BASE TABLE") for name in built]  # no intermediate or backup table left
        assert con.execute("select count(*) from good_child").fetchone() == (4,)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def test_every_child_of_a_model_with_a_folded_relationship_waits_for_its_rules(manifest: dict[str, Any]) -> None:
    """dbt holds back a model's child behind a test reading two models only if the child descends from both.

    A column_rules test with a relationships rule reads the model and the referenced one: the
    model's rules block all its children only while every child also descends from the reference.
    """
    graph = nx.DiGraph(
        (parent, uid)
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        for parent in node["depends_on"]["nodes"]
    )
    folded = 0
    for test in manifest["nodes"].values():
        if (test.get("test_metadata") or {}).get("name") != COLUMN_RULES_TEST:
            continue
        model = test["attached_node"]
        for referenced in set(test["depends_on"]["nodes"]) - {model}:
            folded += 1
            unguarded = nx.descendants(graph, model) - nx.descendants(graph, referenced) if model in graph else set()
            assert not unguarded, f"{test['name']}: {sorted(unguarded)} would not wait for it; keep that relationships test apart"
    assert folded >= 20
