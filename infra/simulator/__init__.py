"""The partner simulator: the city's stand-in, writing partners' daily drops into ``landing/``.

Files are written exactly as partners export them (headers, separator, encoding and file names
from the feed declarations), dirty on purpose; a truth file records every injected defect and
every planted personal value, so tests can check what the pipeline caught and what it let
through::

    from infra.simulator import simulate
    report = simulate(landing, date(2026, 3, 2), days=7, seed=42)

Determinism: each (seed, feed, day) has its own random streams, so the same seed gives the same
bytes, and a day's file does not depend on the days simulated before it. Adding a feed means
one :class:`~infra.simulator.base.FeedSimulator` subclass registered in ``SIMULATED_FEEDS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from infra.simulator.base import FeedSimulator
from infra.simulator.dirt import DirtRates, inject
from infra.simulator.partner_csv import write_partner_csv
from infra.simulator.police import PoliceMainsCourantes
from infra.simulator.truth import SCHEMA_VERSION, Defect, Planted, truth_path, write_truth

__all__ = ["DirtRates", "SimulationReport", "simulate", "SIMULATED_FEEDS"]

# Feeds the simulator plays, in the order they are generated (the order is part of the output).
SIMULATED_FEEDS: tuple[type[FeedSimulator], ...] = (PoliceMainsCourantes,)

# Stream keys under a (seed, feed, day) stream: the dirt has its own, so changing dirt rates
# leaves the clean content of every row unchanged.
_CONTENT, _DIRT = 0, 1


@dataclass
class SimulationReport:
    """What a simulation wrote."""

    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # feed -> data rows written (all files)
    truth_path: Path = Path()
    defects: int = 0


def simulate(
    landing: Path,
    start: date,
    days: int,
    seed: int = 42,
    scale: float = 1.0,
    dirt: DirtRates | None = None,
) -> SimulationReport:
    """Write ``days`` daily deliveries of every simulated feed from ``start``, plus the truth file.

    Files go to ``landing/<feed>/<partner file name>``; the delivery of day d covers what
    happened on day d. ``scale`` multiplies volumes; ``dirt`` sets defect rates (defaults small).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    if seed < 0:
        raise ValueError("seed must be >= 0 (it seeds numpy's SeedSequence)")
    if not scale >= 0:
        raise ValueError("scale must be >= 0")
    landing = Path(landing)
    dirt = dirt or DirtRates()
    planted = Planted()
    report = SimulationReport()
    files_meta: list[dict[str, object]] = []
    defects: list[Defect] = []

    simulators = [feed_class(seed) for feed_class in SIMULATED_FEEDS]
    for simulator in simulators:
        simulator.check(start, days, scale)
    for simulator in simulators:
        spec = simulator.spec
        report.rows[spec.name] = 0
        for offset in range(days):
            day = start + timedelta(days=offset)
            columns = simulator.day_columns(day, simulator.stream(day.toordinal(), _CONTENT), scale, planted)
            rows, row_defects = inject(spec, day, columns, simulator.stream(day.toordinal(), _DIRT), dirt)
            path = landing / spec.name / spec.file_name(day)
            write_partner_csv(path, spec, rows)
            # Physical line = data row index + 2: the header is line 1, one record per line.
            defects.extend(Defect(spec.name, path.name, d.row + 2, d.kind, d.column, d.detail) for d in row_defects)
            files_meta.append(
                {
                    "feed": spec.name,
                    "file": path.name,
                    "day": day.isoformat(),
                    "rows": len(rows),
                    "defects": len(row_defects),
                }
            )
            report.files.append(path)
            report.rows[spec.name] += len(rows)

    report.truth_path = truth_path(landing, start, days, seed)
    report.defects = len(defects)
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
            },
            "files": files_meta,
            "rows": report.rows,
            "defects": [d.as_dict() for d in defects],
            "planted": planted.as_dict(),
        },
    )
    return report
