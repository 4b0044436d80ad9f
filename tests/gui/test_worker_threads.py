"""Workers are Python threads: pyproj (and any extension keeping per-thread state through
Python's thread API) must work from two workers at once without crashing the process.

With QThreadPool workers, pyproj 3.7 segfaulted here (pyproj issue 1509). The check runs
in a subprocess so that a crash is a failed test, not a dead test session.
"""

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gui

SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    from evidence_app.workers.tasks import TaskRunner

    app = QApplication(sys.argv)
    runner = TaskRunner(max_threads=2)
    results = []

    def project(seed):
        from pyproj import CRS, Transformer
        total = 0.0
        for i in range(200):
            crs = CRS.from_user_input(f"EPSG:{32601 + (seed + i) % 60}")
            tr = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
            lon, lat = tr.transform(500000.0, 4000000.0)
            total += lat
        return total

    for seed in range(4):
        runner.run_task(lambda seed=seed: project(seed), with_progress=False, on_result=results.append)
    assert runner.wait_idle(120_000)
    app.processEvents()
    print("RESULTS", len(results))
    """
)


def test_pyproj_on_two_workers_at_once(tmp_path):
    script = tmp_path / "workers.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "RESULTS 4" in done.stdout
