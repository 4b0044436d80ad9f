"""Package data shipped with the application (basemap, icons), found via importlib.resources.

The one loader of the Natural Earth land polygons: the interactive map serves these bytes
and the reports' static maps draw them, so both show the same coastline.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files

BASEMAP_LAND = "land-50m.geojson.gz"


@cache
def land_geojson() -> bytes:
    """The Natural Earth land polygons as GeoJSON bytes (decompressed once, then kept)."""
    packed = (files("evidence_app.resources") / "basemap" / BASEMAP_LAND).read_bytes()
    return gzip.decompress(packed)
