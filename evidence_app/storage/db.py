"""Opening a store: engine and session setup, migrations with a backup first, refusal of newer schemas.

A store is a database (SQLite file by default, or a SQLAlchemy URL) plus a folder of
evidence objects. SQLite-specific behaviour (WAL, foreign keys, ``BEGIN IMMEDIATE`` for
writers) lives here and nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from evidence_app import APP_SLUG
from evidence_app.domain.errors import ConnectionLost, StoreError
from evidence_app.storage import content
from evidence_app.storage.objects import ObjectStore

log = logging.getLogger(__name__)

ENV_DB = "EVIDENCE_APP_DB"
ENV_OBJECTS = "EVIDENCE_APP_OBJECTS"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False))


def default_db_location() -> str:
    return os.environ.get(ENV_DB) or str(default_data_dir() / "store.sqlite")


@dataclass(frozen=True)
class StoreLocation:
    url: str
    sqlite_path: Path | None
    objects_dir: Path
    objects_explicit: bool = False  # given by the caller or EVIDENCE_APP_OBJECTS, not a default


def log_path_for(location: StoreLocation) -> Path:
    """Where the error log of a session on this store goes: beside a SQLite store, in
    ``logs/evidence-app.log`` (so the default store keeps its log in the data folder and a
    ``--db`` elsewhere keeps its own), and in the user's log folder for a server database."""
    if location.sqlite_path is not None:
        return location.sqlite_path.parent / "logs" / "evidence-app.log"
    return user_log_dir() / "evidence-app.log"


def user_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_SLUG, appauthor=False))


def resolve_location(
    db: str | os.PathLike[str] | None = None, objects_dir: str | os.PathLike[str] | None = None
) -> StoreLocation:
    """Turn a path or URL (or nothing: the default store) into a database URL and objects folder.

    For a SQLite file the objects live beside it in ``<stem>.objects/``; for a server
    database they live in ``EVIDENCE_APP_OBJECTS``, else where the database records
    (``shared_objects_dir``), else in the user's data folder.
    """
    raw = str(db) if db is not None else default_db_location()
    if "://" in raw:
        url = make_url(raw)
        sqlite_path = Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None
        url_text = raw
    else:
        sqlite_path = Path(raw).expanduser().resolve()
        url_text = f"sqlite:///{sqlite_path}"
    explicit = True
    if objects_dir is not None:
        objects = Path(objects_dir).expanduser().resolve()
    elif os.environ.get(ENV_OBJECTS):
        objects = Path(os.environ[ENV_OBJECTS]).expanduser().resolve()
    elif sqlite_path is not None:
        objects = sqlite_path.with_name(sqlite_path.stem + ".objects")
    else:
        explicit = False
        objects = default_data_dir() / "objects"
    return StoreLocation(url_text, sqlite_path, objects, explicit)


OBJECTS_KEY = "objects_dir"


def record_objects_dir(conn: Connection, folder: str) -> None:
    """Record (or change) a server store's shared evidence folder."""
    conn.execute(
        text("INSERT INTO store_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
        {"k": OBJECTS_KEY, "v": folder},
    )


def shared_objects_dir(engine: Engine, location: StoreLocation) -> StoreLocation:
    """A server store records its evidence folder, so every client that connects uses the same one.

    The first client that names a folder (``--objects`` or EVIDENCE_APP_OBJECTS; ``team
    init`` does) records it; later clients that name none use the recorded one. A client
    that names another folder uses its own (the same share mounted elsewhere) and is logged.
    """
    if location.sqlite_path is not None:
        return location
    with engine.connect() as conn:
        recorded = conn.execute(text("SELECT value FROM store_meta WHERE key = :k"), {"k": OBJECTS_KEY}).scalar()
        if recorded is None:
            if location.objects_explicit:
                try:
                    conn.execute(
                        text("INSERT INTO store_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING"),
                        {"k": OBJECTS_KEY, "v": str(location.objects_dir)},
                    )
                    conn.commit()
                except DBAPIError as exc:  # a read-only login (auditor) cannot record it: use it anyway
                    conn.rollback()
                    log.info("could not record the evidence folder in the store: %s", exc.orig)
            return location
    if location.objects_explicit:
        if Path(recorded) != location.objects_dir:
            log.info("evidence folder %s given; the store records %s", location.objects_dir, recorded)
        return location
    return replace(location, objects_dir=Path(recorded))


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, and explicit transactions we control.

    pysqlite's own transaction handling defers BEGIN and cannot take the write lock up
    front; writers that read first then write can then fail with SQLITE_BUSY instead of
    waiting. We emit BEGIN ourselves: ``BEGIN IMMEDIATE`` for write sessions.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# The PostgreSQL writer lock (an advisory lock key, "EVID") and how long a writer waits
# for it before giving up with "busy" (SQLite's busy_timeout is the same 30 s).
WRITER_LOCK_KEY = 0x45564944
WRITER_WAIT_SECONDS = 30


class Store:
    """An open store: database engine, session factories and the evidence object store."""

    def __init__(self, location: StoreLocation, engine: Engine) -> None:
        self.location = location
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.is_postgresql = engine.dialect.name == "postgresql"
        self._team_login: str | None | bool = False  # not looked up yet
        write_bind = engine.execution_options(sqlite_immediate=True) if self.is_sqlite else engine
        self._read_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._write_factory = sessionmaker(bind=write_bind, expire_on_commit=False)
        # Every write seals the content hashes of the records it changed into its audit entry.
        content.install(self._write_factory)
        self.objects = ObjectStore(location.objects_dir)

    @property
    def url(self) -> str:
        return self.location.url

    @property
    def display_name(self) -> str:
        return (
            str(self.location.sqlite_path)
            if self.location.sqlite_path
            else make_url(self.url).render_as_string(hide_password=True)
        )

    @property
    def team_login(self) -> str | None:
        """On a team database (PostgreSQL, ``team init``), the login that acts; else None."""
        if self._team_login is False:
            from evidence_app.storage import team

            try:
                self._team_login = team.acting_login(self.engine)
            except DBAPIError as exc:
                known = _known_store_error(exc, self.location)
                raise known from exc
        return self._team_login  # type: ignore[return-value]

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Writers take turns, on every backend: SQLite's ``BEGIN IMMEDIATE`` takes the write
        lock up front, and on PostgreSQL the transaction first takes the store's writer lock
        (a transaction-scoped advisory lock). A check made inside the block (the optimistic
        locking's version check, "is this file already stored") then still holds at commit.
        """
        session = self._write_factory()
        try:
            if self.is_postgresql:
                session.execute(text(f"SET LOCAL lock_timeout = '{WRITER_WAIT_SECONDS}s'"))
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
            yield session
            session.commit()
        except DBAPIError as exc:
            with contextlib.suppress(DBAPIError):
                session.rollback()
            known = _known_store_error(exc, self.location)
            if known is exc:
                raise
            raise known from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work; nothing it changes is committed."""
        session = self._read_factory()
        try:
            yield session
        except DBAPIError as exc:
            known = _known_store_error(exc, self.location)
            if known is exc:
                raise
            raise known from exc
        finally:
            # close() ends the transaction without expiring loaded objects, so callers
            # may keep reading what they fetched; a rollback() would expire them.
            session.close()

    def change_marker(self) -> str:
        """A value that changes whenever any client commits a write (every write appends to the audit log).

        One primary-key read of the chain head, cheap enough to poll every few seconds:
        a desk compares it with the last value it saw to know that others changed the store.
        """
        from evidence_app.storage.models import StoreMeta

        with self.read() as session:
            head = session.get(StoreMeta, "audit_head")
            return head.value if head is not None else ""

    def referenced_objects(self, digests: Iterable[str]) -> set[str]:
        """Which of ``digests`` an evidence record refers to (the only table that names objects)."""
        from evidence_app.storage.models import Evidence

        wanted = list(dict.fromkeys(digests))
        found: set[str] = set()
        with self.read() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found.update(session.scalars(select(Evidence.sha256).where(Evidence.sha256.in_(chunk))))
        return found

    def close(self) -> None:
        self.objects.close()
        self.engine.dispose()


# PostgreSQL error classes a user can act on (SQLSTATE): refused by the server's rules,
# connection lost or server shutting down, and a write that lost a race to another client.
_PG_REFUSED = ("42501",)
_PG_CONNECTION = ("08", "57P")
_PG_RETRY = ("40001", "40P01", "55P03")


def _known_store_error(exc: DBAPIError, location: StoreLocation | None = None) -> Exception:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    lowered = message.lower()
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    first_line = message.strip().splitlines()[0] if message.strip() else message
    if sqlstate in _PG_REFUSED:
        return StoreError(f"the database server refused this for your login: {first_line}")
    server = location is not None and location.sqlite_path is None
    # A server store's OperationalError without a SQLSTATE is the client failing to reach the server.
    unreachable = server and not sqlstate and isinstance(exc, OperationalError)
    if sqlstate.startswith(_PG_CONNECTION) or exc.connection_invalidated or unreachable:
        where = make_url(location.url).render_as_string(hide_password=True) if location else "the database server"
        return ConnectionLost(
            f"the connection to {where} was lost ({first_line}); nothing of this change was saved."
            " Try again when the server is back."
        )
    if sqlstate in _PG_RETRY:
        return StoreError(f"another reviewer was writing the same records; nothing was saved, try again ({first_line})")
    if any(word in lowered for word in DAMAGE_WORDS):
        return damaged_store_error(location, message)
    if "locked" in lowered or "busy" in lowered:
        return StoreError(f"the store is busy (another program is writing to it): {message}")
    if "disk" in lowered and "full" in lowered:
        return StoreError(f"the disk is full: {message}")
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(f"the store is read-only: {message}")
    return exc


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> tuple[list[str], str]:
    """All migration revisions this version knows, and the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {heads}")
    return [rev.revision for rev in script.walk_revisions()], heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def _backup_sqlite(path: Path, revision: str) -> Path:
    """Copy a SQLite database aside with the online backup API (consistent even under WAL)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.info("backed up %s to %s before migrating", path, target)
    return target


def migrate(engine: Engine, location: StoreLocation) -> Path | None:
    """Bring the schema to head; back a SQLite file up first. Returns the backup path, if any."""
    from alembic import command

    revisions, head = known_revisions()
    current = current_revision(engine)
    if current == head:
        return None
    if current is not None and current not in revisions:
        raise StoreError(
            f"the store {location.sqlite_path or location.url} was written by a newer version of"
            f" Evidence Review (schema {current}); this version knows schemas up to {head}."
            " Install the newer version to open it.",
        )
    backup = None
    if current is not None and location.sqlite_path is not None:
        backup = _backup_sqlite(location.sqlite_path, current)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    return backup


def open_store(
    db: str | os.PathLike[str] | None = None,
    *,
    objects_dir: str | os.PathLike[str] | None = None,
    migrate_schema: bool = True,
) -> Store:
    """Open (creating if needed) and migrate the store at ``db``, or the default store."""
    location = resolve_location(db, objects_dir)
    header_looks_off = False
    if location.sqlite_path is not None:
        if location.sqlite_path.is_dir():
            raise StoreError(f"{location.sqlite_path} is a folder, expected a database file")
        _refuse_lost_database(location)
        try:
            location.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {location.sqlite_path.parent}: {exc.strerror}") from exc
        header_looks_off = _check_sqlite_header(location.sqlite_path)
    engine = create_engine(location.url, future=True, pool_pre_ping=not location.url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    try:
        if location.sqlite_path is not None and location.sqlite_path.exists() and location.sqlite_path.stat().st_size:
            problem = integrity_problem(engine, full=header_looks_off)
            if problem:
                raise damaged_store_error(location, problem)
        if migrate_schema:
            migrate(engine, location)
        if current_revision(engine) is not None:
            location = shared_objects_dir(engine, location)
    except DBAPIError as exc:
        engine.dispose()
        known = _known_store_error(exc, location)
        if known is not exc:
            raise known from exc
        raise StoreError(f"cannot open the store {location.sqlite_path or location.url}: {exc.orig}") from exc
    except BaseException:
        engine.dispose()
        raise
    store = Store(location, engine)
    store.objects.ensure()
    if migrate_schema:
        content.ensure_baseline(store)
    return store


def _check_sqlite_header(path: Path) -> bool:
    """Refuse a file that is not SQLite; return True when its size disagrees with its header.

    The header's page count (valid when its change counter matches "version valid for")
    times the page size is how long the file must be. A shorter file was truncated; a
    checkpoint in progress can make it look short for an instant, so a mismatch triggers the
    full ``quick_check`` (which reads through the WAL under SQLite's locks) rather than a refusal.
    """
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as fh:
        header = fh.read(100)
    if header[:16] != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not an Evidence Review store: it is not a SQLite database")
    if len(header) < 100:
        return True
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] != header[92:96] or pages == 0:
        return False  # an old writer left the count stale: nothing to compare
    return path.stat().st_size < pages * page_size


# Tables with millions of rows: too slow to check at every open (3.7 s for 260 MB here);
# the header check and `verify`'s full quick_check cover them.
BULK_TABLES = frozenset({"ais_positions", "audit_entries", "imported_audit_entries"})
DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk image")


def integrity_problem(engine: Engine, *, full: bool) -> str | None:
    """SQLite's quick_check: of every table but the bulk ones at each open, of all with ``full``."""
    if engine.dialect.name != "sqlite":
        return None
    try:
        rows = _quick_check(engine, full=full)
    except DBAPIError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if not any(word in message.lower() for word in DAMAGE_WORDS):
            raise
        return message
    problems = [r for r in rows if r != "ok"]
    return "; ".join(problems[:5]) if problems else None


def _quick_check(engine: Engine, *, full: bool) -> list[str]:
    with engine.connect() as conn:
        if full:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check(20)")]
        else:
            tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
            rows = []
            for table in tables:
                if table not in BULK_TABLES:
                    quoted = table.replace('"', '""')
                    rows.extend(r[0] for r in conn.exec_driver_sql(f'PRAGMA quick_check("{quoted}")'))
        conn.rollback()
    return rows


def damaged_store_error(location: StoreLocation | None, detail: str) -> StoreError:
    """The refusal of a damaged database, with what to do about it."""
    if location is None or location.sqlite_path is None:
        where = location.url if location else "the store"
        return StoreError(f"{where} is damaged ({detail}); restore it from your database backups")
    path = location.sqlite_path
    backups = sorted(path.parent.glob(f"{path.name}.backup-*"))
    restore = (
        f"restore the newest backup copy ({backups[-1].name}, one of {len(backups)} beside it)"
        if backups
        else "restore a backup copy of it"
    )
    return StoreError(
        f"the store database {path} is damaged ({detail}); nothing was changed. To recover: {restore},"
        f" or salvage what is readable with the sqlite3 shell: sqlite3 '{path}' .recover | sqlite3 recovered.sqlite"
        f" (then run `evidence-app --db recovered.sqlite verify`)."
    )


def _refuse_lost_database(location: StoreLocation) -> None:
    """A missing or empty database beside an evidence folder that holds files is a lost store, not a new one."""
    path = location.sqlite_path
    assert path is not None
    if path.exists() and path.stat().st_size > 0:
        return
    objects = location.objects_dir / "sha256"
    if not objects.is_dir() or next(objects.glob("*/*/*"), None) is None:
        return
    state = "is empty (0 bytes)" if path.exists() else "is missing"
    backups = sorted(path.parent.glob(f"{path.name}.backup-*"))
    restore = (
        f"restore the newest backup copy ({backups[-1].name})" if backups else "restore the database from a backup"
    )
    raise StoreError(
        f"the store database {path} {state}, but its evidence folder {location.objects_dir} holds evidence files;"
        f" refusing to start a new, empty store over them. {restore.capitalize()}, or open the right database with --db."
    )


def copy_store_file(src: Path, dst: Path) -> None:
    """Plain file copy, used by tests and tools that want a store snapshot."""
    shutil.copy2(src, dst)
