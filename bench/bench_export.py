"""Case-file export benchmark: 2 GB of evidence, time against `zip -0` of the same files, and peak memory.

Run with `python -m bench.bench_export` (or through bench/__main__.py, which calls run()).
The evidence (20 x 100 MB of random bytes) is generated once into a temporary folder.
The export runs in a child process so its peak RSS is its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = int(os.environ.get("BENCH_EXPORT_FILES", "20"))
FILE_MB = int(os.environ.get("BENCH_EXPORT_FILE_MB", "100"))
MEMORY_TARGET_MB = 300

CHILD = r"""
import resource, sys, time, json
from datetime import UTC, datetime
from evidence_app.storage.db import open_store
from evidence_app.services.context import Context
from evidence_app.services import cases, incidents, casefiles
store = open_store(sys.argv[1])
ctx = Context(store, "bench")
case = cases.create_case(ctx, "Bench case", caveat="BENCH")
inc = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124.0, radius_m=500)
from evidence_app.services import evidence
evidence.attach_files(ctx, inc.id, sys.argv[3:], kind="document")
def peak_kb():
    # VmHWM belongs to this process image; ru_maxrss survives exec on Linux and would
    # report the bench runner's own peak from earlier benchmarks.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = peak_kb()
t = time.perf_counter()
casefiles.export_case(ctx, case.id, sys.argv[2])
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb() / 1024, "rss_before_mb": before / 1024}))
"""


def _generate(folder: Path) -> list[Path]:
    paths = []
    block = 4 * 1024 * 1024
    for i in range(FILES):
        path = folder / f"image_{i:02d}.bin"
        with path.open("wb") as fh:
            for _ in range(FILE_MB * 1024 * 1024 // block):
                fh.write(os.urandom(block))
        paths.append(path)
    return paths


def run() -> list[dict[str, object]]:
    import json

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "data"
        data.mkdir()
        files = _generate(data)
        total_mb = FILES * FILE_MB
        # Baseline: zip -0 of the same files (warm cache for both: generated just now).
        t = time.perf_counter()
        subprocess.run(["zip", "-0", "-q", "-j", str(tmp / "baseline.zip"), *map(str, files)], check=True)
        zip_seconds = time.perf_counter() - t
        (tmp / "baseline.zip").unlink()
        # The export signs with the bench reviewer's key: keep it out of the real config folder.
        env = {**os.environ, "PYTHONPATH": str(root), "EVIDENCE_APP_CONFIG": str(tmp / "config")}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp / "store.sqlite"), str(tmp / "bench.evcase"), *map(str, files)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        shutil.rmtree(data, ignore_errors=True)
    speed = total_mb / result["seconds"]
    zip_speed = total_mb / zip_seconds
    return [
        {
            "name": "casefile export throughput (2 GB evidence)",
            "value": round(speed, 1),
            "unit": "MB/s",
            "baseline": round(zip_speed, 1),
            "higher_is_better": True,
            "target": 0.5,
            "target_is_ratio": True,
            "note": "baseline: zip -0 -q of the same files; target: at least half its speed",
        },
        {
            "name": "casefile export peak RSS",
            "value": round(result["peak_rss_mb"], 1),
            "unit": "MB",
            "baseline": None,
            "target": MEMORY_TARGET_MB,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} (baseline {row['baseline']}, target {row['target']})")
