"""What the CSV diagnostics (gdpr_analytics.diagnose) cost on a big file: run by hand, not by make bench.

    .venv/bin/python benchmarks/csv_diagnostics.py [--lines 50000000] [--dir build/bench/diag]

Writes an access_log.csv of --lines lines (about 60 bytes each) with DuckDB, then times, each in this
process and as the median of --reps runs (the file in the page cache after the first read):
- `header`: what every CSV load pays before DuckDB reads the file (its first MiB);
- DuckDB reading the whole file with the loader's read_csv options (count(*), once): the load's own floor;
- SHA-256 of the whole file (every load pays it already, for change detection), for comparison;
- `first_bad_byte`: the whole-file UTF-8 scan, paid only after DuckDB failed to read a file.
The file is removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

from gdpr_analytics.core.files import sha256_file
from gdpr_analytics.ingest import diagnose

REPO = Path(__file__).resolve().parents[1]


def timed(fn, reps: int) -> float:
    runs = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=50_000_000)
    ap.add_argument("--dir", type=Path, default=REPO / "build" / "bench" / "diag")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "access_log.csv"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    t = time.perf_counter()
    con.execute(f"""COPY (SELECT printf('E%09d', i) AS event_id,
                          strftime(TIMESTAMP '2026-10-01' + to_seconds(i % 2678400), '%Y-%m-%dT%H:%M:%S') AS occurred_at,
                          'tcs' AS processor, 'A' || (i % 97) AS actor_id, 'IN' AS source_country,
                          NULL AS source_ip, 'read' AS action, 'orders' AS resource, NULL AS customer_id,
                          1 AS record_count, NULL AS ticket_id
                   FROM range({args.lines - 1}) t(i))
                   TO '{path.as_posix()}' (FORMAT csv, HEADER true)""")
    size = path.stat().st_size
    print(f"wrote {path}: {args.lines:,} lines, {size / 1e9:.2f} GB in {time.perf_counter() - t:.1f} s")
    try:
        names = diagnose.header(path)
        assert len(names) == 11, names
        head = timed(lambda: diagnose.header(path), max(args.reps, 5))
        print(f"header (every load, before DuckDB): {head * 1000:.2f} ms")
        t = time.perf_counter()
        rows = con.execute("SELECT count(*) FROM read_csv($p, header = true, all_varchar = true, delim = ',', "
                           "quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8')",
                           {"p": str(path)}).fetchone()[0]
        read = time.perf_counter() - t
        print(f"DuckDB read_csv, loader's options, count(*) = {rows:,}: {read:.2f} s")
        sha = timed(lambda: sha256_file(path), args.reps)
        print(f"SHA-256 of the file (every load): {sha:.2f} s ({size / sha / 1e9:.2f} GB/s)")
        scan = timed(lambda: diagnose.first_bad_byte(path), args.reps)
        print(f"first_bad_byte (only after DuckDB failed): {scan:.2f} s ({size / scan / 1e9:.2f} GB/s)")
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
