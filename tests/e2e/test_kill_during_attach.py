"""SIGKILL while attaching 1,000 files leaves a store on which verify passes, each file whole or absent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence_app.services.verify import verify_store
from evidence_app.storage.db import open_store
from evidence_app.storage.models import Evidence

pytestmark = pytest.mark.slow


def _run(store_path: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evidence_app", "--db", str(store_path), "--json", *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("delay", [0.8, 2.0, 3.4])
def test_kill_during_attach_of_1000_files(tmp_path, delay):
    import json

    store_path = tmp_path / "store.sqlite"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    case = json.loads(_run(store_path, "case", "create", "Kill test", env=env).stdout)
    inc = json.loads(_run(store_path, "incident", "add", "--case", case["id"], "--start", "2020-01-01",
                          "--lat", "1", "--lon", "1", env=env).stdout)
    files_dir = tmp_path / "files"
    files_dir.mkdir()
    files = []
    for i in range(1000):
        f = files_dir / f"photo_{i:04d}.bin"
        f.write_bytes(os.urandom(64) + bytes([i % 256]) * (20_000 + i))
        files.append(str(f))
    proc = subprocess.Popen([sys.executable, "-m", "evidence_app", "--db", str(store_path), "attach", inc["id"], *files],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    store = open_store(store_path)
    try:
        report = verify_store(store)
        assert report.ok, report.problems
        with store.read() as session:
            rows = session.scalars(select(Evidence)).all()
        assert len(rows) in (0, 1000)  # the attach lands whole or not at all
        for row in rows:
            path = store.objects.path_for(row.sha256)
            assert path.stat().st_size == row.size
        # every object that made it into the store is complete, never a torn write
        for sha in store.objects.iter_objects():
            assert store.objects.verify(sha) is None
    finally:
        store.close()
    # and re-running the attach completes it
    rerun = _run(store_path, "attach", inc["id"], *files, env=env)
    assert rerun.returncode == 0, rerun.stderr
    store = open_store(store_path)
    try:
        with store.read() as session:
            assert len(session.scalars(select(Evidence)).all()) == 1000
        assert verify_store(store).ok
    finally:
        store.close()
