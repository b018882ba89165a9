"""The register of processing and the refusals: generated from the declarations, enforced in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.core.catalog import CATALOG_DIR, REFUSED_COLUMN_CATEGORIES, CatalogError, FeedSpec, feeds, open_datasets, use_cases
from orchestration.core.catalog import _validated as validated
from orchestration.core.register import build_register, column_category, transparency, write_register

REFUSED = {"reconnaissance_faciale", "lecture_emotions", "suivi_inter_cameras", "auteurs_reseaux_sociaux",
           "score_risque_individuel", "action_temps_reel"}


def test_register_lists_every_feed_and_use_case(tmp_path: Path) -> None:
    register = build_register()
    assert {e["id"] for e in register["processing"]} == set(use_cases())
    assert {f["feed"] for f in register["feeds"]} == set(feeds())
    for entry in register["processing"]:
        for key in ("purposes", "legal_bases", "data_subjects", "data_categories", "recipients", "retention", "security_measures"):
            assert entry[key], (entry["id"], key)
    paths = write_register(tmp_path)
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == json.loads(json.dumps(register, ensure_ascii=False))
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert all(f"{{#{uc}}}" in markdown for uc in use_cases())
    # Published beside the open data: nothing the privacy scan would take for personal data.
    from simulator.pii import EMAIL_RE, PHONE_RE
    for text in (markdown, paths["json"].read_text(encoding="utf-8")):
        assert not EMAIL_RE.search(text) and not PHONE_RE.search(text)


def test_each_release_cites_an_existing_register_entry() -> None:
    anchors = {e["anchor"] for e in build_register()["processing"]}
    from orchestration.core.catalog import marts
    for dataset in open_datasets().values():
        assert f"registre-des-traitements#{marts()[dataset.from_mart].use_case}" in anchors


def test_refusals_are_listed_with_reasons() -> None:
    refusals = {r["id"]: r for r in transparency()["refusals"]}
    assert set(refusals) == REFUSED
    assert all(len(r["reason"]) > 80 and r["enforced_by"] for r in refusals.values())
    assert set(REFUSED_COLUMN_CATEGORIES.values()) <= REFUSED


def test_no_feed_column_is_biometric_or_a_social_network_author() -> None:
    for spec in feeds().values():
        for column in spec.columns:
            assert column_category(column) not in REFUSED_COLUMN_CATEGORIES, (spec.name, column.name)


def _police_declaration() -> dict[str, Any]:
    with (CATALOG_DIR / "feeds" / "police_mains_courantes.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("category", sorted(REFUSED_COLUMN_CATEGORIES))
def test_a_refused_column_category_cannot_be_declared(category: str) -> None:
    data = _police_declaration()
    data["columns"].append({"source": "X", "name": "x", "type": "string", "privacy": "keep", "description": "x", "category": category})
    with pytest.raises(CatalogError, match="refused"):
        validated(FeedSpec, data, "police_mains_courantes.yaml")


def test_unknown_column_category_is_rejected() -> None:
    data = _police_declaration()
    data["columns"][0]["category"] = "visage"
    with pytest.raises(CatalogError, match="unknown category"):
        validated(FeedSpec, data, "police_mains_courantes.yaml")


def test_unpublished_feeds_say_why() -> None:
    """The telecom presence counts are published nowhere, and the declaration says why."""
    reasons = transparency()["not_published"]
    assert set(reasons) <= set(feeds()), "not_published names an undeclared feed"
    entries = {f["feed"]: f for f in build_register()["feeds"]}
    assert entries["telecom_presence"]["not_published"] and "OpenDP" in entries["telecom_presence"]["not_published"]
    published_from = {f for d in open_datasets().values() for f in _mart_feeds(d.from_mart)}
    assert not set(reasons) & published_from, "a feed declared unpublished feeds an open dataset"


def _mart_feeds(mart: str) -> tuple[str, ...]:
    from orchestration.core.catalog import marts

    return marts()[mart].source_feeds


def test_each_mart_declares_every_feed_its_rows_come_from() -> None:
    """``source_feeds`` (what the register says a use case processes) equals the mart's lineage in dbt.

    The register of processing, the open-data sources and the closed-period rule read the
    declaration: a feed a mart reads but does not declare would be missing from what the
    observatory tells a data protection officer and citizens it processes, and for what.
    """
    from orchestration.core.catalog import marts
    from tests.unit.lineage import dbt_manifest, lineage_feeds

    manifest = dbt_manifest()
    wrong = {}
    for name, spec in marts().items():
        lineage = {f for f in lineage_feeds(manifest, name) if not f.startswith("*")}  # "*": ledgers, every feed's lines
        if lineage != set(spec.source_feeds):
            wrong[name] = {"read, not declared": sorted(lineage - set(spec.source_feeds)),
                           "declared, not read": sorted(set(spec.source_feeds) - lineage)}  # fmt: skip
    assert not wrong, wrong
