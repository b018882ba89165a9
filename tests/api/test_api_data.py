"""Data endpoints: tabular-API operators against an independent oracle, refusals, formats, ETag, versions."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from deltalake import DeltaTable

MART = "incidents_quartier_jour"
DATASET = "interventions-police-municipale-arrondissement-mois"


@pytest.fixture(scope="module")
def published(api_lake) -> pd.DataFrame:
    """Oracle: the published version of the mart, read directly with deltalake."""
    record = json.loads((api_lake / "gold" / "_publications" / f"{MART}.json").read_text(encoding="utf-8"))
    return DeltaTable(str(api_lake / "gold" / MART), version=record["delta_version"]).to_pandas()


@pytest.fixture
def services(bearer) -> dict[str, str]:
    return bearer(("services",))


def test_filters_match_the_oracle(client, services, published) -> None:
    params = {
        "code_quartier__in": "1320101,1320201",
        "nb_incidents__greater": "2",
        "categorie__contains": "Tapage",
        "jour__less": "2026-02-10",
        "page_size": "1000",
    }
    body = client.get(f"/v1/marts/{MART}/data", params=params, headers=services).json()
    expected = published[
        published["code_quartier"].isin(["1320101", "1320201"])
        & (published["nb_incidents"] >= 2)
        & published["categorie"].str.contains("Tapage")
        & (pd.to_datetime(published["jour"]) <= "2026-02-10")
    ]
    assert body["meta"]["total"] == len(expected) > 0
    assert sum(r["nb_incidents"] for r in body["data"]) == int(expected["nb_incidents"].sum())


def test_exact_differs_sort_columns_and_pages(client, services, published) -> None:
    params = {
        "categorie__differs": "Stationnement gênant",
        "nb_incidents__sort": "desc",
        "columns": "jour,code_quartier,nb_incidents",
        "page_size": "7",
    }
    first = client.get(f"/v1/marts/{MART}/data", params=params, headers=services).json()
    assert first["meta"]["total"] == int((published["categorie"] != "Stationnement gênant").sum())
    assert set(first["data"][0]) == {"jour", "code_quartier", "nb_incidents"}
    counts = [r["nb_incidents"] for r in first["data"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == published["nb_incidents"].max()
    second = client.get(first["links"]["next"], headers=services).json()
    assert second["meta"]["page"] == 2 and second["links"]["prev"]
    assert not {json.dumps(r, sort_keys=True) for r in first["data"]} & {json.dumps(r, sort_keys=True) for r in second["data"]}
    exact = client.get(f"/v1/marts/{MART}/data", params={"code_quartier__exact": "1320103"}, headers=services).json()
    assert exact["meta"]["total"] == int((published["code_quartier"] == "1320103").sum())


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"categorie__exact": "x'; DROP TABLE published; --"}, "forbidden_characters"),
        ({"nb_incidents__exact": "1 OR 1=1"}, "invalid_value"),
        ({"code_quartier__exact": "1320101' OR '1'='1' --"}, "forbidden_characters"),
        ({"jour__less": "../../etc/passwd"}, "forbidden_characters"),
        ({"jour__less": "2026-13-45"}, "invalid_value"),
        ({"nb_incidents) OR (1=1__exact": "1"}, "unknown_column"),
        ({'jour" ; DROP TABLE x; --__exact': "1"}, "unknown_column"),
        ({"nb_incidents__drop": "1"}, "unknown_operator"),
        ({"nb_incidents__contains": "1"}, "invalid_operator"),
        ({"foo": "bar"}, "unknown_parameter"),
        ({"columns": "jour,password"}, "unknown_column"),
        ({"nb_incidents__sort": "asc; DROP"}, "invalid_sort"),
        ({"page": "1 OR 1=1"}, "invalid_value"),
        ({"page_size": "-1"}, "invalid_value"),
        ({"version": "../../gold"}, "invalid_version"),
        ({"version": "99"}, "unknown_version"),
    ],
)
def test_refused_requests_are_400_and_run_nothing(client, services, params, code) -> None:
    engine = client.app.state.api.engine
    before = engine.queries_run
    response = client.get(f"/v1/marts/{MART}/data", params=params, headers=services)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]  # machine code + a French sentence
    assert engine.queries_run == before  # nothing was executed


def test_open_data_refuses_path_tricks_in_version(client) -> None:
    for version in ("../2026-01", "..", "latest/../../x"):
        assert client.get(f"/v1/open-data/{DATASET}/data", params={"version": version}).status_code == 400
    assert client.get("/v1/open-data/..%2F..%2Fgold/data").status_code == 404


def test_page_size_over_the_maximum_is_clamped_and_said(client, services) -> None:
    response = client.get(f"/v1/marts/{MART}/data", params={"page_size": "50000"}, headers=services)
    assert response.status_code == 200
    meta = response.json()["meta"]
    assert meta["page_size"] == meta["page_size_max"] == 1000 and meta["page_size_requested"] == 50000
    assert "limité" in meta["notice"] and response.headers["x-page-size-clamped"] == "50000->1000"
    assert len(response.json()["data"]) == min(1000, meta["total"])


def test_etag_and_304(client, services) -> None:
    url = f"/v1/marts/{MART}/data?code_quartier__exact=1320101"
    first = client.get(url, headers=services)
    etag = first.headers["etag"]
    again = client.get(url, headers={**services, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url + "&page=2", headers={**services, "If-None-Match": etag}).status_code == 200
    meta = client.get(f"/v1/marts/{MART}", headers=services)
    assert client.get(f"/v1/marts/{MART}", headers={**services, "If-None-Match": meta.headers["etag"]}).status_code == 304
    # A 304 is still only for those allowed to read: no credentials, no 304.
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 401


def test_version_pinning(client, services, api_lake) -> None:
    latest = client.get(f"/v1/marts/{MART}/data", headers=services).json()["meta"]
    older = client.get(f"/v1/marts/{MART}/data", params={"version": "0"}, headers=services).json()["meta"]
    assert latest["version"] == "1" and older["version"] == "0"
    assert older["total"] == len(DeltaTable(str(api_lake / "gold" / MART), version=0).to_pandas()) < latest["total"]
    metadata = client.get(f"/v1/marts/{MART}", params={"version": "0"}, headers=services).json()
    assert metadata["delta_version"] == 0 and metadata["published_delta_version"] == 1

    open_latest = client.get(f"/v1/open-data/{DATASET}/data").json()["meta"]
    open_january = client.get(f"/v1/open-data/{DATASET}/data", params={"version": "2026-01"}).json()
    assert open_latest["version"] == "2026-02" and open_january["meta"]["version"] == "2026-01"
    assert {r["mois"] for r in open_january["data"]} == {"2026-01"} and open_january["meta"]["total"] < open_latest["total"]


def test_metadata_comes_from_the_declarations_and_the_publication(client, services) -> None:
    body = client.get(f"/v1/marts/{MART}", headers=services).json()
    columns = {c["name"]: c for c in body["columns"]}
    assert columns["nb_incidents"]["label"] == "Incidents" and columns["nb_incidents"]["unit"] == "interventions"
    assert body["gate"]["success"] is True and body["data_window"] == {"start": "2026-01-01", "end": "2026-02-28"}
    assert body["delta_version"] == 1 and body["zone_level"] == "quartier" and "geojson" in body["links"]
    assert body["schema"]["primaryKey"] == body["grain"]
    open_body = client.get(f"/v1/open-data/{DATASET}").json()
    assert open_body["disclosure"]["k_min"] == 11 and open_body["releases"] == ["2026-01", "2026-02"]


def test_csv_json_and_geojson_exports(client, services, published) -> None:
    quartier = "1320101"
    expected = int((published["code_quartier"] == quartier).sum())
    csv_response = client.get(f"/v1/marts/{MART}/data.csv", params={"code_quartier__exact": quartier}, headers=services)
    assert csv_response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.text)))
    assert len(rows) == expected and {r["code_quartier"] for r in rows} == {quartier}

    json_rows = client.get(f"/v1/marts/{MART}/data.json", params={"code_quartier__exact": quartier}, headers=services).json()
    assert len(json_rows) == expected and isinstance(json_rows[0]["nb_incidents"], int)

    geo = client.get(
        f"/v1/marts/{MART}/data.geojson",
        params={"code_quartier__exact": quartier, "page_size": "5", "columns": "jour,nb_incidents"},
        headers=services,
    )
    assert geo.headers["content-type"].startswith("application/geo+json")
    collection = geo.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 5
    feature = collection["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon") and feature["properties"]["code_quartier"] == quartier

    empty = client.get(f"/v1/marts/{MART}/data.csv", params={"code_quartier__exact": "0000000"}, headers=services)
    assert empty.text.strip().replace('"', "").split(",")[0] == "jour"

    open_geo = client.get(f"/v1/open-data/{DATASET}/data.geojson", params={"arrondissement__exact": "13201", "page_size": "3"}).json()
    assert open_geo["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_geojson_needs_a_zone(client, bearer) -> None:
    response = client.get("/v1/marts/sante_flux_jour/data.geojson", headers=bearer(("exploitation",)))
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_zone"


def test_unknown_dataset_is_404(client, services) -> None:
    assert client.get("/v1/marts/nope/data", headers=services).status_code == 404
    assert client.get("/v1/open-data/nope/data").status_code == 404


def test_indexed_and_scanned_filters_agree(client, services, published) -> None:
    """``__in`` on an indexed column (positions) and ``__differs`` (a scan) select the same rows as pandas."""
    twice = client.get(f"/v1/marts/{MART}/data", params={"code_quartier__in": "1320101,1320101,9999999"}, headers=services).json()
    assert twice["meta"]["total"] == int((published["code_quartier"] == "1320101").sum())
    rows = client.get(
        f"/v1/marts/{MART}/data.json", params={"nb_incidents__exact": "1", "categorie__notin": "Dépôts sauvages"}, headers=services
    ).json()
    expected = published[(published["nb_incidents"] == 1) & (published["categorie"] != "Dépôts sauvages")]
    assert len(rows) == len(expected)
    assert [r["jour"] for r in rows] == sorted(r["jour"] for r in rows)  # grain order kept after the index
