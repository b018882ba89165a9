"""Do two checkouts ingest a landing into the same tables? (a check, not a test; see bench_ingest.py)

    # 1. a landing with hostile CSV files (blank lines, wrong widths, unbalanced quotes, CR/CRLF...)
    .venv/bin/python infra/benchmarks/ingest_identity.py hostile --days 30 --out /tmp/hostile-landing
    # 2. each checkout ingests it (twice: the rerun must change nothing) and dumps its tables
    base/.venv/bin/python infra/benchmarks/ingest_identity.py dump --repo base --landing /tmp/hostile-landing --out /tmp/a
    .venv/bin/python infra/benchmarks/ingest_identity.py dump --repo . --landing /tmp/hostile-landing --out /tmp/b
    # (add --batch-size 1 on both sides to commit file by file, as daily operation does)
    # 3. compare: bronze of every feed, quarantine rows, rejected deliveries, ledger (rows and schema)
    .venv/bin/python infra/benchmarks/ingest_identity.py compare /tmp/a /tmp/b

Ingestion timestamps (``_ingested_at``, ``quarantined_at``, ``detected_at``, ``ingested_at``) are
left out; everything else, rows and Arrow schema, must be equal.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TIMESTAMPS = {"_ingested_at", "quarantined_at", "detected_at", "ingested_at"}


def _mutations(lines: list[str], separator: str, rng: random.Random) -> list[tuple[str, str]]:
    """(name, file text) variants of a delivery's lines (header first) that a reader must account for."""
    header, rows = lines[0], lines[1:] or [lines[0]]
    mid = len(rows) // 2
    quoted = [f'"{v}"' for v in rows[0].split(separator)]
    quoted[-1] = '"a ' + separator + ' b ""c"" d"'
    variants = {
        "blank_line": [header, *rows[:mid], "", *rows[mid:]],
        "whitespace_line": [header, *rows[:mid], "   ", *rows[mid:]],
        "extra_field": [header, *rows[:mid], rows[mid] + separator + "x", *rows[mid + 1 :]],
        "missing_field": [header, *rows[:mid], rows[mid].rsplit(separator, 1)[0], *rows[mid + 1 :]],
        "unbalanced_quote": [header, *rows[:mid], rows[mid].replace(separator, separator + '"', 1), *rows[mid + 1 :]],
        "quoted_fields": [header, separator.join(quoted), *rows[1:]],
        "quote_then_text": [header, rows[0].replace(separator, separator + '"ab"c', 1), *rows[1:]],
        "multiline_field": [header, *rows[:mid], rows[mid].replace(separator, separator + '"one\ntwo"', 1), *rows[mid + 1 :]],
        "header_only": [header],
        "duplicated_rows": [header, *rows, *rows[: max(1, mid)]],
        "shuffled": [header, *rng.sample(rows, len(rows))],
    }
    out = [(name, "\n".join(v) + "\n") for name, v in variants.items()]
    out += [
        ("crlf", "\r\n".join(lines) + "\r\n"),
        ("lone_cr", "\r".join(lines) + "\r"),
        ("no_final_break", "\n".join(lines)),
        ("truncated_last", "\n".join(lines) + "\n" + rows[-1][: len(rows[-1]) // 2]),
        ("nul_inside", "\n".join([header, *rows[:mid], rows[mid] + "\x00", *rows[mid + 1 :]]) + "\n"),
    ]
    return out


def hostile(days: int, out: Path, seed: int) -> None:
    """A simulated landing whose CSV deliveries are partly replaced by hostile variants of themselves."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from orchestration.core.catalog import feeds
    from simulator import simulate

    simulate(out, start=date.today() - timedelta(days=days + 1), days=days, seed=seed)
    rng = random.Random(seed)
    for spec in feeds().values():
        if spec.format.type != "csv" or not (out / spec.name).is_dir():
            continue
        files = sorted(p for p in (out / spec.name).iterdir() if p.is_file())
        kept: list[tuple[Path, str]] = []
        for path in files:
            try:
                kept.append((path, path.read_bytes().decode(spec.format.encoding)))
            except UnicodeDecodeError:
                continue
        for (path, _), (kind, variant) in zip(kept[1:], _mutations(kept[0][1].splitlines(), spec.format.separator, rng), strict=False):
            if spec.format.encoding.startswith("utf-8") and kind == "crlf":
                variant = "\ufeff" + variant  # a byte order mark too
            path.write_bytes(variant.encode(spec.format.encoding, errors="replace"))
            print(f"{spec.name}: {path.name} <- {kind}")


def dump(repo: Path, landing: Path, out: Path, batch_size: int = 366) -> None:
    """Ingest ``landing`` with ``repo``'s code (twice), write each table sorted, timestamps left out.

    ``batch_size`` 1 commits each delivery on its own, as daily operation does (every write then
    lands in a table that already holds rows, which a single batch into empty tables never shows).
    """
    sys.path.insert(0, str(repo.resolve()))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from orchestration.core import lake
    from orchestration.core.catalog import feeds
    from orchestration.core.ingestion import (
        bronze_path,
        ensure_tables,
        ingest_deliveries,
        landing_files,
        ledger_path,
        quarantine_rows_path,
        rejected_deliveries_path,
    )
    from orchestration.core.settings import load_settings

    root = Path(tempfile.mkdtemp(prefix="ingest-identity-"))
    shutil.copytree(landing, root / "lake" / "landing", symlinks=True)
    settings = load_settings(root / "lake")
    specs = [s for s in feeds().values() if landing_files(settings, s)]
    for attempt in ("first", "rerun"):
        for spec in specs:
            ensure_tables(settings, spec)
            results = ingest_deliveries(landing_files(settings, spec), spec, settings, batch_size=batch_size)
            if attempt == "rerun":
                assert all(r.status == "already_processed" for r in results), spec.name
    tables = {f"bronze__{s.name}": bronze_path(settings, s) for s in specs}
    tables |= {"quarantine_rows": quarantine_rows_path(settings), "rejected": rejected_deliveries_path(settings)}
    tables["ledger"] = ledger_path(settings)
    out.mkdir(parents=True, exist_ok=True)
    for name, path in tables.items():
        table = lake.open_table(path).to_pyarrow_table()  # type: ignore[union-attr]
        table = table.drop_columns([c for c in table.column_names if c in TIMESTAMPS])
        if table.num_rows:
            table = table.sort_by([(c, "ascending") for c in table.column_names if not pa.types.is_nested(table.schema.field(c).type)])
        pq.write_table(table, out / f"{name}.parquet")
        print(f"{name}: {table.num_rows} rows")
    shutil.rmtree(root)


def compare(a: Path, b: Path) -> int:
    """0 when every table of dump ``a`` equals its namesake in ``b`` (schema and rows)."""
    names = sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")})
    differ = 0
    for name in names:
        if not (a / name).exists() or not (b / name).exists():
            print(f"DIFFER {name}: missing on one side")
            differ += 1
            continue
        left, right = pq.read_table(a / name), pq.read_table(b / name)
        same = left.schema.equals(right.schema) and left.equals(right)
        differ += not same
        print(f"{'same  ' if same else 'DIFFER'} {name}: {left.num_rows} / {right.num_rows} rows")
    print(f"{len(names) - differ} of {len(names)} tables identical")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hostile")
    h.add_argument("--days", type=int, default=30)
    h.add_argument("--seed", type=int, default=7)
    h.add_argument("--out", type=Path, required=True)
    d = sub.add_parser("dump")
    d.add_argument("--repo", type=Path, required=True)
    d.add_argument("--landing", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--batch-size", type=int, default=366, help="deliveries per commit (1: one commit per file)")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "hostile":
        hostile(args.days, args.out, args.seed)
    elif args.command == "dump":
        dump(args.repo, args.landing, args.out, args.batch_size)
    else:
        return compare(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
