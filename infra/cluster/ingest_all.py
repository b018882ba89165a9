"""Ingest every feed's landing files into the lake, feed after feed, in this one process.

``python -m infra.cluster.ingest_all --lake PATH`` is the plain worker the cluster tests kill
mid-run and run again: ingestion must then have lost and duplicated nothing (the ledger skips
deliveries already committed, and bronze merges on natural keys).
"""

from __future__ import annotations

import argparse

from orchestration.core.catalog import feeds
from orchestration.core.ingestion import ensure_tables, ingest_deliveries, landing_files
from orchestration.core.settings import load_settings


def ingest_all(lake: str | None = None) -> int:
    """Ingest every pending delivery of every feed; returns the number of deliveries ingested."""
    settings = load_settings(lake)
    ingested = 0
    for spec in feeds().values():
        ensure_tables(settings, spec)
        for result in ingest_deliveries(landing_files(settings, spec), spec, settings):
            ingested += result.status == "ingested"
            print(f"{spec.name} {result.file_name} {result.status}", flush=True)
    return ingested


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lake", help="lake root (default: $OBSERVATOIRE_LAKE)")
    print(f"ingested {ingest_all(parser.parse_args().lake)} deliveries", flush=True)


if __name__ == "__main__":
    main()
