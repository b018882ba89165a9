"""The public pages: one per open dataset, transparency, register (AppTest, no browser).

Every declared dataset is published from a synthetic mart by the real publisher (``released_lake``,
tests/apps/conftest.py), so each page
reads a real release: its masking explanation must say what the release's ``disclosure.json``
says, and its stable addresses must name files that exist in the release's version folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps.formatting import fr_int
from apps.portail.dataset_view import api_url, base_url, masking_explanation
from apps.portail.table_view import masking_sentences
from orchestration.core.catalog import open_datasets, use_cases
from orchestration.core.register import build_register, transparency

SCRIPT = Path(__file__).with_name("portail_page_script.py")
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def _page(name: str, lake: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(lake))
    monkeypatch.setenv("OBSERVATOIRE_TEST_PORTAIL_PAGE", name)
    at = AppTest.from_file(str(SCRIPT), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("name", sorted(open_datasets()))
def test_dataset_page_explains_its_release(name: str, released_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    declared = open_datasets()[name]
    at = _page(name, released_lake, monkeypatch)
    assert [t.value for t in at.title] == [declared.title]
    subheaders = [s.value for s in at.subheader]
    assert "Ce qui est masqué, et pourquoi" in subheaders
    if declared.kind == "table":  # rows: a map of cells, else a chart (forest plot, or measures of one unit)
        assert ("Carte" if "carreaux" in name else "Graphique") in subheaders
    else:
        assert ("Évolution" if declared.spatial_level == "commune" else "Carte") in subheaders
    if declared.breakdown_column:  # e.g. one partner feed at a time
        assert declared.breakdown_title in [s.label for s in at.selectbox]
    text = "\n".join(m.value for m in at.markdown)

    # The masking explanation is the release's own report, numbers included.
    release = released_lake / "open_data" / name / "latest"
    report = json.loads((release / "disclosure.json").read_text(encoding="utf-8"))
    explain = masking_sentences if declared.kind == "table" else masking_explanation
    for sentence in explain(report, declared):
        assert sentence in text
    if declared.kind == "table":
        assert declared.table.disclosure_rule in text  # the declared why, word for word
        if declared.table.min_count_columns:
            assert f"{fr_int(report['audit']['masked_cells'])} " in text and f"k = {report['k_min']}" in text
    else:
        assert f"k = {report['k_min']}" in text
    if report["primary_suppressed"] and declared.kind != "table":
        assert f"{fr_int(report['primary_suppressed'])} case" in text
    assert f"(/registre-des-traitements#{report['register_entry'].split('#')[1]})" in text

    # Stable addresses: each names a file that exists, under the version folder and under latest.
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    urls = [u for u in LINK.findall(text) if u.startswith(base_url())]
    version_urls = [u for u in urls if f"/{name}/{package['version']}/" in u]
    assert len(version_urls) == len([u for u in urls if f"/{name}/latest/" in u]) >= 5
    open_data = released_lake / "open_data"
    for url in urls:
        assert (open_data / url.removeprefix(base_url() + "/")).is_file(), url
    assert any(f"{name}.csv" in u for u in version_urls) and any(u.endswith("tableschema.json") for u in version_urls)
    if declared.spatial_level != "commune":
        assert any(u.endswith(f"{name}.geojson") for u in version_urls)
    assert api_url(name) in text
    # Download buttons serve the same files (CSV, Parquet, datapackage, GeoJSON, schema, report).
    assert len(at.get("download_button")) == len(version_urls)


def test_dataset_page_before_any_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = next(iter(open_datasets()))
    at = _page(name, tmp_path / "lake", monkeypatch)
    assert any("Aucune donnée publiée" in i.value for i in at.info)


def test_transparency_page_is_generated_from_the_declarations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page("transparence", tmp_path / "lake", monkeypatch)  # needs no lake at all
    register = build_register()
    subheaders = [s.value for s in at.subheader]
    assert [r["title"] for r in register["refusals"]] == subheaders
    expanders = [e.label for e in at.expander]
    for feed in register["feeds"]:
        assert f"{feed['title']} — {feed['partner']}" in expanders
    for uc in use_cases().values():
        assert uc.title in expanders
    text = "\n".join(m.value for m in at.markdown)
    assert " ".join(transparency()["not_published"]["telecom_presence"].split()) in text
    for refusal in register["refusals"]:
        assert " ".join(refusal["reason"].split()) in text
    for uc in use_cases().values():  # what is not published says why, beside what is
        if uc.open_data_withheld:
            assert uc.open_data_withheld in text, uc.name


def test_register_page_lists_every_processing_with_its_anchor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page("registre-des-traitements", tmp_path / "lake", monkeypatch)
    assert [h.value for h in at.header] == [uc.title for uc in use_cases().values()]
    assert [h.proto.anchor for h in at.header] == list(use_cases())
    assert len(at.get("download_button")) == 2
    text = "\n".join(m.value for m in at.markdown)
    assert f"{base_url()}/registre-des-traitements.json" in text
