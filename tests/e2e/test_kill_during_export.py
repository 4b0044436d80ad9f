"""SIGKILL in the middle of a case-file export (on a progress line): no target appears, the killed
export's hidden .part is left, and the next export of the same target removes it and succeeds."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_app.casefile.export import export_case
from evidence_app.services import cases, evidence, incidents
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]

DRIVER = textwrap.dedent("""
    import sys
    from evidence_app.casefile.export import export_case
    from evidence_app.storage.db import open_store

    def progress(done, total, message=""):
        print(done, total, flush=True)

    store = open_store(sys.argv[1])
    export_case(store, sys.argv[2], sys.argv[3], with_report=False, progress=progress)
    print("finished", flush=True)
""")


def test_kill_mid_export_leaves_no_target_and_the_rerun_cleans_up(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    store = open_store(db)
    ctx = Context(store, "kill-test")
    case = cases.create_case(ctx, "Export kill")
    inc = incidents.add_incident(ctx, case.id, start_utc=datetime(2020, 1, 1, tzinfo=UTC), lat=1, lon=1)
    files = []
    for i in range(8):
        f = tmp_path / f"scan_{i}.bin"
        f.write_bytes(os.urandom(4_000_000))
        files.append(f)
    evidence.attach_files(ctx, inc.id, files)
    store.close()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "case.evcase"

    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(db), case.id, str(target)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    killed_at = None
    for line in proc.stdout:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) and 0.2 <= int(parts[0]) / int(parts[1]) < 0.8:
            killed_at = int(parts[0])
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert killed_at is not None, "the export finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = list(out_dir.glob(".case.evcase.*.part"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0

    store = open_store(db)
    try:
        result = export_case(store, case.id, target, with_report=False)
    finally:
        store.close()
    assert result.bytes_written > 30_000_000
    assert sorted(p.name for p in out_dir.iterdir()) == ["case.evcase"]
