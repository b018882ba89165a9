"""Export Spark tables to Parquet files, run with the Spark virtualenv's Python (``.venv-spark``).

The comparison test (tests/cluster/test_spark_models.py) runs in ``.venv``, where pyspark is not
installed on purpose (pyproject's ``spark`` group); it asks this script, run by
``.venv-spark/bin/python``, to read each relation from the Sail server and write it as
``<out>/<schema>.<name>.parquet``, plus ``<out>/_details.json`` (each table's storage provider and
location).
Only pyspark and pyarrow are imported here.

Usage: python spark_export.py <spark remote> <out dir> <schema.name> [<schema.name> ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(remote: str, out: Path, tables: list[str]) -> None:
    """Write every table of ``tables`` from the Spark Connect server at ``remote`` into ``out``."""
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    out.mkdir(parents=True, exist_ok=True)
    # No spark.stop() at the end: it would end the server-side session that dbt's runs share.
    spark = SparkSession.builder.remote(remote).getOrCreate()
    details: dict[str, dict[str, str | None]] = {}
    for table in tables:
        pq.write_table(spark.table(table).toArrow(), out / f"{table}.parquet")
        described = {row[0]: row[1] for row in spark.sql(f"describe table extended {table}").collect()}
        details[table] = {"provider": described.get("Provider"), "location": described.get("Location")}
    (out / "_details.json").write_text(json.dumps(details, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
