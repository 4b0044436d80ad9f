"""Temporary files belong to their writer: opening a store never removes a live writer's file,
a killed writer's folder is swept, `gc` removes only what nothing needs, a refused import
leaves no object behind."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evidence_app.domain.errors import UserError
from evidence_app.services import imports
from evidence_app.services.context import Context
from evidence_app.services.maintenance import collect_garbage
from evidence_app.storage.db import open_store

PROJECT = Path(__file__).resolve().parents[3]

# Streams 40 chunks into the store, printing each, and waits for a line on stdin after the
# tenth: the test does its thing while the temporary file is half written.
WRITER = textwrap.dedent("""
    import sys
    from evidence_app.storage.db import open_store

    class Slow:
        def __init__(self):
            self.n = 0
        def read(self, size):
            self.n += 1
            if self.n == 10:
                print("half", flush=True)
                sys.stdin.readline()
            return b"" if self.n > 40 else bytes([self.n]) * 100_000

    store = open_store(sys.argv[1])
    stored = store.objects.put_stream(Slow())
    print("stored", stored.sha256, flush=True)
    store.close()
""")


def _start_writer(db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "half", proc.stderr.read() if proc.stderr else ""
    return proc


def _parts(store_root: Path) -> list[Path]:
    return list((store_root / "tmp").rglob("*.part"))


def test_opening_the_store_keeps_a_live_writers_temporary_file(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    open_store(db).close()
    proc = _start_writer(db)
    try:
        other = open_store(db)  # what `case list` in a second shell does
        assert len(_parts(other.objects.root)) == 1
        report = collect_garbage(other)  # nor does gc touch it
        assert report.stale_temporaries == [] and len(_parts(other.objects.root)) == 1
        other.close()
        out, err = proc.communicate("go\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    sha = out.split()[-1]
    store = open_store(db)
    try:
        assert store.objects.verify(sha) is None
    finally:
        store.close()


def test_a_killed_writers_folder_is_swept_at_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    open_store(db).close()
    proc = _start_writer(db)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # the kill landed while the file was half written
    tmp = db.with_name("store.objects") / "tmp"
    assert len(list(tmp.rglob("*.part"))) == 1
    store = open_store(db)
    try:
        assert _parts(store.objects.root) == []
        assert [p for p in tmp.iterdir() if p.is_dir()] == []
    finally:
        store.close()


def test_gc_reports_then_removes_a_stale_folder_left_by_a_kill(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    store = open_store(db)
    try:
        proc = _start_writer(db)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        dry = collect_garbage(store, dry_run=True)
        assert len(dry.stale_temporaries) == 1 and dry.stale_bytes >= 900_000
        assert len(_parts(store.objects.root)) == 1
        done = collect_garbage(store)
        assert done.stale_temporaries == dry.stale_temporaries
        assert _parts(store.objects.root) == []
    finally:
        store.close()


def test_gc_removes_unreferenced_objects_and_keeps_recorded_and_pinned_ones(tmp_path: Path, ctx, sample_case) -> None:
    _case, incident = sample_case
    store = ctx.store
    kept = tmp_path / "kept.bin"
    kept.write_bytes(b"recorded" * 1000)
    from evidence_app.services import evidence

    evidence.attach_files(ctx, incident.id, [kept])
    # An object stored by a writer that was killed before recording it: unreferenced.
    loose = open_store(store.location.sqlite_path)
    orphan = loose.objects.put_stream(io.BytesIO(b"orphan" * 1000))
    loose.close()  # the writer is gone: its pin goes with it
    # An object a live writer (another open store) holds but has not recorded yet.
    busy = open_store(store.location.sqlite_path)
    try:
        pinned = busy.objects.put_stream(io.BytesIO(b"pinned" * 1000))
        report = collect_garbage(store)
        assert report.unreferenced_objects == [orphan.sha256]
        assert not store.objects.has(orphan.sha256)
        assert store.objects.has(pinned.sha256)
        assert len(list(store.objects.iter_objects())) == 2
    finally:
        busy.close()
    # Once its writer is gone, the pinned but never recorded object is garbage too.
    assert collect_garbage(store).unreferenced_objects == [pinned.sha256]


def test_a_refused_import_leaves_no_object_behind(ctx, tmp_path: Path) -> None:
    bad = tmp_path / "registry.csv"
    bad.write_text("this,is,not\na,registry,file\n")
    with pytest.raises(UserError):
        imports.import_vessels(ctx, bad)
    assert list(ctx.store.objects.iter_objects()) == []
    assert _parts(ctx.store.objects.root) == []


def test_a_failed_import_keeps_an_object_another_record_uses(ctx, tmp_path: Path, sample_case) -> None:
    _case, incident = sample_case
    from evidence_app.services import evidence

    same = tmp_path / "registry.csv"
    same.write_text("this,is,not\na,registry,file\n")
    evidence.attach_files(ctx, incident.id, [same])
    with pytest.raises(UserError):
        imports.import_vessels(Context(ctx.store, "analyst-b"), same)
    assert len(list(ctx.store.objects.iter_objects())) == 1


def test_objects_pinned_by_a_killed_writer_are_collected_in_one_pass(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    store = open_store(db)  # opened first: its sweep at open does not see the dead writer
    try:
        script = textwrap.dedent("""
            import io, os, signal, sys
            from evidence_app.storage.db import open_store
            store = open_store(sys.argv[1])
            store.objects.put_stream(io.BytesIO(b"stored, never recorded"))
            os.kill(os.getpid(), signal.SIGKILL)
        """)
        proc = subprocess.run(
            [sys.executable, "-c", script, str(db)],
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
            capture_output=True,
            timeout=60,
        )
        assert proc.returncode == -signal.SIGKILL
        dry = collect_garbage(store, dry_run=True)
        assert len(dry.unreferenced_objects) == 1 and len(dry.stale_temporaries) == 1
        done = collect_garbage(store)
        assert done.unreferenced_objects == dry.unreferenced_objects
        assert list(store.objects.iter_objects()) == []
    finally:
        store.close()
