"""Case report for 10,000 incidents, run as the user runs it: `evidence-app export report CASE out.pdf|html`.

The store is built the way a GFW-sized case arrives: one events CSV of 10,000 encounters
between 2,000 vessels imported through `imports.import_incidents`, then 100 of them
reviewed through the review service (those get a detail page; the rest are summarised).
Each report runs in a child process (the real command line) so its wall time and peak
memory are its own. Baseline, measured in the same run: writing the same incidents as
plain CSV (sqlite3 query plus the csv module), the least any export of them costs.

`python -m bench report` runs only this; `BENCH_REPORT_INCIDENTS` changes the size.
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

INCIDENTS = int(os.environ.get("BENCH_REPORT_INCIDENTS", "10000"))
REVIEWED = int(os.environ.get("BENCH_REPORT_REVIEWED", "100"))
VESSELS = 2000
TARGET_S = 60.0
TARGET_MB = 1024.0


def write_events_csv(path: Path, n: int, seed: int = 11) -> None:
    """Encounter events as a detection tool publishes them: start, end, position, two vessels by MMSI."""
    rng = random.Random(seed)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    mmsis = [412000000 + i * 37 for i in range(VESSELS)]
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["start", "end", "lat", "lon", "vessel_1", "vessel_2"])
        for _ in range(n):
            t0 = start + timedelta(minutes=rng.randrange(0, 2_000_000))
            a, b = rng.sample(mmsis, 2)
            out.writerow(
                [
                    t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    (t0 + timedelta(hours=rng.uniform(2, 9))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    f"{rng.uniform(24, 40):.5f}",
                    f"{rng.uniform(119, 128):.5f}",
                    a,
                    b,
                ]
            )


def build_store(folder: Path, n: int = INCIDENTS, reviewed: int = REVIEWED) -> tuple[Path, str, float]:
    """(database path, case id, seconds taken) for a case of ``n`` imported incidents, ``reviewed`` of them reviewed."""
    from sqlalchemy import select

    from evidence_app.services import cases, imports, review
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store
    from evidence_app.storage.models import Incident

    started = time.perf_counter()
    db = folder / "store.sqlite"
    store = open_store(db)
    try:
        ctx = Context(store, "bench-analyst")
        case = cases.create_case(
            ctx,
            "GFW encounters, Yellow Sea and East China Sea",
            caveat="BENCH - OFFICIAL-SENSITIVE",
            summary="Encounter events imported from a detection tool's export.",
        )
        events = folder / "encounters.csv"
        write_events_csv(events, n)
        report = imports.import_incidents(ctx, events, case.id)
        assert report.created["incidents"] == n, report.text()
        with store.read() as session:
            ids = list(
                session.scalars(
                    select(Incident.id).where(Incident.case_id == case.id).order_by(Incident.start_utc).limit(reviewed)
                )
            )
        for i, incident_id in enumerate(ids):
            review.review(ctx, incident_id, "under_review", rationale="two hulls alongside in the track data")
            if i % 3 == 0:
                review.review(ctx, incident_id, "rejected", rationale="a port anchorage, not a transfer")
    finally:
        store.close()
    return db, case.id, time.perf_counter() - started


def plain_csv_seconds(db: Path, case_id: str, out: Path) -> float:
    """The same incidents written as CSV with nothing but sqlite3 and csv: the floor for any export."""
    t = time.perf_counter()
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT id, title, status, start_utc, end_utc, lat, lon, radius_m, assessment FROM incidents"
            " WHERE case_id = ? ORDER BY start_utc",
            (case_id,),
        )
        with out.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "title", "status", "start_utc", "end_utc", "lat", "lon", "radius_m", "assessment"])
            writer.writerows(rows)
    finally:
        con.close()
    return time.perf_counter() - t


def run_report(db: Path, case_id: str, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `evidence-app export report` in a child process."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    t = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "evidence_app", "--db", str(db), "export", "report", case_id, str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"export report failed ({child.returncode}): {err}")
    return seconds, usage.ru_maxrss / 1024


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        db, case_id, build_s = build_store(tmp)
        csv_s = min(plain_csv_seconds(db, case_id, tmp / f"plain{i}.csv") for i in range(3))
        results: list[dict[str, Any]] = []
        for fmt in ("pdf", "html"):
            out = tmp / f"report.{fmt}"
            seconds, peak_mb = run_report(db, case_id, out)
            size_mb = out.stat().st_size / 1e6
            results += [
                {
                    "name": f"report, {INCIDENTS:,} incidents ({fmt.upper()}) (s)",
                    "value": round(seconds, 2),
                    "unit": "s",
                    "baseline": round(csv_s, 3),
                    "target": TARGET_S,
                    "note": f"`evidence-app export report` end to end, {REVIEWED} reviewed incidents in detail, the rest"
                    f" summarised; {size_mb:.1f} MB written; baseline: the same incidents as plain CSV;"
                    f" store built in {build_s:.0f} s",
                },
                {
                    "name": f"report, {INCIDENTS:,} incidents ({fmt.upper()}) peak RSS",
                    "value": round(peak_mb, 1),
                    "unit": "MB",
                    "baseline": None,
                    "target": TARGET_MB,
                },
            ]
    return results


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} (baseline {row.get('baseline')}, target {row['target']})")
