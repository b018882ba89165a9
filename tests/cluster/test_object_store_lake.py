"""The lake's Delta tables on S3 (cluster profile): where they go, and concurrent writers."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pyarrow as pa
import pytest

from infra.cluster.seaweed import SeaweedS3
from orchestration.core import lake
from orchestration.core.settings import ConfigurationError, load_settings
from tests.cluster.conftest import cluster_environ

pytestmark = pytest.mark.cluster


def test_cluster_profile_refuses_missing_or_unsafe_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_PROFILE", "cluster")
    for name in (
        "OBSERVATOIRE_S3_ENDPOINT",
        "OBSERVATOIRE_S3_BUCKET",
        "OBSERVATOIRE_S3_ACCESS_KEY_ID",
        "OBSERVATOIRE_S3_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_S3_ENDPOINT"):
        load_settings(tmp_path)  # no development default for the object store
    monkeypatch.setenv("OBSERVATOIRE_S3_ENDPOINT", "http://s3.example.org")
    monkeypatch.setenv("OBSERVATOIRE_S3_BUCKET", "lake")
    monkeypatch.setenv("OBSERVATOIRE_S3_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("OBSERVATOIRE_S3_SECRET_ACCESS_KEY", "secret")
    settings = load_settings(tmp_path)
    assert settings.object_store is not None and "secret" not in repr(settings)
    assert lake.location(settings.bronze / "csu_evenements").uri == "s3://lake/lake/bronze/csu_evenements"
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY", "x7Qp2LmZ9vR4tYb8Nc3Kd6Hs1Fg5Jw0Ue-aBcDeFgHiJkLmNoPq")
    with pytest.raises(ConfigurationError, match="plain-http"):
        load_settings(tmp_path)


def test_embedded_profile_keeps_tables_on_the_local_disk(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.profile == "embedded"
    where = lake.location(settings.bronze / "csu_evenements")
    assert where.is_local and where.uri == str(tmp_path / "bronze" / "csu_evenements")


def test_tables_live_in_the_bucket_and_upserts_never_duplicate(object_store: SeaweedS3, tmp_path: Path) -> None:
    with cluster_environ(object_store, "upsert"):
        settings = load_settings(tmp_path)
        path = settings.meta / "essai"
        rows = pa.table({"id": [1, 2, 3], "v": ["a", "b", "c"]})
        lake.upsert(path, rows, ["id"])
        lake.upsert(path, rows, ["id"])  # a rerun of the same batch
        lake.upsert(path, pa.table({"id": [3, 4], "v": ["C", "d"]}), ["id"])
        assert sorted(lake.read(path).to_pylist(), key=lambda r: r["id"]) == [
            {"id": 1, "v": "a"},
            {"id": 2, "v": "b"},
            {"id": 3, "v": "C"},
            {"id": 4, "v": "d"},
        ]
        assert lake.location(path).uri.startswith(f"s3://{object_store.bucket}/upsert/")
        assert not (tmp_path / "meta").exists()  # nothing of the table on the local disk


APPENDS_PER_WRITER = 6


def _writer(env: dict[str, str], lake_root: str, writer: int) -> None:
    import os

    os.environ.update(env)
    settings = load_settings(lake_root)
    for i in range(APPENDS_PER_WRITER):
        lake.append(settings.meta / "concurrent", pa.table({"writer": [writer] * 10, "i": [i] * 10}))


def test_two_writers_on_one_table_lose_nothing(object_store: SeaweedS3, tmp_path: Path) -> None:
    """Two processes append to one table at once: delta-rs commits with put-if-absent on S3."""
    with cluster_environ(object_store, "writers") as env:
        settings = load_settings(tmp_path)
        path = settings.meta / "concurrent"
        lake.ensure_table(path, pa.schema([("writer", pa.int64()), ("i", pa.int64())]))  # created before the fan-out
        context = multiprocessing.get_context("spawn")
        workers = [context.Process(target=_writer, args=(env, str(tmp_path), w)) for w in (1, 2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=300)
            assert worker.exitcode == 0
        table = lake.table(path)
        commits = 1 + 2 * APPENDS_PER_WRITER  # creation + every append
        assert table.version() + 1 == commits
        assert len(table.history()) == commits
        frame = table.to_pandas()
        assert len(frame) == 2 * APPENDS_PER_WRITER * 10
        assert frame.groupby(["writer", "i"]).size().eq(10).all()
