"""What the landing sensors and the ingest assets agree on: which deliveries are pending, and
which days they cover. Kept free of Dagster so it is unit-testable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.core.catalog import FeedSpec
from orchestration.core.ingestion import delivery_checksum, landing_files, processed_deliveries
from orchestration.core.settings import Settings

EARLIEST_DELIVERY = date(2015, 1, 1)  # earliest delivery day the calendar accepts (BAAC history)


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of delivery days."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@dataclass(frozen=True)
class Pending:
    """Deliveries waiting for ingestion, and the day range that covers them."""

    files: tuple[Path, ...]
    first_day: str | None
    last_day: str | None
    run_key: str
    seen: dict[str, str]  # file name -> signature of files already processed (sensor cursor)


def signature(path: Path) -> str:
    stat = path.lstat()  # never follow a link: a refused entry is described, not opened
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def pending_deliveries(settings: Settings, spec: FeedSpec, seen: dict[str, str], today: date) -> Pending:
    """Files in landing not yet processed (by checksum), skipping hashes of files seen unchanged."""
    processed: set[tuple[str, str]] | None = None  # the ledger is read only if some file changed
    files: list[Path] = []
    checksums: list[str] = []
    days: list[date] = []
    new_seen = dict(seen)
    for path in landing_files(settings, spec):
        sig = signature(path)
        if seen.get(path.name) == sig:
            continue
        checksum = delivery_checksum(path)
        if processed is None:
            processed = processed_deliveries(settings, spec)
        if (path.name, checksum) in processed:
            new_seen[path.name] = sig
            continue
        files.append(path)
        checksums.append(f"{path.name}:{checksum}")
        day = spec.delivery_date(path.name)
        # Files without a usable date are swept (and rejected) by any ingest run: give them today.
        days.append(day if day and EARLIEST_DELIVERY <= day <= today else today)
    run_key = hashlib.sha256("".join(sorted(checksums)).encode()).hexdigest()[:24]
    return Pending(
        files=tuple(files),
        first_day=min(days).isoformat() if days else None,
        last_day=max(days).isoformat() if days else None,
        run_key=f"{spec.name}-{run_key}",
        seen=new_seen,
    )


def in_day_range(path: Path, spec: FeedSpec, days: DayRange, today: date) -> bool:
    """Does an ingest run over ``days`` own this file? Files without a usable date belong to every run
    (each run sweeps, and rejects, them)."""
    day = spec.delivery_date(path.name)
    if day is None or not (EARLIEST_DELIVERY <= day <= today):
        return True
    return day in days


def delivery_days(file_names: list[str], spec: FeedSpec) -> DayRange | None:
    """The range of delivery days of ``file_names`` (those with a date), or ``None``."""
    days = [day for name in file_names if (day := spec.delivery_date(name)) is not None]
    return DayRange(min(days), max(days)) if days else None
