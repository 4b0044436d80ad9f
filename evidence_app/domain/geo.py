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
