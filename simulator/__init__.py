"""The partner simulator: the city's stand-in, writing every partner's drops into ``landing/``.

Files are written exactly as partners export them (headers, separators, encodings, JSON layouts
and file names from the feed declarations), dirty on purpose, with planted effects; a truth file
records the effect sizes and instances, every injected defect and every planted personal value,
so tests can check what the pipeline caught and what the analytics recover::

    from simulator import simulate
    report = simulate(landing, date(2026, 3, 2), days=7, seed=42, effects="my_effects.yaml")

Determinism: every random draw comes from a stream keyed by the seed and by what it draws (a
feed and a day, a month of events, a year of weather...), so the same seed gives the same bytes
and a day's file does not depend on the days simulated before it. Adding a feed means one
:class:`~simulator.base.FeedSimulator` subclass registered in ``SIMULATED_FEEDS``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from simulator.base import FeedSimulator, Period
from simulator.calendar import holidays_between
from simulator.dirt import REJECTING_KINDS, DirtRates, Malformed, inject, is_json, targets
from simulator.effects import load_effects
from simulator.feeds import ALL_FEEDS
from simulator.truth import SCHEMA_VERSION, TRUTH_DIR_NAME, Defect, Planted, truth_path, write_truth
from simulator.world import World
from simulator.writers import render_csv, render_json, render_jsonl, truncate, write_delivery

__all__ = ["SIMULATED_FEEDS", "DirtRates", "SimulationReport", "simulate"]

# Feeds the simulator plays, in the order they are generated (the order is part of the output).
SIMULATED_FEEDS: tuple[type[FeedSimulator], ...] = ALL_FEEDS

# Stream keys under a (seed, feed, period) stream: dirt and delivery times have their own, so
# changing dirt rates leaves the clean content of every row unchanged.
_CONTENT, _DIRT, _DELIVERY = 0, 1, 2
WRONG_ENCODING = {"utf-8": "cp1252", "utf-8-sig": "cp1252", "latin-1": "utf-8"}


@dataclass
class SimulationReport:
    """What a simulation wrote."""

    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # feed -> data records written (all files)
    truth_path: Path = Path()
    defects: int = 0
    bytes: dict[str, int] = field(default_factory=dict)  # feed -> bytes written


def _record_line(spec_type: str, record: int) -> int:
    """The truth ``line`` of data record ``record`` (0-based), as ingestion reports it: the
    physical line for CSV (header = line 1) and JSON lines, the 1-based record number in the
    array for JSON documents (one record per physical line, so that is the physical line - 1)."""
    return record + (2 if spec_type == "csv" else 1)


def _file_defect_periods(sim: FeedSimulator, periods: list[Period], start: date, dirt: DirtRates) -> dict[date, str]:
    found: dict[date, str] = {}
    for kind, offset in dirt.file_defects_for(sim.feed_name):
        day = start + timedelta(days=offset)
        for period in periods:
            if period.start <= day <= period.end:
                if period.start in found:
                    raise ValueError(f"{sim.feed_name}: two file-level defects on the delivery of {period.start}")
                found[period.start] = kind
    return found


def _write_reference(landing: Path, seed: int, world: World) -> dict[str, Any]:
    folder = landing / TRUTH_DIR_NAME / f"reference_seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (header, rows) in world.ref.as_rows().items():
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        (folder / f"{name}.csv").write_text(buffer.getvalue(), encoding="utf-8")
        files[name] = f"{name}.csv"
    return {"folder": folder.name, "files": files}


def _renamed(source: str, json_keys: bool) -> str:
    """How a partner's software update renames a column (camelCase keys, spaces for underscores...)."""
    if json_keys and "_" in source:
        first, *rest = source.split("_")
        return first + "".join(part.title() for part in rest)
    if "_" in source:
        return source.replace("_", " ")
    if " " in source:
        return source.replace(" ", "_")
    return f"{source}_2"


def _render(sim: FeedSimulator, header: list[str], rows: list[Any], head: dict[str, Any] | None) -> str:
    spec = sim.spec
    kind = spec.format.type
    if kind == "csv":
        return render_csv(spec, header, rows, quote_all=sim.quote_all, terminator=sim.line_terminator)
    if kind == "jsonl":
        return render_jsonl(header, rows)
    return render_json(header, rows, spec.format.records_path, head)


def simulate(
    landing: Path,
    start: date,
    days: int,
    seed: int = 42,
    scale: float = 1.0,
    dirt: DirtRates | None = None,
    effects: Path | str | dict[str, Any] | None = None,
    feeds: Sequence[str] | None = None,
) -> SimulationReport:
    """Write every simulated feed's deliveries covering ``[start, start + days)``, plus the truth file.

    Files go to ``landing/<feed>/<partner file name>``. Daily feeds deliver each day; weekly,
    monthly and yearly feeds deliver each period overlapping the window, in full. ``scale``
    multiplies volumes; ``dirt`` sets defect rates and file-level defects (default: small rates
    and each file-level kind once in 30 days; else the ``dirt`` section of the effects file);
    ``effects`` is a YAML file or dict merged over ``effects.default.yaml``. ``feeds`` restricts
    the simulation to some feeds (default: all of ``SIMULATED_FEEDS``); a feed's files are the same
    bytes whichever other feeds are simulated with it.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    if seed < 0:
        raise ValueError("seed must be >= 0 (it seeds numpy's SeedSequence)")
    if not scale >= 0:
        raise ValueError("scale must be >= 0")
    landing = Path(landing)
    effects_config, dirt_section = load_effects(effects)
    if dirt is None:
        dirt = DirtRates.from_dict(dirt_section) if dirt_section else DirtRates()
    known = {cls.feed_name for cls in SIMULATED_FEEDS}
    unknown = {name for places in dirt.file_defects.values() for name, _ in places} - known
    if unknown:
        raise ValueError(f"file_defects name feeds the simulator does not play: {sorted(unknown)}")

    if feeds is not None and set(feeds) - known:
        raise ValueError(f"feeds the simulator does not play: {sorted(set(feeds) - known)}")
    world = World(seed, scale, effects_config)
    chosen = [cls for cls in SIMULATED_FEEDS if feeds is None or cls.feed_name in feeds]
    simulators = [feed_class(seed, world) for feed_class in chosen]
    for simulator in simulators:
        simulator.check(start, days, scale)
    planted = Planted()
    report = SimulationReport()
    files_meta: list[dict[str, Any]] = []
    defects: list[Defect] = []
    covered: list[date] = []

    for sim in simulators:
        spec = sim.spec
        fmt_type = spec.format.type
        report.rows[spec.name] = 0
        report.bytes[spec.name] = 0
        periods = sim.periods(start, days)
        file_defects = _file_defect_periods(sim, periods, start, dirt)
        for period in periods:
            covered += [period.start, period.end]
            key = period.start.toordinal()
            file_planted = Planted()
            columns = sim.period_columns(period, sim.stream(key, _CONTENT), file_planted)
            dirt_rng = sim.stream(key, _DIRT)
            file_kind = file_defects.get(period.start)
            names = [c.name for c in spec.columns]
            if file_kind in REJECTING_KINDS:
                rows: list[Any] = [list(v) for v in zip(*(columns[n] for n in names), strict=True)]
                row_defects = []
            else:
                rows, row_defects = inject(spec, period.start, columns, dirt_rng, dirt, sim.dirt_targets)
            delivered_at = sim.delivered_at(period, sim.stream(key, _DELIVERY))
            header = list(spec.source_headers)
            path = landing / spec.name / sim.file_name(period)
            file_column: str | None = None
            file_detail = ""
            if file_kind == "breaking_schema_change":
                target = targets(spec, sim.dirt_targets).get("unknown_code") or names[1]
                j = names.index(target)
                old = header[j]
                header[j] = _renamed(old, is_json(spec))
                file_column, file_detail = target, f"column {old!r} renamed {header[j]!r}"
            elif file_kind == "additive_schema_change":
                added, value = sim.added_column
                header.append(added)
                rows = [Malformed([*r.values, value], r.variant) if isinstance(r, Malformed) else [*r, value] for r in rows]
                file_detail = f"new column {added!r} appended"
            head = sim.json_head(period, len(rows), delivered_at)
            text = _render(sim, header, rows, head)
            encoding = spec.format.encoding
            if file_kind == "wrong_encoding":
                other = WRONG_ENCODING.get(encoding.lower(), "utf-16")
                data = text.encode(other)
                file_detail = f"written in {other} instead of {encoding}"
            else:
                data = text.encode(encoding)
            header_lines = 0 if fmt_type == "jsonl" else 1
            records = len(rows)
            if file_kind == "truncated_file":
                data = truncate(data, fmt_type, spec.format.separator, dirt_rng)
                records = max(data.count(b"\n") - header_lines, 0)
                file_detail = f"cut after {len(data)} bytes, inside record {records + 1}"
            elif file_kind == "empty_file":
                data = b""
                records = 0
                file_detail = "zero bytes"
            mtime_at = delivered_at
            timing: str | None = None
            if file_kind == "late_file":
                mtime_at = delivered_at + timedelta(days=dirt.late_days)
                timing = mtime_at.isoformat()
                file_detail = f"delivered {dirt.late_days} days late (due {delivered_at.isoformat()})"
            elif file_kind == "duplicate_delivery":
                mtime_at = delivered_at + timedelta(days=dirt.redelivery_days)
                timing = mtime_at.isoformat()
                file_detail = f"same bytes delivered again at {timing} (first at {delivered_at.isoformat()})"
            write_delivery(path, data, mtime_at)
            # Planted values are what landing holds: a cut or emptied file no longer holds them all.
            cut = file_kind in ("empty_file", "truncated_file")
            planted.merge(file_planted, data.decode(encoding, errors="replace") if cut else None)
            if file_kind:
                defects.append(Defect(spec.name, path.name, None, file_kind, file_column, file_detail, None, timing))
            defects.extend(
                Defect(spec.name, path.name, _record_line(fmt_type, d.row), d.kind, d.column, d.detail, d.row) for d in row_defects
            )
            files_meta.append({
                "feed": spec.name,
                "file": path.name,
                "day": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "delivered_at": mtime_at.isoformat(),
                "rows": records,
                "defects": len(row_defects),
                "bytes": len(data),
                "file_defect": file_kind,
            })
            report.files.append(path)
            report.rows[spec.name] += records
            report.bytes[spec.name] += len(data)

    report.truth_path = truth_path(landing, start, days, seed)
    report.defects = len(defects)
    first, last = (min(covered), max(covered)) if covered else (start, start)
    reference = _write_reference(landing, seed, world)
    write_truth(
        report.truth_path,
        {
            "schema_version": SCHEMA_VERSION,
            "parameters": {
                "start": start.isoformat(),
                "days": days,
                "seed": seed,
                "scale": float(scale),
                "dirt": dirt.as_dict(),
                "effects_source": "default" if effects is None else ("dict" if isinstance(effects, dict) else str(effects)),
            },
            "files": files_meta,
            "rows": report.rows,
            "defects": [d.as_dict() for d in defects],
            "effects": {
                "config": effects_config,
                "covered": {"first": first.isoformat(), "last": last.isoformat()},
                "instances": world.instances(first, last),
                "realised": {sim.feed_name: dict(sorted(sim.realised.items())) for sim in simulators if sim.realised},
            },
            "calendar": holidays_between(first, last),
            "reference_tables": reference,
            "planted": planted.as_dict(),
        },
    )
    return report
