"""Antimeridian-safe geometry helpers for the map: unwrap, split lines and rings at ±180°.

Leaflet draws in Web Mercator without wrapping, so a ring or a track that steps from
179° to -179° would be drawn as a line across the whole world. Everything handed to
the page goes through these helpers first.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]  # (lon, lat), GeoJSON order


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
    """A line broken into parts that never cross ±180°, each ending exactly on the meridian."""
    parts: list[list[Point]] = []
    current: list[Point] = []
    prev: Point | None = None
    for c in coords:
        point = (float(c[0]), float(c[1]))
        if prev is not None and abs(point[0] - prev[0]) > 180.0:
            # Interpolate the latitude where the short way round meets the meridian.
            edge = 180.0 if prev[0] > 0 else -180.0
            lon_b = point[0] + (360.0 if edge > 0 else -360.0)
            frac = (edge - prev[0]) / (lon_b - prev[0]) if lon_b != prev[0] else 0.0
            lat_x = prev[1] + frac * (point[1] - prev[1])
            current.append((edge, lat_x))
            parts.append(current)
            current = [(-edge, lat_x)]
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
