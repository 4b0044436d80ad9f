"""Reading AIS positions in bulk, straight from SQL into numpy: the one place that knows how to make it fast.

An ORM object (or even a SQLAlchemy row) per position costs microseconds each; a month of
AIS is ten million positions. Here the driver's own cursor is read ``fetchmany`` at a
time and each block is flattened into a numpy array in one call (``np.fromiter`` over
the row tuples), so Python holds at most one block of tuples: memory is bounded by the
block size plus the numpy columns themselves (40 bytes a position).

The rows come in table order (a sequential scan, the fastest read on SQLite); callers
sort them per vessel and time in numpy, which is cheaper than following the (mmsi, ts)
index into a table written in time order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from evidence_app.storage.models import AisPosition

if TYPE_CHECKING:
    import numpy as np

# Declarative models type __table__ as FromClause; ours are plain Tables.
POSITIONS = cast(Table, AisPosition.__table__)
BLOCK_ROWS = 262_144
COLUMNS = ("mmsi", "ts", "lat", "lon", "sog")  # sog: -1 where not reported
_MMSI_BATCH = 900  # bound parameters per statement, well under every backend's limit


def position_blocks(
    session: Session, start_ts: int, end_ts: int, mmsis: Sequence[int] | None = None, *, block_rows: int = BLOCK_ROWS
) -> Iterator[np.ndarray]:
    """Blocks of at most ``block_rows`` rows, float64 columns ``COLUMNS``, for positions with ts in [start, end].

    ``mmsis`` None reads every vessel. Rows are in no particular order.
    """
    import numpy as np

    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    raw = conn.connection.driver_connection
    assert raw is not None, "a session's open connection always has its driver connection"
    base = f"SELECT mmsi, ts, lat, lon, COALESCE(sog, -1.0) FROM {POSITIONS.name} WHERE ts >= {mark} AND ts <= {mark}"
    statements: list[tuple[str, list[int]]]
    if mmsis is None:
        statements = [(base, [int(start_ts), int(end_ts)])]
    else:
        wanted = sorted({int(m) for m in mmsis})
        statements = [
            (f"{base} AND mmsi IN ({', '.join([mark] * len(batch))})", [int(start_ts), int(end_ts), *batch])
            for batch in (wanted[i : i + _MMSI_BATCH] for i in range(0, len(wanted), _MMSI_BATCH))
        ]
    width = len(COLUMNS)
    for sql, params in statements:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            while True:
                rows = cursor.fetchmany(block_rows)
                if not rows:
                    break
                flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width)
                del rows
                yield flat.reshape(-1, width)
        finally:
            cursor.close()
