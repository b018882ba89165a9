"""Audit of API reads (batched, flushed at shutdown), public read counts, retention, rate limit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow.compute as pc

from orchestration.core import audit
from orchestration.core.access import Principal
from orchestration.core.audit import AuditEvent
from orchestration.core.settings import ApiSettings

MART = "incidents_quartier_jour"
DATASET = "interventions-police-municipale-arrondissement-mois"


def _rows_of(settings, subject: str) -> list[dict]:
    table = audit.read(settings.audit)
    return table.filter(pc.equal(table["subject"], subject)).to_pylist()


def test_authenticated_reads_are_audited_in_one_batch(client, bearer, api_settings) -> None:
    subject = f"agent-{uuid.uuid4().hex[:8]}"
    headers = bearer(("services",), sub=subject)
    writer = client.app.state.api.audit
    commits = writer.commits
    ok = client.get(f"/v1/marts/{MART}/data", params={"code_quartier__exact": "1320101", "page_size": "3"}, headers=headers)
    exported = client.get(f"/v1/marts/{MART}/data.csv", params={"code_quartier__exact": "1320101"}, headers=headers)
    client.get("/v1/marts/sante_flux_jour/data", headers=headers)  # 403, audited too
    client.get(f"/v1/marts/{MART}/data", params={"nb_incidents__exact": "1 OR 1=1"}, headers=headers)  # 400
    assert _rows_of(api_settings, subject) == []  # buffered, not one commit per read
    writer.flush()
    assert writer.commits == commits + 1

    rows = sorted(_rows_of(api_settings, subject), key=lambda r: r["read_at"])
    assert [r["status"] for r in rows] == [200, 200, 403, 400]
    first = rows[0]
    assert first["channel"] == "api" and first["principal_kind"] == "user" and first["roles"] == "services"
    assert first["resource"] == f"mart:{MART}" and first["rows_returned"] == len(ok.json()["data"]) == 3
    assert json.loads(first["filters"]) == {"code_quartier__exact": "1320101", "page_size": "3"}
    assert first["client"].startswith("testclient")
    assert rows[1]["rows_returned"] == exported.text.count("\n") - 1  # streamed export: counted at the end
    assert rows[2]["resource"] == "mart:sante_flux_jour" and rows[2]["rows_returned"] == 0


def test_machine_token_reads_are_audited_under_the_token_id(client, api_settings) -> None:
    from orchestration.core.api_tokens import TokenStore, store_path

    token, secret = TokenStore(store_path(api_settings)).create("audit-test", ["services"], days=1)
    client.get(f"/v1/marts/{MART}", headers={"Authorization": f"Bearer {secret}"})
    client.app.state.api.audit.flush()
    rows = _rows_of(api_settings, f"token:{token.id}")
    assert len(rows) == 1 and rows[0]["principal_kind"] == "token" and rows[0]["resource"] == f"mart:{MART}:metadata"
    assert secret not in json.dumps(rows, default=str)


def test_shutdown_flushes_the_buffer(make_client, bearer, api_settings) -> None:
    subject = f"agent-{uuid.uuid4().hex[:8]}"
    client = make_client()
    client.get(f"/v1/marts/{MART}/data", headers=bearer(sub=subject))
    client.__exit__(None, None, None)  # lifespan shutdown
    assert len(_rows_of(api_settings, subject)) == 1


def test_public_reads_are_counted_never_audited(client, api_settings) -> None:
    before = audit.read(api_settings.audit).num_rows
    for fmt in ("data", "data.csv", "data.csv", "data.geojson"):
        assert client.get(f"/v1/open-data/{DATASET}/{fmt}", params={"arrondissement__exact": "13201"}).status_code == 200
    client.app.state.api.audit.flush()
    assert audit.read(api_settings.audit).num_rows == before  # no per-read row for public downloads
    counts = audit.lake.read(audit.public_reads_path(api_settings.audit))
    assert set(counts.column_names) == {"counted_from", "counted_to", "dataset", "format", "reads"}  # no client, no filter
    mine = {
        (r["format"]): r["reads"]
        for r in counts.to_pylist()
        if r["dataset"] == DATASET and r["counted_to"] == pc.max(counts["counted_to"]).as_py()
    }
    assert mine == {"page": 1, "csv": 2, "geojson": 1}


def test_retention_removes_old_audit_rows(tmp_path) -> None:
    path = tmp_path / "meta" / "audit_reads"
    who = Principal("agent-x", frozenset({"services"}))
    old = datetime.now(UTC) - timedelta(days=400)
    audit.append(path, [AuditEvent(who, "api", "mart:x", 1, read_at=old), AuditEvent(who, "api", "mart:x", 2)])
    audit.append_public_counts(audit.public_reads_path(path), old, old, {("d", "csv"): 3})
    removed = audit.apply_retention(path)  # the declared retention (core/transparency.yaml)
    assert audit.retention_days() == 365
    assert removed == {"audit_reads": 1, "open_data_reads": 1}
    assert [r["rows_returned"] for r in audit.read(path).to_pylist()] == [2]


def test_rate_limit_is_429_with_retry_after(make_client, bearer) -> None:
    client = make_client(ApiSettings(rate_per_second=0.5, burst=3, audit_flush_seconds=3600))
    headers = bearer(sub=f"agent-{uuid.uuid4().hex[:8]}")
    statuses = [client.get(f"/v1/marts/{MART}", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"/v1/marts/{MART}", headers=headers)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    # Buckets are per caller: another user is not slowed by the first one.
    assert client.get(f"/v1/marts/{MART}", headers=bearer(sub="someone-else")).status_code == 200
