"""Both pages through Streamlit's AppTest (no browser): text, metrics, badges, buttons.

The lake is chosen per test through ``OBSERVATOIRE_LAKE``, read by the app at every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from apps.formatting import fr_int
from apps.portail.presentation import disclosure_sentence
from apps.published import MART, NO_DATA_MESSAGE
from orchestration.core.catalog import open_datasets

APP = Path(__file__).resolve().parents[2] / "apps" / "streamlit_app.py"
DATASET = "interventions-police-municipale-arrondissement-mois"

# First runs parse the reference geojson and import altair/pydeck: well above AppTest's 3 s.
RUN_TIMEOUT = 60


def run_app(lake: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    """Run the app on ``lake``, optionally switching to ``page`` (path relative to apps/)."""
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(lake))
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def all_text(at: AppTest) -> str:
    """Every markdown-ish text of the page, to search for sentences."""
    parts = [
        e.value
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "error", "warning")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


# ----------------------------------------------------------------------------------------------
# Observatoire
# ----------------------------------------------------------------------------------------------


def test_observatoire_shows_published_total_and_green_gate(synthetic_lake: Path, monkeypatch: pytest.MonkeyPatch, lake_writer) -> None:
    at = run_app(synthetic_lake, monkeypatch)
    assert not at.exception, at.exception
    assert at.title[0].value == "Observatoire de la tranquillité publique"
    shown = metrics(at)
    assert shown["Incidents"] == fr_int(lake_writer.published_total(synthetic_lake))
    assert shown["Quartiers concernés"] == "6"
    assert shown["Dernière publication"] == "22/11/2026"
    assert [s.value for s in at.success] == ["Contrôle qualité réussi"]
    assert not at.error
    text = all_text(at)
    assert "Données du 01/01/2026 au 28/02/2026" in text  # data window
    assert "22/11/2026 à 22:03" in text  # freshness, in Marseille time
    # Chart and map are present (AppTest only sees their specs).
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert at.get("deck_gl_json_chart")
    assert any("Joël Gombin" in c.value for c in at.caption)


def test_observatoire_filters_change_the_total(synthetic_lake: Path, monkeypatch: pytest.MonkeyPatch, lake_writer) -> None:
    at = run_app(synthetic_lake, monkeypatch)
    category = "Tapage et nuisances sonores"
    at.sidebar.multiselect(key="categories").set_value([category]).run()
    assert not at.exception, at.exception
    frame = lake_writer.synthetic_incidents()
    expected = int(frame.loc[frame["categorie"] == category, "nb_incidents"].sum())
    assert metrics(at)["Incidents"] == fr_int(expected)

    at.sidebar.multiselect(key="arrondissements").set_value(["13206"]).run()
    expected = int(frame.loc[(frame["categorie"] == category) & (frame["arrondissement"] == "13206"), "nb_incidents"].sum())
    assert metrics(at)["Incidents"] == fr_int(expected)
    assert metrics(at)["Quartiers concernés"] == "2"


def test_observatoire_failed_gate_warns_and_keeps_previous_data(
    failed_gate_lake: Path, monkeypatch: pytest.MonkeyPatch, lake_writer
) -> None:
    at = run_app(failed_gate_lake, monkeypatch)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert "Contrôle qualité en échec : données du 20/11/2026 affichées" in errors
    assert not at.success
    # The previously published version is still shown, with its own total.
    assert metrics(at)["Incidents"] == fr_int(lake_writer.published_total(failed_gate_lake))
    assert "expect_column_values_to_not_be_null" in json.dumps([t.value.to_dict() for t in at.table], default=str)


def test_observatoire_empty_lake_says_so(empty_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(empty_lake, monkeypatch)
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [NO_DATA_MESSAGE]
    assert not at.metric


def test_observatoire_reads_the_published_version_not_a_newer_one(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch, lake_writer) -> None:
    """A gold version without a publication record (gate not passed yet) stays invisible;
    once published, it shows up on the next rerun (cache keyed on the Delta version)."""
    at = run_app(fresh_lake, monkeypatch)
    before = lake_writer.published_total(fresh_lake)
    assert metrics(at)["Incidents"] == fr_int(before)

    newer = lake_writer.synthetic_incidents(seed=99)
    version = lake_writer.write_gold_version(fresh_lake, newer)  # written, not yet published
    at.run()
    assert metrics(at)["Incidents"] == fr_int(before)

    lake_writer.write_publication(fresh_lake, newer, version, "2026-11-23T05:00:00+00:00")
    at.run()
    assert not at.exception, at.exception
    assert metrics(at)["Incidents"] == fr_int(int(newer["nb_incidents"].sum()))
    assert metrics(at)["Dernière publication"] == "23/11/2026"


# ----------------------------------------------------------------------------------------------
# Portail open data
# ----------------------------------------------------------------------------------------------


def test_portail_shows_dataset_licence_disclosure_and_downloads(synthetic_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(synthetic_lake, monkeypatch, page="portail/page.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Portail open data"
    assert open_datasets()[DATASET].title in [h.value for h in at.header]
    text = all_text(at)
    assert "[Licence Ouverte 2.0](https://www.etalab.gouv.fr/licence-ouverte-open-licence/)" in text
    assert "de janvier 2026 à février 2026" in text

    disclosure = json.loads((synthetic_lake / "open_data" / DATASET / "disclosure.json").read_text(encoding="utf-8"))
    sentence = disclosure_sentence(disclosure)
    assert f"{disclosure['primary_suppressed']} cases masquées car inférieures à 11" in sentence
    assert f"{disclosure['secondary_suppressed']} masquées en secret secondaire" in sentence
    assert sentence in [i.value for i in at.info]

    labels = [b.label for b in at.download_button]
    assert labels == ["Télécharger le CSV", "Télécharger le Parquet", "Télécharger datapackage.json"]

    preview = at.dataframe[0].value
    assert "secret" in set(preview["Interventions"])
    assert not preview["Interventions"].isna().any()  # suppressed cells are text, never NaN
    fields = at.table[0].value
    assert "nb_interventions" in set(fields["Champ"])


def test_portail_empty_lake_says_so(empty_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(empty_lake, monkeypatch, page="portail/page.py")
    assert not at.exception, at.exception
    assert NO_DATA_MESSAGE in [i.value for i in at.info]
    assert not at.download_button


def test_publication_record_is_the_commit_point(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its publication record, a gold table is not shown at all."""
    (fresh_lake / "gold" / "_publications" / f"{MART}.json").unlink()
    at = run_app(fresh_lake, monkeypatch)
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [NO_DATA_MESSAGE]


def test_gate_failed_before_any_publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """First run ever, gate failed: nothing to show, and the page says why."""
    lake = tmp_path / "lake"
    latest = lake / "quality" / MART / "latest.json"
    latest.parent.mkdir(parents=True)
    latest.write_text(
        json.dumps({"mart": MART, "suite": MART, "success": False, "evaluated_at": "2026-11-22T21:03:04+00:00",
                    "statistics": {"evaluated_expectations": 9, "successful_expectations": 8, "unsuccessful_expectations": 1},
                    "failed": [{"expectation": "expect_column_values_to_be_between", "column": "nb_incidents", "observed": "-1"}]}),
        encoding="utf-8",
    )  # fmt: skip
    at = run_app(lake, monkeypatch)
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [NO_DATA_MESSAGE]
    assert [e.value for e in at.error] == ["Contrôle qualité en échec : aucune donnée n'a encore passé le contrôle."]


def test_corrupt_publication_is_an_error_message_not_a_crash(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fresh_lake / "gold" / "_publications" / f"{MART}.json").write_text("{ pas du json", encoding="utf-8")
    (fresh_lake / "open_data" / DATASET / "datapackage.json").write_text("[", encoding="utf-8")
    at = run_app(fresh_lake, monkeypatch)
    assert not at.exception, at.exception
    assert at.error and at.error[0].value.startswith("Données publiées illisibles")
    at.switch_page("portail/page.py").run()
    assert not at.exception, at.exception
    assert at.error and at.error[0].value.startswith("Ce jeu de données est momentanément indisponible")


USE_CASE_SCRIPT = Path(__file__).with_name("use_case_page_script.py")


def _use_case_page(name: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_TEST_USE_CASE", name)
    return AppTest.from_file(str(USE_CASE_SCRIPT), default_timeout=RUN_TIMEOUT)


def test_every_use_case_page_renders_on_the_real_pipeline_output(pipeline_lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each use case's page on what the real graph published: one section per published mart, no error."""
    from apps.observatoire.use_case import answer_module
    from orchestration.core.catalog import use_cases

    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(pipeline_lake.settings.lake))
    for uc in use_cases().values():
        published = [m for m in uc.marts if m.published]
        at = _use_case_page(uc.name, monkeypatch)
        at.run()
        assert not at.exception, f"{uc.name}: {[e.message for e in at.exception]}"
        assert [t.value for t in at.title] == [uc.title]
        if answer_module(uc.name) is None:  # answer-first pages (issue 11) head their own sections
            assert len(at.subheader) == len(published), uc.name
        # The one expected warning: a three-week lake holds no school holidays, and the schools page
        # says its comparison falls back to other hours (tests/apps/test_answer_pages_b.py).
        unexpected = [w.value for w in at.warning if "aucune période de vacances" not in w.value]
        assert not unexpected, f"{uc.name}: {unexpected}"
        assert sum("Contrôle qualité réussi" in c.value for c in at.caption) == len(published), uc.name


def test_a_use_case_page_on_an_empty_lake_says_there_is_no_data(empty_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(empty_lake))
    at = _use_case_page("securite_routiere", monkeypatch)
    at.run()
    assert not at.exception
    assert any(NO_DATA_MESSAGE in i.value for i in at.info)
