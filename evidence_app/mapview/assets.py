"""The map page's static files: Leaflet and jQuery from the installed XStatic
packages, our own script and style, and the Natural Earth basemap; nothing else is served.

Paths are the ones the page asks for on our URL scheme, e.g. ``/assets/leaflet/leaflet.js``.
"""

from __future__ import annotations

import importlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from evidence_app import resources

SCHEME = "evmap"
HOST = "local"
ORIGIN = f"{SCHEME}://{HOST}"

# Name on our scheme → XStatic package module. Leaflet 1.9.3 is folium's own version.
_XSTATIC = {
    "leaflet": "xstatic.pkg.leaflet",
    "jquery": "xstatic.pkg.jquery",
}
_SERVED_SUFFIXES = {".js", ".css", ".png", ".svg"}

BASEMAP_LAND = resources.BASEMAP_LAND


@dataclass(frozen=True)
class Asset:
    """Bytes to send for one request, with their media type."""

    body: bytes
    media_type: str


def url(path: str) -> str:
    """The absolute URL of ``path`` (starting with /) on our scheme."""
    return f"{ORIGIN}{path}"


@cache
def asset_roots() -> dict[str, Path]:
    """Folder on disk for each asset prefix: the XStatic data folders and our static folder."""
    roots = {}
    for name, module in _XSTATIC.items():
        roots[name] = Path(importlib.import_module(module).BASE_DIR).resolve()
    roots["app"] = Path(str(files("evidence_app.mapview") / "static")).resolve()
    return roots


def asset_file(path: str) -> Path | None:
    """The file for ``/assets/<prefix>/<file>``, or None when it is not one we serve.

    Refuses anything outside the known folders (``..``, absolute paths, symlinks out)
    and any file type a map page has no reason to load.
    """
    parts = path.split("/")
    if len(parts) < 4 or parts[0] != "" or parts[1] != "assets":
        return None
    root = asset_roots().get(parts[2])
    if root is None:
        return None
    candidate = (root / "/".join(parts[3:])).resolve()
    if not candidate.is_relative_to(root) or candidate.suffix not in _SERVED_SUFFIXES:
        return None
    return candidate if candidate.is_file() else None


def read_asset(path: str) -> Asset | None:
    """The bytes and media type of a static asset, or None when it is not served."""
    found = asset_file(path)
    if found is None:
        return None
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    if found.suffix == ".js":
        media_type = "text/javascript"
    return Asset(found.read_bytes(), media_type)


def land_geojson() -> bytes:
    """The Natural Earth land polygons as GeoJSON bytes (the same file the reports draw)."""
    return resources.land_geojson()
