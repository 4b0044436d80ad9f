"""Approximate distance from shore, from the Natural Earth 1:50m land polygons shipped with the app.

Cheap by design: the distance is to the nearest coastline vertex (vertices of the 50m
coastline lie a few kilometres apart, so the figure can be high by up to about half
that spacing), and a point inside a land polygon is at 0 m. Small islands, piers and
harbour works are not in the 50m data: this tells open sea from coastal water, not a
berth from an anchorage.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

LAND_RESOURCE = "land-50m.geojson.gz"
SOURCE = "Natural Earth 1:50m land (nearest coastline vertex)"


@lru_cache(maxsize=1)
def _coast() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(vertex lat sorted, vertex lon, edge start lon/lat, edge end lon/lat) or None without the resource."""
    import numpy as np

    try:
        packed = (files("evidence_app.resources") / "basemap" / LAND_RESOURCE).read_bytes()
    except (FileNotFoundError, OSError):
        return None
    data = json.loads(gzip.decompress(packed))
    rings: list[np.ndarray] = []
    for feature in data.get("features", []):
        geom = feature.get("geometry") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        for poly in polys:
            for ring in poly:
                arr = np.asarray(ring, dtype=np.float64)
                if arr.ndim == 2 and arr.shape[0] >= 3:
                    rings.append(arr)
    if not rings:
        return None
    vertices = np.concatenate(rings)
    a = np.concatenate([r[:-1] for r in rings])
    b = np.concatenate([r[1:] for r in rings])
    order = np.argsort(vertices[:, 1])
    return vertices[order, 1], vertices[order, 0], a, b


def available() -> bool:
    return _coast() is not None


def on_land(lat: float, lon: float) -> bool:
    """Even-odd ray casting against every land ring (a few thousand edges near the point matter)."""
    import numpy as np

    coast = _coast()
    if coast is None:
        return False
    _, _, a, b = coast
    (x1, y1), (x2, y2) = a.T, b.T
    crosses = (y1 > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
    return bool(np.count_nonzero(crosses & (x_at > lon)) % 2)


def distance_from_shore_m(lat: float, lon: float, cap_m: float = 200_000.0) -> float | None:
    """Metres to the nearest coastline vertex (0 on land), at most ``cap_m``; None without land data."""
    import numpy as np

    from evidence_app.analysis.tracks import EARTH_RADIUS_M

    coast = _coast()
    if coast is None:
        return None
    if on_land(lat, lon):
        return 0.0
    vlat, vlon, _, _ = coast
    band = np.degrees(cap_m / EARTH_RADIUS_M)
    lo, hi = np.searchsorted(vlat, [lat - band, lat + band])
    if hi <= lo:
        return float(cap_m)
    la, lo_ = np.radians(vlat[lo:hi]), np.radians(vlon[lo:hi])
    p, q = np.radians(lat), np.radians(lon)
    h = np.sin((la - p) / 2) ** 2 + np.cos(p) * np.cos(la) * np.sin((lo_ - q) / 2) ** 2
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h.min(), 0.0, 1.0)))
    return float(min(d, cap_m))


def shore_metrics(lat: float, lon: float) -> dict[str, Any]:
    d = distance_from_shore_m(lat, lon)
    return {} if d is None else {"shore_distance_m": round(d)}
