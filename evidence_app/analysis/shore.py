"""Distance to the coast from Natural Earth 1:10m land and islands, shipped with the app (no network).

The coastline is every edge of the land polygons (``resources/coast/land-10m.npz``, built
by ``tools/build_coast.py``), cut into short pieces held in a shapely STRtree. For a
point, the nearest piece in degrees gives a first distance; every piece inside a box of
that radius is then projected onto a plane centred on the point (azimuthal equidistant:
distances from the centre are exact on the sphere) and the shortest distance to an
edge, not to a vertex, is taken. A point inside a land polygon is *on land*: its
distance is to the coast all the same (how far inland), so a caller can report it
rather than take it for a berth. Edges the polygons only have because they were cut at
±180° or close at the South Pole are not coast and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

COAST_RESOURCE = "land-10m.npz"
SOURCE = (
    "Natural Earth 1:10m land, plus the islands of its 1:10m Admin-0 countries (distance to the nearest coastline edge)"
)
_PIECE = 32  # vertices per coastline piece in the tree
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class ShoreFix:
    """Where a point stands against the coastline."""

    distance_m: float  # to the nearest coastline edge (capped)
    on_land: bool  # inside a land polygon by the coastline data

    def as_metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {"shore_distance_m": round(self.distance_m)}
        if self.on_land:
            out["on_land_by_coastline"] = True
        return out


@dataclass
class _Coast:
    land: Any  # STRtree of the land polygons (degrees)
    pieces: Any  # STRtree of coastline pieces (degrees)
    coords: np.ndarray  # (n, 2) lon, lat of every piece's vertices, piece after piece
    offsets: np.ndarray  # piece i is coords[offsets[i]:offsets[i + 1]]


def _load() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(coordinates lon/lat, ring index per vertex, polygon index per ring) from the shipped archive."""
    import io

    import numpy as np

    try:
        packed = (files("evidence_app.resources") / "coast" / COAST_RESOURCE).read_bytes()
    except (FileNotFoundError, OSError):
        return None
    with np.load(io.BytesIO(packed), allow_pickle=False) as data:
        deltas, ring_sizes, poly_rings = data["deltas"], data["ring_sizes"], data["poly_rings"]
        scale = float(data["scale"][0])
    ring_of_vertex = np.repeat(np.arange(ring_sizes.size), ring_sizes)
    total = np.cumsum(deltas.astype(np.int64), axis=0)
    first = np.concatenate([[0], np.cumsum(ring_sizes)[:-1]])
    before = np.vstack([np.zeros((1, 2), dtype=np.int64), total])[first]  # running sum before each ring
    coords = (total - before[ring_of_vertex]) / scale
    return coords, ring_of_vertex, np.repeat(np.arange(poly_rings.size), poly_rings)


@lru_cache(maxsize=1)
def _coast() -> _Coast | None:
    import numpy as np
    import shapely

    loaded = _load()
    if loaded is None:
        return None
    coords, ring_of_vertex, poly_of_ring = loaded
    rings = shapely.linearrings(coords, indices=ring_of_vertex)
    land = shapely.polygons(rings, indices=poly_of_ring)
    # Edge e runs from vertex e to e + 1 of the same ring.
    e = np.nonzero(ring_of_vertex[1:] == ring_of_vertex[:-1])[0]
    a, b = coords[e], coords[e + 1]
    # Not coast: the cut along ±180° and the polygon's closure along the South Pole.
    real = ~(
        ((np.abs(a[:, 0]) >= 179.99999) & (np.abs(b[:, 0]) >= 179.99999)) | ((a[:, 1] <= -89.9) & (b[:, 1] <= -89.9))
    )
    e = e[real]
    run_start = np.ones(e.size, dtype=bool)
    run_start[1:] = e[1:] != e[:-1] + 1
    run_first = np.nonzero(run_start)[0]
    position = np.arange(e.size) - run_first[np.cumsum(run_start) - 1]
    piece = np.cumsum(run_start | (position % (_PIECE - 1) == 0)) - 1
    last = np.append(piece[1:] != piece[:-1], True)
    vertex = np.concatenate([e, e[last] + 1])
    owner = np.concatenate([piece, piece[last]])
    order = np.lexsort((vertex, owner))
    vertex, owner = vertex[order], owner[order]
    piece_coords = coords[vertex]
    offsets = np.searchsorted(owner, np.arange(owner[-1] + 2))
    lines = shapely.linestrings(piece_coords, indices=owner)
    return _Coast(land=shapely.STRtree(land), pieces=shapely.STRtree(lines), coords=piece_coords, offsets=offsets)


def available() -> bool:
    return _coast() is not None


def on_land(lat: float, lon: float) -> bool:
    import shapely

    coast = _coast()
    if coast is None:
        return False
    return bool(len(coast.land.query(shapely.Point(lon, lat), predicate="intersects")))


def _local_metres(points: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """(lon, lat) degrees -> metres on the azimuthal equidistant plane centred on (lat, lon)."""
    import numpy as np

    p1, l1 = np.radians(lat), np.radians(lon)
    p2, l2 = np.radians(points[:, 1]), np.radians(points[:, 0])
    dl = l2 - l1
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    bearing = np.arctan2(np.sin(dl) * np.cos(p2), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl))
    # The Earth is flatter than the sphere: near the point, a degree north is M and a degree
    # east N cos(lat) on the WGS84 ellipsoid (radii of curvature), which puts the plane within
    # about 0.1% of the geodesic distance instead of the sphere's 0.5%.
    e2 = 0.00669437999014
    w = 1 - e2 * np.sin(p1) ** 2
    east = 6_378_137.0 / np.sqrt(w) / EARTH_RADIUS_M
    north = 6_378_137.0 * (1 - e2) / w**1.5 / EARTH_RADIUS_M
    return np.column_stack([d * np.sin(bearing) * east, d * np.cos(bearing) * north])


def _box_queries(lat: float, lon: float, radius_m: float) -> list[tuple[float, float, float, float]]:
    import math

    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01 + 1e-6
    south, north = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    cos_max = math.cos(math.radians(max(abs(south), abs(north))))
    if cos_max < 1e-6 or dlat * 1.01 / max(cos_max, 1e-6) >= 180:
        return [(-180.0, south, 180.0, north)]
    dlon = dlat / cos_max
    west, east = lon - dlon, lon + dlon
    boxes = [(max(west, -180.0), south, min(east, 180.0), north)]
    if west < -180:
        boxes.append((west + 360, south, 180.0, north))
    if east > 180:
        boxes.append((-180.0, south, east - 360, north))
    return boxes


def shore_fix(lat: float, lon: float, cap_m: float = 200_000.0) -> ShoreFix | None:
    """Distance to the nearest coastline edge (at most ``cap_m``) and whether the point is on land; None without data."""
    import numpy as np
    import shapely

    coast = _coast()
    if coast is None:
        return None
    point = shapely.Point(lon, lat)
    land = bool(len(coast.land.query(point, predicate="intersects")))
    first = _pieces_distance(coast, np.atleast_1d(coast.pieces.query_nearest(point)), lat, lon)
    radius = min(first, cap_m)
    boxes = [coast.pieces.query(shapely.box(*box)) for box in _box_queries(lat, lon, radius)]
    candidates = np.unique(np.concatenate(boxes)) if boxes else np.zeros(0, dtype=np.int64)
    best = min(first, _pieces_distance(coast, candidates, lat, lon)) if candidates.size else first
    return ShoreFix(distance_m=float(min(best, cap_m)), on_land=land)


def _pieces_distance(coast: _Coast, pieces: np.ndarray, lat: float, lon: float) -> float:
    """The least distance in metres from (lat, lon) to the given coastline pieces."""
    import numpy as np
    import shapely

    starts, ends = coast.offsets[pieces], coast.offsets[pieces + 1]
    counts = ends - starts
    rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    xy = _local_metres(coast.coords[rows], lat, lon)
    lines = shapely.linestrings(xy, indices=np.repeat(np.arange(pieces.size), counts))
    return float(shapely.distance(shapely.Point(0.0, 0.0), lines).min())


def distance_from_shore_m(lat: float, lon: float, cap_m: float = 200_000.0) -> float | None:
    """Metres to the nearest coastline edge, 0 on land; None without coastline data."""
    fix = shore_fix(lat, lon, cap_m)
    if fix is None:
        return None
    return 0.0 if fix.on_land else fix.distance_m


def shore_metrics(lat: float, lon: float) -> dict[str, Any]:
    fix = shore_fix(lat, lon)
    return {} if fix is None else fix.as_metrics()
