"""A damaged store is refused with advice (exit 1, every command, verify included); a missing or
empty database beside evidence files is refused, never silently replaced by a new store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evidence_app.cli import main
from evidence_app.domain.errors import StoreError
from evidence_app.services import cases, evidence
from evidence_app.storage.db import open_store


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def run(db: Path, *args):
        code = main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def filled(ctx, sample_case, tmp_path: Path) -> Path:
    """A store with records and an evidence file, closed and checkpointed into one file."""
    _case, incident = sample_case
    photo = tmp_path / "note.txt"
    photo.write_text("evidence " * 5000)
    evidence.attach_files(ctx, incident.id, [photo])
    for i in range(30):  # enough pages that half the file is well inside the tables
        cases.create_case(ctx, f"case {i}", summary="x" * 4000)
    path = ctx.store.location.sqlite_path
    ctx.store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


COMMANDS = [("case", "list"), ("incident", "list"), ("verify",), ("vessel", "list"), ("gc",)]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_half_truncated_store_is_refused_with_advice(filled: Path, cli, command):
    size = filled.stat().st_size
    with filled.open("r+b") as fh:
        fh.truncate(size // 2)
    code, out, err = cli(filled, *command)
    assert code == 1, err
    assert "is damaged" in err and ".recover" in err and "backup" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert filled.stat().st_size == size // 2  # nothing was written to it


def test_a_store_with_a_corrupted_page_is_refused(filled: Path, cli):
    with sqlite3.connect(filled) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'cases'").fetchone()[0]
    with filled.open("r+b") as fh:  # scribble over the cases table's root page, keeping the file's length
        fh.seek((root - 1) * page_size)
        fh.write(b"\xff" * page_size)
    code, _out, err = cli(filled, "case", "list")
    assert code == 1 and "is damaged" in err, err


def test_verify_names_damage_in_a_bulk_table(filled: Path):
    """The bulk tables are not checked at open (too slow for big stores); verify checks them all."""
    with sqlite3.connect(filled) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit_entries'").fetchone()[0]
    with filled.open("r+b") as fh:
        fh.seek((root - 1) * page_size + 8)
        fh.write(b"\x00\xff\xff\xff" * 4)
    from evidence_app.services.verify import verify_store

    try:
        store = open_store(filled)
    except StoreError as refused:  # or the damage is already visible where open looks
        assert "is damaged" in str(refused)
        return
    try:
        try:
            report = verify_store(store)
        except StoreError as refused:
            assert "is damaged" in str(refused)
            return
        assert not report.ok and any("quick_check" in p or "audit" in p for p in report.problems), report.problems
    finally:
        store.close()


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_lost_database_beside_evidence_files_is_refused_not_recreated(filled: Path, cli, how):
    if how == "empty":
        filled.write_bytes(b"")
    else:
        filled.unlink()
    for sidecar in (filled.with_name(filled.name + "-wal"), filled.with_name(filled.name + "-shm")):
        sidecar.unlink(missing_ok=True)
    code, _out, err = cli(filled, "case", "list")
    assert code == 1
    assert "refusing to start a new, empty store" in err and "evidence files" in err
    assert (filled.exists() and filled.stat().st_size == 0) if how == "empty" else not filled.exists()


def test_a_new_store_in_an_empty_place_is_still_created(tmp_path: Path, cli):
    code, out, err = cli(tmp_path / "fresh.sqlite", "--json", "case", "list")
    assert code == 0, err
    assert json.loads(out) == []
