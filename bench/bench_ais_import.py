"""AIS import throughput against sqlite3's own .import, and a week's track out of 10M positions.

In the runner: ``python -m bench ais`` (``run()``). Alone: ``python -m bench.bench_ais_import
[--rows 5000000] [--track-rows 10000000]``, which prints one line per measure: ``name value
baseline ratio``. Sizes can also be set with ``BENCH_AIS_ROWS`` and ``BENCH_AIS_TRACK_ROWS``.
Needs the sqlite3 command-line tool (Debian package sqlite3;
tools/ensure-system-packages.sh installs it).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.ais_data import START, generate_marinecadastre

TARGET_RATIO = 0.5  # our rows/s at least half of sqlite3 .import's
TRACK_TARGET_MS = 50.0
ROWS = 5_000_000
TRACK_ROWS = 10_000_000


def bench_import(work: Path, rows: int) -> tuple[float, float]:
    """(our rows/s, sqlite3 .import rows/s) on the same generated file, one run each."""
    from evidence_app.services import imports
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        sys.exit("the sqlite3 command-line tool is missing: apt-get install sqlite3")
    data = work / f"marinecadastre_{rows}.csv"
    generate_marinecadastre(data, rows)
    bare = work / "bare.sqlite"
    started = time.perf_counter()
    subprocess.run([sqlite3_cli, str(bare), "-cmd", ".mode csv", f".import {data} ais"], check=True)
    baseline_s = time.perf_counter() - started
    store = open_store(work / "store.sqlite")
    try:
        started = time.perf_counter()
        report = imports.import_ais(Context(store, "bench"), [data])
        ours_s = time.perf_counter() - started
    finally:
        store.close()
    assert report.imported.get("position") == rows, report.as_dict()
    return rows / ours_s, rows / baseline_s


def bench_track(work: Path, rows: int, vessels: int = 2000, days: int = 60) -> float:
    """Milliseconds (median of 20) to fetch one vessel's week out of ``rows`` stored positions."""
    from evidence_app.services import imports
    from evidence_app.services.context import Context
    from evidence_app.storage import audit
    from evidence_app.storage.bulk import PositionWriter, bulk_positions
    from evidence_app.storage.db import open_store
    from evidence_app.storage.models import Evidence

    store = open_store(work / "track.sqlite")
    ctx = Context(store, "bench")
    step = days * 86400 / rows
    start_ts = int(START.timestamp())
    with store.write() as session:
        evidence = Evidence(sha256="0" * 64, size=0, kind="ais", original_name="synthetic")
        session.add(evidence)
        session.flush()
        writer = PositionWriter(session, evidence.id)
        with bulk_positions(session, rows):
            chunk = []
            for n in range(rows):
                chunk.append((200_000_000 + (n % vessels), start_ts + int(n * step), 10.0, 20.0, 5.0, 90.0, 90, 0))
                if len(chunk) == 100_000:
                    writer.write(chunk)
                    chunk = []
            writer.write(chunk)
        # Every write is audited (the store refuses a commit without an entry), as the importer does.
        audit.record(session, ctx.actor, "import.ais", "evidence", evidence.id, {"synthetic_rows": rows})
    rng = random.Random(3)
    timings = []
    for _ in range(20):
        mmsi = 200_000_000 + rng.randrange(vessels)
        begin = START + timedelta(days=rng.randrange(days - 7))
        started = time.perf_counter()
        track = imports.vessel_track(ctx, mmsi, begin, begin + timedelta(days=7))
        timings.append((time.perf_counter() - started) * 1000)
        assert track, "empty track: the generator and the query disagree"
    store.close()
    timings.sort()
    return timings[len(timings) // 2]


def run(rows: int | None = None, track_rows: int | None = None, workdir: str | None = None) -> list[dict[str, Any]]:
    """Both measures as results for the runner (``bench/__main__.py``)."""
    rows = rows or int(os.environ.get("BENCH_AIS_ROWS", ROWS))
    track_rows = track_rows or int(os.environ.get("BENCH_AIS_TRACK_ROWS", TRACK_ROWS))
    with tempfile.TemporaryDirectory(prefix="bench-ais-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        ours, baseline = bench_import(work, rows)
        for leftover in work.glob("*.csv"):
            leftover.unlink()  # free the disk before the track store
        ms = bench_track(work, track_rows)
    return [
        {
            "name": "AIS import, MarineCadastre CSV (rows/s)",
            "value": ours,
            "unit": "rows/s",
            "baseline": baseline,
            "higher_is_better": True,
            "target": TARGET_RATIO,
            "target_is_ratio": True,
            "note": f"{rows:,} generated rows, one run each; baseline: sqlite3 .import of the same file into a "
            "bare table (ours also stores the file, parses, validates, indexes and records identities)",
        },
        {
            "name": "AIS one-week track query (s)",
            "value": ms / 1000,
            "unit": "s",
            "baseline": None,
            "higher_is_better": False,
            "target": TRACK_TARGET_MS / 1000,
            "target_is_ratio": False,
            "note": f"median of 20 random vessels and weeks out of {track_rows:,} stored positions",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--track-rows", type=int, default=TRACK_ROWS)
    parser.add_argument("--workdir", help="keep files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ais-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        ours, baseline = bench_import(work, args.rows)
        print(f"{'name':<28}{'value':>14}{'baseline':>14}{'ratio':>8}")
        print(
            f"{'ais_import_rows_per_s':<28}{ours:>14,.0f}{baseline:>14,.0f}{ours / baseline:>8.2f}"
            f"   (target ratio >= {TARGET_RATIO}; baseline: sqlite3 .import into a bare table)"
        )
        for leftover in work.glob("*.csv"):
            leftover.unlink()  # free the disk before the track store
        ms = bench_track(work, args.track_rows)
        print(
            f"{'ais_track_week_ms':<28}{ms:>14.1f}{TRACK_TARGET_MS:>14.1f}{TRACK_TARGET_MS / ms:>8.2f}"
            f"   (median of 20; {args.track_rows:,} positions stored; target < {TRACK_TARGET_MS:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
