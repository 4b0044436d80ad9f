"""Read raster tiles and metadata from MBTiles files (SQLite tile packages made by QGIS,
gdal, TileMill...), so users can add offline basemaps of their own.

MBTiles stores rows in TMS order (origin bottom-left); the map asks in XYZ order
(origin top-left), so the row is flipped: ``tile_row = 2**z - 1 - y``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from evidence_app.domain.errors import UserError

_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class MBTiles:
    """One open MBTiles file, read-only; safe to share between threads."""

    path: Path
    metadata: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _conn: sqlite3.Connection | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path) -> MBTiles:
        """Open ``path`` read-only and read its metadata; UserError when it is not MBTiles."""
        path = Path(path)
        if not path.is_file():
            raise UserError("file not found", location=str(path))
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            rows = conn.execute("SELECT name, value FROM metadata").fetchall()
            conn.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"not an MBTiles file ({exc}); expected an SQLite database with 'metadata' and 'tiles' tables",
                location=str(path),
            ) from exc
        tiles = cls(path=path, metadata={str(k): str(v) for k, v in rows}, _conn=conn)
        if tiles.format not in _FORMATS:
            conn.close()
            raise UserError(
                f"tile format '{tiles.format}' is not supported; expected png, jpg or webp "
                "raster tiles (vector pbf tiles are not)",
                location=f"{path}:metadata.format",
            )
        return tiles

    @property
    def name(self) -> str:
        return self.metadata.get("name") or self.path.stem

    @property
    def format(self) -> str:
        return self.metadata.get("format", "png").lower()

    @property
    def media_type(self) -> str:
        return _FORMATS[self.format]

    @property
    def zoom_range(self) -> tuple[int, int]:
        """(minzoom, maxzoom) from the metadata, or from the tiles table when absent."""
        try:
            return int(self.metadata["minzoom"]), int(self.metadata["maxzoom"])
        except (KeyError, ValueError):
            with self._lock:
                assert self._conn is not None
                lo, hi = self._conn.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
            return int(lo or 0), int(hi or 0)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) in degrees, when the metadata says."""
        try:
            west, south, east, north = (float(v) for v in self.metadata["bounds"].split(","))
        except (KeyError, ValueError):
            return None
        return west, south, east, north

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ address (z, x, y), or None when the file has none there."""
        if z < 0 or not (0 <= x < 2**z and 0 <= y < 2**z):
            return None
        with self._lock:
            assert self._conn is not None
            row = self._conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (2**z - 1) - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
