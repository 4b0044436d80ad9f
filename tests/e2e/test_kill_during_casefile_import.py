"""SIGKILL in the middle of a case-file import's write transaction, on SQLite and on PostgreSQL:
nothing of the case lands, `verify` passes, and the re-run imports it whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.services import casefiles, cases, evidence, incidents
from evidence_app.services.context import Context
from evidence_app.services.verify import verify_store
from evidence_app.storage.db import open_store
from evidence_app.storage.models import Case, Evidence

pytestmark = [pytest.mark.slow, pytest.mark.backends]

PROJECT = Path(__file__).resolve().parents[2]
FILES = 8

# The import prints a line with its merge flushed to the database and its transaction still
# open, then waits: the parent kills it there, the worst moment for a partial write.
DRIVER = textwrap.dedent("""
    import sys
    from evidence_app.services import casefiles
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    merge = casefiles.merge_case_file

    def merge_then_wait(session, *args, **kwargs):
        report = merge(session, *args, **kwargs)
        session.flush()
        print("merged", flush=True)
        sys.stdin.readline()  # never answered: the parent kills the process here
        return report

    casefiles.merge_case_file = merge_then_wait
    casefiles.import_case(Context(open_store(sys.argv[1]), "kill-test"), sys.argv[2])
    print("finished", flush=True)
""")


def test_kill_mid_casefile_import_leaves_nothing_and_the_rerun_completes(tmp_path: Path, store_url: str) -> None:
    source = open_store(tmp_path / "field" / "store.sqlite")
    field = Context(source, "field-analyst")
    case = cases.create_case(field, "Import kill")
    inc = incidents.add_incident(field, case.id, start_utc=datetime(2020, 1, 1, tzinfo=UTC), lat=1, lon=1)
    scans = []
    for i in range(FILES):
        scan = tmp_path / f"scan_{i}.bin"
        scan.write_bytes(os.urandom(3_000_000))
        scans.append(scan)
    evidence.attach_files(field, inc.id, scans)
    case_file = tmp_path / "case.evcase"
    casefiles.export_case(field, case.id, case_file, with_report=False)
    source.close()
    open_store(store_url).close()

    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, store_url, str(case_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    killed_at = None
    for line in proc.stdout:
        if line.strip() == "merged":
            killed_at = line.strip()
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert killed_at is not None, "the import finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdin is not None
    proc.stdin.close()

    store = open_store(store_url)
    try:
        report = verify_store(store)
        assert report.ok, report.problems
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 0
            assert session.scalar(select(func.count()).select_from(Evidence)) == 0
        casefiles.import_case(Context(store, "kill-test"), case_file)
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 1
            assert session.scalar(select(func.count()).select_from(Evidence)) == FILES
        assert verify_store(store).ok
    finally:
        store.close()
