"""Antimeridian-safe geometry: unwrap, split lines and rings at ±180°, and RFC 7946 geometries.

Leaflet draws in Web Mercator without wrapping, and RFC 7946 (§3.1.9) asks that a
GeoJSON geometry crossing the antimeridian be cut into a MultiLineString or
MultiPolygon, so a ring or a track that steps from 179° to -179° would otherwise be
drawn as a line across the whole world. The map page and the GeoJSON/KML exports both
go through these helpers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Point = tuple[float, ...]  # (lon, lat, *more), GeoJSON order; more (a time) is interpolated too


def unwrap(coords: Sequence[Sequence[float]]) -> list[Point]:
    """Longitudes made continuous: a step of more than 180° is taken the short way round."""
    out: list[Point] = []
    offset = 0.0
    prev: float | None = None
    for c in coords:
        lon, lat = float(c[0]), float(c[1])
        if prev is not None:
            step = lon - prev
            if step > 180.0:
                offset -= 360.0
            elif step < -180.0:
                offset += 360.0
        prev = lon
        out.append((lon + offset, lat))
    return out


def crosses_antimeridian(coords: Sequence[Sequence[float]]) -> bool:
    """True when two consecutive points are more than 180° of longitude apart."""
    return any(abs(float(b[0]) - float(a[0])) > 180.0 for a, b in zip(coords, coords[1:], strict=False))


def split_line(coords: Sequence[Sequence[float]]) -> list[list[Point]]:
    """A line broken into parts that never cross ±180°, each ending exactly on the meridian.

    Points may carry more values after (lon, lat), such as a time: they are interpolated
    at the crossing like the latitude.
    """
    parts: list[list[Point]] = []
    current: list[Point] = []
    prev: Point | None = None
    for c in coords:
        point = tuple(float(v) for v in c)
        if prev is not None and abs(point[0] - prev[0]) > 180.0:
            # Interpolate where the short way round meets the meridian.
            edge = 180.0 if prev[0] > 0 else -180.0
            lon_b = point[0] + (360.0 if edge > 0 else -360.0)
            frac = (edge - prev[0]) / (lon_b - prev[0]) if lon_b != prev[0] else 0.0
            rest = tuple(a + frac * (b - a) for a, b in zip(prev[1:], point[1:], strict=False))
            current.append((edge, *rest))
            parts.append(current)
            current = [(-edge, *rest)]
        current.append(point)
        prev = point
    if current:
        parts.append(current)
    return [p for p in parts if len(p) >= 2]


def _clip_half_plane(ring: list[Point], limit: float, keep_below: bool) -> list[Point]:
    """Sutherland–Hodgman clip of a closed ring against the half-plane lon <= limit (or >=)."""

    def inside(p: Point) -> bool:
        return p[0] <= limit if keep_below else p[0] >= limit

    out: list[Point] = []
    n = len(ring)
    for i in range(n):
        cur, nxt = ring[i], ring[(i + 1) % n]
        cur_in, nxt_in = inside(cur), inside(nxt)
        if cur_in:
            out.append(cur)
        if cur_in != nxt_in:
            frac = (limit - cur[0]) / (nxt[0] - cur[0])
            out.append((limit, cur[1] + frac * (nxt[1] - cur[1])))
    return out


def _close(ring: list[Point]) -> list[Point]:
    if ring and ring[0] != ring[-1]:
        ring = [*ring, ring[0]]
    return ring


def split_ring(ring: Sequence[Sequence[float]]) -> list[list[Point]]:
    """A closed ring cut at ±180° into rings that each lie within [-180, 180].

    Rings that go all the way round the pole (Antarctica) cannot be cut into closed
    pieces this way; they come back unchanged, clamped to the valid range.
    """
    raw = [(float(c[0]), float(c[1])) for c in ring]
    if not raw:
        return []
    if raw[0] != raw[-1]:
        raw.append(raw[0])
    pts = unwrap(raw)
    if abs(pts[-1][0] - pts[0][0]) > 180.0:
        # Net 360° of longitude: a ring round a pole.
        return [[(max(-180.0, min(180.0, lon)), lat) for lon, lat in raw]]
    pts = pts[:-1]
    lons = [p[0] for p in pts]
    lo, hi = min(lons), max(lons)
    if lo >= -180.0 and hi <= 180.0:
        return [_close(pts)]
    pieces: list[list[Point]] = []
    # Shift the ring so it starts within [-180, 180], then cut it into 360°-wide windows.
    shift = 0.0
    if lo < -180.0:
        shift = 360.0 * ((-180.0 - lo) // 360.0 + 1)
        pts = [(lon + shift, lat) for lon, lat in pts]
        lo, hi = lo + shift, hi + shift
    edge = 180.0
    while lo < edge + 360.0 and edge - 360.0 < hi:
        window = _clip_half_plane(pts, edge, keep_below=True)
        window = _clip_half_plane(window, edge - 360.0, keep_below=False)
        if len(window) >= 3:
            back = edge - 180.0  # the window's centre, mapped back to 0
            pieces.append(_close([(lon - back, lat) for lon, lat in window]))
        edge += 360.0
    return pieces


def split_polygon(rings: Sequence[Sequence[Sequence[float]]]) -> list[list[list[Point]]]:
    """A GeoJSON polygon (exterior + holes) as one or more polygons that do not cross ±180°."""
    if not rings:
        return []
    exteriors = split_ring(rings[0])
    if len(exteriors) == 1:
        holes = [h for hole in rings[1:] for h in split_ring(hole)]
        return [[exteriors[0], *holes]]
    polygons: list[list[list[Point]]] = [[e] for e in exteriors]
    centres = [sum(p[0] for p in e) / len(e) for e in exteriors]
    for hole in rings[1:]:
        for piece in split_ring(hole):
            mid = sum(p[0] for p in piece) / len(piece)
            nearest = min(range(len(centres)), key=lambda i: abs(centres[i] - mid))
            polygons[nearest].append(piece)
    return polygons


# --- RFC 7946 geometries for the exports ---------------------------------------------------------


def wrap_lon(lon: float) -> float:
    """A longitude brought into [-180, 180] (180 stays 180)."""
    return lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0


def _position(value: Any) -> Point | None:
    """(lon, lat) from a GeoJSON position if both are finite numbers and the latitude is on Earth."""
    if not isinstance(value, list | tuple) or len(value) < 2:
        return None
    lon, lat = value[0], value[1]
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in (lon, lat)):
        return None
    if not -90.0 <= lat <= 90.0 or abs(lon) > 1e6:
        return None
    return (float(lon), float(lat))


def _positions(value: Any) -> list[Point] | None:
    if not isinstance(value, list | tuple):
        return None
    out = [_position(v) for v in value]
    return None if any(p is None for p in out) else out  # type: ignore[return-value]


def _ccw(ring: list[Point], exterior: bool) -> list[Point]:
    """RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise."""
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))
    return ring if (area >= 0) == exterior else ring[::-1]


def _polygons(rings: Any) -> list[list[list[Point]]]:
    """A polygon's rings, checked, cut at ±180° and oriented; [] when unusable."""
    if not isinstance(rings, list | tuple) or not rings:
        return []
    checked = [_positions(r) for r in rings]
    if any(r is None or len(r) < 3 for r in checked):
        return []
    out = []
    for polygon in split_polygon(checked):  # type: ignore[arg-type]
        rings_out = [_close([(round(p[0], 7), round(p[1], 7)) for p in ring]) for ring in polygon]
        rings_out = [r for r in rings_out if len(r) >= 4]
        if rings_out:
            out.append([_ccw(r, i == 0) for i, r in enumerate(rings_out)])
    return out


def line_geometry(coords: Sequence[Sequence[float]]) -> dict[str, Any] | None:
    """A LineString, or a MultiLineString when it crosses ±180°; a Point for one position; None for none."""
    points = [(wrap_lon(float(c[0])), float(c[1])) for c in coords]
    if not points:
        return None
    if len(points) == 1 or all(p == points[0] for p in points):
        return {"type": "Point", "coordinates": list(points[0])}
    parts = [[list(p) for p in part] for part in split_line(points)]
    if len(parts) == 1:
        return {"type": "LineString", "coordinates": parts[0]}
    return {"type": "MultiLineString", "coordinates": parts}


def rfc7946_geometry(geometry: Any) -> dict[str, Any] | None:
    """A stored geometry as valid RFC 7946 GeoJSON (cut at ±180°, finite numbers), or None if it is not one.

    Footprints come from image headers and from case files, so anything may be stored:
    strings, NaN, one-point lines. What cannot be drawn is left out, never written.
    """
    if not isinstance(geometry, Mapping):
        return None
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        point = _position(coords)
        return None if point is None else {"type": "Point", "coordinates": [wrap_lon(point[0]), point[1]]}
    if kind == "LineString":
        points = _positions(coords)
        return None if not points else line_geometry(points)
    if kind == "MultiLineString" and isinstance(coords, list | tuple):
        lines = [_positions(c) for c in coords]
        if not lines or any(not line for line in lines):
            return None
        parts: list[list[list[float]]] = []
        for line in lines:
            g = line_geometry(line)  # type: ignore[arg-type]
            if g and g["type"] == "LineString":
                parts.append(g["coordinates"])
            elif g and g["type"] == "MultiLineString":
                parts += g["coordinates"]
        return {"type": "MultiLineString", "coordinates": parts} if parts else None
    if kind == "Polygon":
        polygons = _polygons(coords)
        if not polygons:
            return None
        return (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
    if kind == "MultiPolygon" and isinstance(coords, list | tuple):
        polygons = [p for poly in coords for p in _polygons(poly)]
        return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None
    return None
