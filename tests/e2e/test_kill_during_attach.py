"""SIGKILL while attaching many files, landing on a progress line mid-operation: the store
verifies, the attach is whole or absent, what the killed writer left is reported by `verify`
and removed by `gc`, and a re-run completes it."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence_app.services import cases, incidents
from evidence_app.services.context import Context
from evidence_app.services.maintenance import collect_garbage
from evidence_app.services.verify import verify_store
from evidence_app.storage.db import open_store
from evidence_app.storage.models import Evidence

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
FILES = 250

DRIVER = textwrap.dedent("""
    import sys
    from evidence_app.services import evidence
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    def progress(done, total, message=""):
        print(message.split(" ")[0], flush=True)  # "17/400"

    ctx = Context(open_store(sys.argv[1]), "kill-test")
    evidence.attach_files(ctx, sys.argv[2], sys.argv[3:], progress=progress)
    print("finished", flush=True)
""")


@pytest.mark.parametrize(
    ("backend", "kill_at"), [("sqlite", 0.2), ("sqlite", 0.8), ("postgresql", 0.5)], indirect=["backend"]
)
def test_kill_during_attach_leaves_it_whole_or_absent(tmp_path: Path, kill_at: float, store_url: str) -> None:
    from datetime import UTC, datetime

    store_path = store_url
    store = open_store(store_path)
    ctx = Context(store, "kill-test")
    case = cases.create_case(ctx, "Kill test")
    inc = incidents.add_incident(ctx, case.id, start_utc=datetime(2020, 1, 1, tzinfo=UTC), lat=1, lon=1)
    store.close()
    files_dir = tmp_path / "files"
    files_dir.mkdir()
    files = []
    for i in range(FILES):
        f = files_dir / f"photo_{i:04d}.bin"
        f.write_bytes(os.urandom(64) + bytes([i % 256]) * (20_000 + i))
        files.append(str(f))

    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(store_path), inc.id, *files], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    killed_at = None
    for line in proc.stdout:
        done, _, total = line.strip().partition("/")
        if done.isdigit() and int(done) >= kill_at * FILES:
            killed_at = int(done)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert killed_at is not None and killed_at < FILES, "the attach finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL  # the kill landed while files were being stored

    store = open_store(store_path)
    try:
        report = verify_store(store)
        assert report.ok, report.problems
        with store.read() as session:
            rows = session.scalars(select(Evidence)).all()
        assert rows == []  # killed before the one transaction: nothing of the attach is recorded
        for sha in store.objects.iter_objects():  # what reached the store is complete, never torn
            assert store.objects.verify(sha) is None
        # the killed writer's stored files are reported, then collected; its temporaries went at open
        assert report.unreferenced_objects >= killed_at - 1
        collected = collect_garbage(store)
        assert len(collected.unreferenced_objects) == report.unreferenced_objects
        assert list(store.objects.iter_objects()) == []
        assert list((store.objects.root / "tmp").rglob("*.part")) == []
    finally:
        store.close()

    rerun = subprocess.run(
        [sys.executable, "-c", DRIVER, str(store_path), inc.id, *files],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    store = open_store(store_path)
    try:
        with store.read() as session:
            assert len(session.scalars(select(Evidence)).all()) == FILES
        assert verify_store(store).ok
    finally:
        store.close()
