"""Where a mart's rows come from, read from the dbt manifest: the one record of lineage the tests compare declarations with."""

from __future__ import annotations

import json

from orchestration.core.catalog import marts


def dbt_manifest() -> dict:
    """The project's dbt manifest (parsed when stale)."""
    from orchestration.defs.transform.project import ensure_manifest

    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def lineage_feeds(manifest: dict, mart: str) -> set[str]:
    """The bronze feeds a mart's rows come from, walked down the dbt manifest (python marts: their inputs).

    A ledger source (``observatoire.deliveries``...) counts lines of every feed: named ``*<source>``.
    """
    nodes = {**manifest["nodes"], **manifest["sources"]}
    spec = marts()[mart]
    todo = [f"model.observatoire.{i.split('.')[-1]}" for i in spec.inputs] if spec.built_by == "python" else [f"model.observatoire.{mart}"]
    seen: set[str] = set()
    found: set[str] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.startswith("source."):
            _, _, source, name = node.split(".")
            found.add(name if source == "bronze" else f"*{source}.{name}")
        elif node in nodes:
            todo += nodes[node]["depends_on"]["nodes"]
        else:  # a python mart another python mart reads
            todo += [f"model.observatoire.{i.split('.')[-1]}" for i in marts()[node.split(".")[-1]].inputs]
    return found
