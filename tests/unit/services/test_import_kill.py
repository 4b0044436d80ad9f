"""A SIGKILL in the middle of a large AIS import leaves nothing of it (nor a reader process);
re-running completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from evidence_app.services import imports
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store
from evidence_app.storage.models import AisPosition, Evidence, VesselIdentity

PROJECT = Path(__file__).resolve().parents[3]
# The child reader runs a few batches ahead of the writer: its file is larger, so that the
# child is still reading when the parent is killed.
ROWS = {"in-process": 300_000, "child": 800_000}
# On PostgreSQL a smaller file still puts the kill among the positions being written (>= 100,000).
POSTGRESQL_ROWS = 160_000

DRIVER = textwrap.dedent("""
    import sys
    from evidence_app.services import imports
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    def progress(done, total, message=""):
        print(done, flush=True)

    if sys.argv[3] == "child":
        imports.CHILD_READER_BYTES = 0
    ctx = Context(open_store(sys.argv[1]), "kill-test")
    imports.import_ais(ctx, [sys.argv[2]], progress=progress)
    print("finished", flush=True)
""")


def reader_processes(data: Path) -> list[str]:
    """Pids of AIS reader children reading ``data`` (they read its stored copy; its name is in
    their pickled request, which this test's temporary folder makes unique)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"evidence_app.ingest.ais" in args and any(str(data.parent.name).encode().hex().encode() in a for a in args):
            found.append(cmdline.parent.name)
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "reader"),
    [("sqlite", "in-process"), ("sqlite", "child"), ("postgresql", "in-process")],
    indirect=["backend"],
)
def test_kill_mid_import_leaves_nothing_and_rerun_completes(
    tmp_path: Path, reader: str, store_url: str, backend: str
) -> None:
    sys.path.insert(0, str(PROJECT))
    from bench.ais_data import generate_marinecadastre

    rows = ROWS[reader] if backend == "sqlite" else POSTGRESQL_ROWS
    data = generate_marinecadastre(tmp_path / "big_ais.csv", rows, vessels=500)
    db = store_url
    open_store(db).close()
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(db), str(data), reader], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    killed_at = None
    for line in proc.stdout:
        # Progress lines while storing the file are byte counts; positions come after.
        if line.strip().isdigit() and 100_000 <= int(line) < rows:
            killed_at = int(line)
            assert bool(reader_processes(data)) == (reader == "child")
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert killed_at is not None, "the import finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    # A reader child finds its pipe broken and ends on its own.
    deadline = time.monotonic() + 20
    while reader_processes(data) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not reader_processes(data)

    store = open_store(db)
    try:
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(AisPosition)) == 0
            assert s.scalar(select(func.count()).select_from(Evidence)) == 0
            assert s.scalar(select(func.count()).select_from(VesselIdentity)) == 0
        report = imports.import_ais(Context(store, "kill-test"), [data])
        assert report.imported == {"position": rows}
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(AisPosition)) == rows
            # The dropped-and-rebuilt indexes are back.
            indexes = {index["name"] for index in inspect(s.connection()).get_indexes("ais_positions")}
            assert {"ix_ais_positions_mmsi_ts", "ix_ais_positions_evidence"} <= indexes
    finally:
        store.close()
