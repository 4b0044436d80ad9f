"""The user's own offline basemaps (MBTiles files): a small registry in the config folder that
the command line (``evidence-app basemap add|list|remove``) and the desk (File ▸ Add Basemap…)
share, and that the map reads when it starts.

Files are referred to where they are, not copied: a tile package can be gigabytes. A file
that has gone missing is reported, never a reason for the map not to start.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import NotFound, UserError
from evidence_app.mapview.mbtiles import MBTiles
from evidence_app.storage.signing import default_config_dir

REGISTRY_NAME = "basemaps.json"
REGISTRY_FORMAT = "evidence-review/basemaps/1"


@dataclass(frozen=True)
class Basemap:
    """One registered basemap: its display name, the file, and what the file says of itself."""

    name: str
    path: str
    format: str
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def registry_path() -> Path:
    return default_config_dir() / REGISTRY_NAME


def list_basemaps() -> list[Basemap]:
    """The registered basemaps, in the order they were added."""
    path = registry_path()
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["basemaps"] if isinstance(data, dict) and data.get("format") == REGISTRY_FORMAT else None
        if not isinstance(items, list):
            raise ValueError(f'expected {{"format": "{REGISTRY_FORMAT}", "basemaps": [...]}}')
        out = []
        for item in items:
            bounds = item.get("bounds")
            out.append(
                Basemap(
                    str(item["name"]),
                    str(item["path"]),
                    str(item["format"]),
                    int(item["minzoom"]),
                    int(item["maxzoom"]),
                    tuple(float(v) for v in bounds) if bounds else None,
                )
            )  # type: ignore[arg-type]
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"the basemap list cannot be read ({exc}); remove or fix the file", location=str(path)) from exc


def _write(basemaps: list[Basemap]) -> None:
    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"format": REGISTRY_FORMAT, "basemaps": [b.as_dict() for b in basemaps]}, indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".basemaps-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_basemap(path: str | os.PathLike[str], name: str | None = None) -> Basemap:
    """Register an MBTiles file (checked: SQLite with metadata and tiles, raster format)."""
    file = Path(path).expanduser().resolve()
    tiles = MBTiles.open(file)
    try:
        minzoom, maxzoom = tiles.zoom_range
        entry = Basemap(
            name=(name or tiles.name).strip() or file.stem,
            path=str(file),
            format=tiles.format,
            minzoom=minzoom,
            maxzoom=maxzoom,
            bounds=tiles.bounds,
        )
    finally:
        tiles.close()
    known = list_basemaps()
    for other in known:
        if other.path == entry.path:
            raise UserError(f"this file is already a basemap, named {other.name!r}", location=str(file))
        if other.name.lower() == entry.name.lower():
            raise UserError(
                f"a basemap named {entry.name!r} exists already (from {other.path}); choose another name with --name",
                location=str(file),
            )
    _write([*known, entry])
    return entry


def remove_basemap(ref: str) -> Basemap:
    """Unregister a basemap by name, number (as listed, from 1) or file path; the file is left alone."""
    known = list_basemaps()
    text = ref.strip()
    for index, entry in enumerate(known, start=1):
        if (
            text.lower() == entry.name.lower()
            or text == str(index)
            or text == entry.path
            or (text and Path(text).expanduser().resolve().as_posix() == Path(entry.path).as_posix())
        ):
            _write([b for b in known if b is not entry])
            return entry
    names = ", ".join(f"{i}: {b.name}" for i, b in enumerate(known, start=1)) or "none registered"
    raise NotFound(f"no basemap {ref!r}; the basemaps are: {names}")


def open_basemaps() -> tuple[list[MBTiles], list[str]]:
    """The registered basemaps opened for the map, and a line for each that could not be."""
    opened, problems = [], []
    try:
        entries = list_basemaps()
    except UserError as exc:
        return [], [str(exc)]
    for entry in entries:
        try:
            opened.append(MBTiles.open(entry.path))
        except UserError as exc:
            problems.append(f"basemap {entry.name!r}: {exc}")
    return opened, problems
