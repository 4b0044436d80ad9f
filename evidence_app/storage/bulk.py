"""Bulk insertion of AIS positions: the one place that knows how to make it fast.

Inserting millions of rows into a table with two indexes costs three times as much as
inserting them bare and building the indexes afterwards. When an import is at least as
large as what the table holds, the indexes are dropped and rebuilt inside the import's
own transaction (DDL is transactional in SQLite and PostgreSQL), so a kill or an error
rolls the whole thing back, indexes included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from evidence_app.storage.models import AisPosition

# Declarative models type __table__ as FromClause; ours are plain Tables.
POSITIONS = cast(Table, AisPosition.__table__)
# Rebuild indexes when the import adds at least this share of the rows already stored.
REBUILD_RATIO = 1.0
_UUID_CHARS = frozenset("0123456789abcdefABCDEF-")
# Page cache for a bulk load on SQLite, in KiB (negative cache_size means KiB).
BULK_CACHE_KIB = 512 * 1024


class PositionWriter:
    """Appends position tuples (``ingest.parsed.POSITION_FIELDS`` order) for one evidence item,
    and keeps what a summary of the track needs (first and last time, distinct MMSIs)."""

    def __init__(self, session: Session, evidence_id: str) -> None:
        self._conn = session.connection()
        mark = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
        columns = "mmsi, ts, lat, lon, sog, cog, heading, nav_status"
        # The evidence id is the same on every row: written into the statement once rather
        # than copied into millions of parameter tuples. It is a UUID; checked, as it is SQL text.
        if not evidence_id or set(evidence_id) - _UUID_CHARS:
            raise ValueError(f"not an evidence id: {evidence_id!r}")
        self._sql = (
            f"INSERT INTO {POSITIONS.name} ({columns}, evidence_id) VALUES ({', '.join([mark] * 8)}, '{evidence_id}')"
        )
        self._nan_is_null = self._conn.dialect.name == "sqlite"
        self.rows = 0
        self.first_ts: int | None = None
        self.last_ts: int | None = None
        self.mmsis: set[int] = set()

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append position tuples (None for missing values)."""
        if not rows:
            return
        self._conn.exec_driver_sql(self._sql, rows)
        self._count(len(rows), [row[1] for row in rows], (row[0] for row in rows))

    def write_columns(self, columns: Sequence[Any]) -> None:
        """Append positions given as eight numpy columns (float columns hold NaN for missing).

        SQLite stores a bound NaN as NULL and a whole float in an INTEGER column as an
        integer, so its rows are made straight from the columns: no per-value test.
        """
        n = len(columns[0])
        if not n:
            return
        lists = [column.tolist() for column in columns]
        if not self._nan_is_null:
            lists[2:] = [[None if v != v else v for v in values] for values in lists[2:]]
            lists[6:] = [[None if v is None else int(v) for v in values] for values in lists[6:]]
        self._conn.exec_driver_sql(self._sql, list(zip(*lists, strict=True)))
        mmsi, ts = columns[0], columns[1]
        self._count(n, [int(ts.min()), int(ts.max())], set(mmsi.tolist()))

    def _count(self, n: int, times: Sequence[int], mmsis: Iterable[int]) -> None:
        self.rows += n
        first, last = min(times), max(times)
        self.first_ts = first if self.first_ts is None else min(first, self.first_ts)
        self.last_ts = last if self.last_ts is None else max(last, self.last_ts)
        self.mmsis.update(mmsis)


def stored_position_count(session: Session) -> int:
    """A cheap upper bound of the rows in ais_positions (max id), for the rebuild decision."""
    return session.scalar(select(func.max(POSITIONS.c.id))) or 0


def _may_drop_indexes(conn: Any) -> bool:
    """Only a table's owner may drop its indexes: on a team database an analyst's import keeps them."""
    if conn.dialect.name != "postgresql":
        return True
    owner = conn.exec_driver_sql(
        "SELECT pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables WHERE tablename = %(t)s",
        {"t": POSITIONS.name},
    ).scalar()
    return bool(owner)


@contextmanager
def bulk_positions(session: Session, expected_rows: int) -> Iterator[None]:
    """Prepare the current transaction for a large position load, and restore it after.

    Must be used inside a write transaction; if the block raises, the caller's rollback
    restores any dropped index.
    """
    conn = session.connection()
    is_sqlite = conn.dialect.name == "sqlite"
    rebuild = (
        expected_rows >= 100_000
        and expected_rows >= REBUILD_RATIO * stored_position_count(session)
        and _may_drop_indexes(conn)
    )
    old_cache = None
    if is_sqlite:
        old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    indexes = sorted(POSITIONS.indexes, key=lambda ix: ix.name or "") if rebuild else []
    try:
        for index in indexes:
            index.drop(conn)
        yield
        for index in indexes:
            index.create(conn)
    finally:
        if is_sqlite and old_cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(old_cache)}")
