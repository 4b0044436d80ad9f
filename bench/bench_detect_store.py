"""End-to-end encounter detection on a stored month: ``evidence-app detect encounters`` as the user runs it.

Stores (built once with the bulk path, cached under ``bench/results/`` which git ignores):
10 M positions of 2,000 vessels over a month (the fleet of ``bench_detect.make_fleet``,
40 planted meetings), and the same fleet doubled (20 M positions of 4,000 vessels over
the same month) for the scaling ratio. Rows are written in time order across vessels,
as a MarineCadastre day file is, so one vessel's track is scattered through the table.

Measured, each in a fresh process: the CLI command ``detect encounters --json`` (wall
time and peak RSS of the child), and the baseline: plain ``sqlite3`` reading the same
columns (mmsi, ts, lat, lon, sog) into Python tuples with ``fetchall``.
Run: ``PYTHONPATH=. python -m bench detect_store`` (the first run builds the stores: minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / "results" / "detect-stores"
TARGET_S = 30.0
TARGET_GB = 4.0
TARGET_SCALING = 2.3


def build_store(path: Path, n_vessels: int, n_positions: int, n_planted: int) -> list[tuple[int, int, int, int]]:
    """Write the generated fleet into a new store at ``path`` (bulk path); return the planted meetings."""
    import numpy as np

    from bench.bench_detect import make_fleet
    from evidence_app.storage import audit
    from evidence_app.storage.bulk import PositionWriter, bulk_positions
    from evidence_app.storage.db import open_store
    from evidence_app.storage.models import Evidence

    cols, planted = make_fleet(n_vessels, n_positions, n_planted)
    order = np.argsort(cols["ts"], kind="stable")  # time order across vessels, as AIS files come
    n = order.size
    nan = np.full(n, np.nan)
    columns = [
        cols["mmsi"][order],
        cols["ts"][order],
        cols["lat"][order],
        cols["lon"][order],
        cols["sog"][order],
        nan,
        nan,
        nan,
    ]
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    store = open_store(tmp, objects_dir=path.parent / (path.stem + "-objects"))
    try:
        with store.write() as session:
            evidence = Evidence(sha256="0" * 64, size=0, kind="ais", original_name="synthetic fleet")
            session.add(evidence)
            session.flush()
            writer = PositionWriter(session, evidence.id)
            with bulk_positions(session, n):
                for first in range(0, n, 500_000):
                    writer.write_columns([c[first : first + 500_000] for c in columns])
            audit.record(session, "bench", "evidence.add", "evidence", evidence.id, {"positions": n})
    finally:
        store.close()
    tmp.rename(path)
    path.with_suffix(".planted.json").write_text(json.dumps(planted))
    return planted


def store_for(n_vessels: int, n_positions: int, n_planted: int) -> tuple[Path, list[tuple[int, int, int, int]]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fleet-{n_positions // 1_000_000}M-{n_vessels}.sqlite"
    if not path.exists():
        print(f"  building {path.name} (once) ...", file=sys.stderr)
        build_store(path, n_vessels, n_positions, n_planted)
    return path, [tuple(p) for p in json.loads(path.with_suffix(".planted.json").read_text())]


_SQLITE_READ = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
started = time.perf_counter()
rows = con.execute("SELECT mmsi, ts, lat, lon, sog FROM ais_positions").fetchall()
print(time.perf_counter() - started, len(rows))
"""


def _child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in GB of that very child, stdout) of one fresh process."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:4])}... failed: {err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024 / 1024, out.read().decode()


def detect_cli(path: Path) -> tuple[float, float, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    seconds, gb, out = _child(
        [sys.executable, "-m", "evidence_app", "--db", str(path), "--json", "detect", "encounters"], env
    )
    return seconds, gb, json.loads(out)


def sqlite_read(path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _SQLITE_READ, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def recall(data: dict[str, Any], planted: list[tuple[int, int, int, int]]) -> tuple[float, int]:
    found = [(tuple(d["mmsis"]), d["start_ts"], d["end_ts"]) for d in data["detections"]]
    hits = sum(
        1 for a, b, s, e in planted if any(m == tuple(sorted((a, b))) and fs <= e and s <= fe for m, fs, fe in found)
    )
    pairs = {tuple(sorted((a, b))) for a, b, *_ in planted}
    return hits / max(len(planted), 1), sum(1 for m, *_ in found if m not in pairs)


def run() -> list[dict[str, Any]]:
    small, planted = store_for(2000, 10_000_000, 40)
    big, planted_big = store_for(4000, 20_000_000, 80)
    base = sqlite_read(small)
    seconds, gb, data = detect_cli(small)
    hit, extra = recall(data, planted)
    seconds2, gb2, data2 = detect_cli(big)
    hit2, _ = recall(data2, planted_big)
    return [
        {
            "name": "detect encounters CLI, 10M-position store (s)",
            "value": seconds,
            "unit": "s",
            "baseline": base,
            "target": TARGET_S,
            "note": f"baseline: plain sqlite3 reading the same 5 columns of the same store ({base:.1f} s); "
            f"recall {hit * 100:.0f}% of {len(planted)} planted, {extra} not planted, "
            f"{len(data.get('excluded', []))} excluded",
        },
        {
            "name": "detect encounters CLI, peak memory (GB)",
            "value": gb,
            "unit": "GB",
            "baseline": None,
            "target": TARGET_GB,
            "note": f"peak RSS of the CLI process; 20M store: {gb2:.2f} GB",
        },
        {
            "name": "detect encounters CLI, 2x data time ratio",
            "value": seconds2 / seconds,
            "unit": "x",
            "baseline": None,
            "target": TARGET_SCALING,
            "note": f"20M positions of 4,000 vessels: {seconds2:.1f} s, recall {hit2 * 100:.0f}% of {len(planted_big)}",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
