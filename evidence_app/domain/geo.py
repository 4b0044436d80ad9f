"""Geodesy on the WGS 84 sphere approximation: distances, bearings, bounding boxes."""

from __future__ import annotations

import math

from evidence_app.domain.errors import ValidationError

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_NM = 1852.0


def validate_lat_lon(lat: float, lon: float) -> tuple[float, float]:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValidationError(f"latitude {lat} is out of range: expected -90 to 90", field="lat")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValidationError(f"longitude {lon} is out of range: expected -180 to 180", field="lon")
    return lat, lon


# GeoJSON geometry types (RFC 7946) and how deep their coordinate arrays nest.
GEOMETRY_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
MAX_GEOMETRY_POSITIONS = 1_000_000


def validate_geometry(value: object, *, field: str = "footprint") -> dict[str, object]:
    """A GeoJSON geometry whose positions are [longitude, latitude] numbers in range.

    What the app writes as a footprint: a photo's Polygon, an AIS file's MultiLineString,
    a Point. Anything else (strings for numbers, a bare list, latitude 500) is refused
    here rather than breaking every map and export that draws it later.
    """
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a GeoJSON geometry object, found {type(value).__name__}", field=field)
    kind = value.get("type")
    if kind not in GEOMETRY_DEPTH:
        raise ValidationError(f"{field} type {kind!r}: expected one of {', '.join(GEOMETRY_DEPTH)}", field=field)
    depth = GEOMETRY_DEPTH[str(kind)]
    count = 0
    stack: list[tuple[object, int]] = [(value.get("coordinates"), depth)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, list):
            raise ValidationError(
                f"{field} coordinates of a {kind} must be nested lists of [lon, lat] pairs", field=field
            )
        if level > 0:
            if kind in ("LineString", "MultiLineString", "Polygon", "MultiPolygon") and level == 1 and len(item) < 2:
                raise ValidationError(f"{field}: a line or ring of a {kind} needs at least two positions", field=field)
            stack.extend((child, level - 1) for child in item)
            continue
        count += 1
        if count > MAX_GEOMETRY_POSITIONS:
            raise ValidationError(f"{field} has more than {MAX_GEOMETRY_POSITIONS} positions", field=field)
        if not 2 <= len(item) <= 3 or any(isinstance(n, bool) or not isinstance(n, int | float) for n in item):
            raise ValidationError(f"{field} position {item!r:.60}: expected [longitude, latitude] numbers", field=field)
        lon, lat = float(item[0]), float(item[1])
        if not (math.isfinite(lon) and -180.0 <= lon <= 180.0 and math.isfinite(lat) and -90.0 <= lat <= 90.0):
            raise ValidationError(
                f"{field} position [{lon}, {lat}] is out of range: expected longitude -180 to 180, latitude -90 to 90",
                field=field,
            )
    return value


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from true north, [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse ``W,S,E,N``; W may exceed E for a box that crosses the antimeridian."""
    parts = text.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValidationError(
            f"bounding box {text!r} is not valid: expected four numbers W,S,E,N", field="bbox"
        ) from None
    validate_lat_lon(south, west)
    validate_lat_lon(north, east)
    if south > north:
        raise ValidationError(f"bounding box {text!r}: south {south} is north of north {north}", field="bbox")
    return west, south, east, north
