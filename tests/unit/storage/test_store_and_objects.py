"""Opening stores, migrations (backup first, newer refused) and the content-addressed object store."""

import hashlib
import sqlite3
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from evidence_app.domain.errors import Cancelled, StoreError, UserError
from evidence_app.domain.progress import CancelToken
from evidence_app.storage.db import _alembic_config, known_revisions, open_store
from evidence_app.storage.models import Base


def test_new_store_is_wal_with_foreign_keys(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


@pytest.mark.backends
def test_migrations_match_the_models(store):
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_older_store_is_backed_up_then_upgraded(tmp_path):
    from alembic import command

    path = tmp_path / "old.sqlite"
    revisions, head = known_revisions()
    oldest = revisions[-1]
    assert oldest != head, "the test needs at least two migrations"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), oldest)
        conn.execute(
            text(
                "INSERT INTO cases (id, title, summary, caveat, four_eyes, is_demo, created_at, updated_at, version)"
                " VALUES ('c1', 'Old case', '', '', 0, 0, '2020-01-01 00:00:00', '2020-01-01 00:00:00', 1)"
            )
        )
    engine.dispose()
    store = open_store(path)
    store.close()
    backups = list(tmp_path.glob("old.sqlite.backup-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as b:
        assert b.execute("SELECT version_num FROM alembic_version").fetchone()[0] == oldest
        assert b.execute("SELECT title FROM cases").fetchone()[0] == "Old case"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        assert db.execute("SELECT title FROM cases").fetchone()[0] == "Old case"
        assert db.execute("SELECT count(*) FROM tags").fetchone()[0] == 0


def test_newer_store_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "new.sqlite"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version of Evidence Review"):
        open_store(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("new.sqlite.backup-*"))


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("hello")
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_store(path)


@pytest.mark.backends
def test_objects_are_content_addressed_read_only_and_deduplicated(store, tmp_path):
    src = tmp_path / "photo.bin"
    src.write_bytes(b"x" * 3_000_000)
    first = store.objects.put_file(src)
    assert first.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert first.path.read_bytes() == src.read_bytes()
    assert not first.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    again = store.objects.put_file(src)
    assert again.already_present and again.path == first.path
    assert list(store.objects.iter_objects()) == [first.sha256]
    assert store.objects.verify(first.sha256) is None


def test_cancelled_put_leaves_nothing(store, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(b"y" * 5_000_000)
    token = CancelToken()

    def progress(done, total, message=""):
        if done > 1_000_000:
            token.cancel()

    with pytest.raises(Cancelled):
        store.objects.put_file(src, progress=progress, cancel=token)
    assert list(store.objects.iter_objects()) == []
    assert list((store.objects.root / "tmp").rglob("*.part")) == []


def test_missing_file_error_names_it(store, tmp_path):
    with pytest.raises(UserError) as err:
        store.objects.put_file(tmp_path / "nope.jpg")
    assert "nope.jpg" in str(err.value) and "not found" in str(err.value)


@pytest.mark.backends
def test_failed_write_transaction_rolls_back(store):
    from evidence_app.storage.models import Case

    with pytest.raises(RuntimeError):
        with store.write() as session:
            session.add(Case(title="half"))
            session.flush()
            raise RuntimeError("boom")
    with store.read() as session:
        assert session.query(Case).count() == 0


def test_stream_path_matches_kernel_copy_path(store, tmp_path):
    import io

    payload = bytes(range(256)) * 50_000
    src = tmp_path / "p.bin"
    src.write_bytes(payload)
    from_file = store.objects.put_file(src)
    from_stream = store.objects.put_stream(io.BytesIO(payload), total=len(payload))
    assert from_stream.sha256 == from_file.sha256 == hashlib.sha256(payload).hexdigest()
    assert from_stream.already_present and from_file.size == len(payload)


@pytest.mark.backends
def test_another_clients_write_changes_the_change_marker(store, store_url):
    from evidence_app.services import cases
    from evidence_app.services.context import Context

    other = open_store(store_url)
    try:
        seen = store.change_marker()
        assert other.change_marker() == seen  # nothing written: a poll finds nothing new
        cases.create_case(Context(other, "colleague"), "Their case")
        assert store.change_marker() != seen
    finally:
        other.close()
