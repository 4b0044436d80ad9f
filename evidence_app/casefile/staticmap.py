"""A static PNG map of one incident for the reports: land, graticule, tracks, footprints, uncertainty circle.

Drawn with Pillow at twice the size and scaled down (cheap anti-aliasing). The
projection is equirectangular with longitude scaled by cos(latitude): exact enough
for the tens of kilometres an incident map covers. Land polygons are an argument (rings
of lon/lat pairs); ``load_land()`` finds a Natural Earth land file if one is installed
and the map degrades to sea with a graticule when none is.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

Ring = list[tuple[float, float]]  # (lon, lat)

SEA = (214, 228, 238)
LAND = (238, 233, 220)
COAST = (150, 140, 120)
GRID = (170, 190, 205)
INK = (30, 40, 50)
TRACK_COLOURS = [(31, 96, 180), (200, 90, 20), (40, 140, 60), (150, 50, 160), (120, 90, 40)]


@dataclass
class MapTrack:
    label: str
    points: list[tuple[float, float]]  # (lat, lon) in time order


@dataclass
class MapSpec:
    lat: float
    lon: float
    radius_m: float | None = None
    colour: tuple[int, int, int] = (192, 0, 26)
    label: str = ""
    tracks: list[MapTrack] = field(default_factory=list)
    footprints: list[Ring] = field(default_factory=list)  # (lon, lat) rings
    points: list[tuple[float, float, str]] = field(default_factory=list)  # extra (lat, lon, label)


def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def _extent(spec: MapSpec) -> tuple[float, float, float, float]:
    lats = [spec.lat]
    lons = [spec.lon]
    for t in spec.tracks:
        lats += [p[0] for p in t.points]
        lons += [p[1] for p in t.points]
    for ring in spec.footprints:
        lons += [p[0] for p in ring]
        lats += [p[1] for p in ring]
    lats += [p[0] for p in spec.points]
    lons += [p[1] for p in spec.points]
    r_deg = (spec.radius_m or 0) / 111_320
    coslat = max(math.cos(math.radians(spec.lat)), 0.05)
    south, north = min(lats) - r_deg, max(lats) + r_deg
    west, east = min(lons) - r_deg / coslat, max(lons) + r_deg / coslat
    # At least ~20 km across, and a margin around everything.
    min_span = 0.18
    if north - south < min_span:
        mid = (north + south) / 2
        south, north = mid - min_span / 2, mid + min_span / 2
    if (east - west) * coslat < min_span:
        mid = (east + west) / 2
        half = min_span / coslat / 2
        west, east = mid - half, mid + half
    pad_lat = (north - south) * 0.12
    pad_lon = (east - west) * 0.12
    return west - pad_lon, south - pad_lat, east + pad_lon, north + pad_lat


def _nice_step(span: float) -> float:
    for step in (1 / 60, 2 / 60, 5 / 60, 10 / 60, 15 / 60, 0.5, 1, 2, 5, 10, 20):
        if span / step <= 6:
            return step
    return 30.0


def _fmt_deg(value: float, pos: str, neg: str) -> str:
    hemi = pos if value >= 0 else neg
    value = abs(value)
    degrees = int(value + 1e-9)
    minutes = round((value - degrees) * 60)
    if minutes == 60:
        degrees, minutes = degrees + 1, 0
    return f"{degrees}°{minutes:02d}′{hemi}"


def render_map(spec: MapSpec, *, land: Sequence[Ring] | None = None, size: tuple[int, int] = (900, 560)) -> bytes:
    """The incident map as PNG bytes."""
    from PIL import Image, ImageDraw

    scale = 2
    width, height = size[0] * scale, size[1] * scale
    west, south, east, north = _extent(spec)
    coslat = max(math.cos(math.radians((north + south) / 2)), 0.05)
    # Keep the aspect ratio true: widen whichever axis is short.
    px_per_deg = min(width / ((east - west) * coslat), height / (north - south))
    cx, cy = (west + east) / 2, (south + north) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (width / 2 + (lon - cx) * coslat * px_per_deg, height / 2 - (lat - cy) * px_per_deg)

    view_w = width / (coslat * px_per_deg) / 2
    view_h = height / px_per_deg / 2
    west, east, south, north = cx - view_w, cx + view_w, cy - view_h, cy + view_h

    img = Image.new("RGB", (width, height), SEA)
    draw = ImageDraw.Draw(img, "RGBA")
    for ring in land or ():
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        if max(lons) < west or min(lons) > east or max(lats) < south or min(lats) > north:
            continue
        if len(ring) >= 3:
            draw.polygon([xy(lat, lon) for lon, lat in ring], fill=LAND, outline=COAST, width=2)
    font = _font(11 * scale)
    small = _font(10 * scale)
    step = _nice_step(north - south)
    value = math.floor(south / step) * step
    while value <= north:
        y = xy(value, west)[1]
        draw.line([(0, y), (width, y)], fill=GRID + (255,), width=1 * scale)
        draw.text((6 * scale, y - 14 * scale), _fmt_deg(value, "N", "S"), fill=INK, font=small)
        value += step
    step_lon = _nice_step((east - west) * coslat)
    value = math.floor(west / step_lon) * step_lon
    while value <= east:
        x = xy(south, value)[0]
        draw.line([(x, 0), (x, height)], fill=GRID + (255,), width=1 * scale)
        draw.text((x + 4 * scale, height - 18 * scale), _fmt_deg(value, "E", "W"), fill=INK, font=small)
        value += step_lon
    for ring in spec.footprints:
        draw.polygon([xy(lat, lon) for lon, lat in ring], fill=(255, 160, 0, 50), outline=(230, 130, 0, 255), width=2 * scale)
    for i, track in enumerate(spec.tracks):
        colour = TRACK_COLOURS[i % len(TRACK_COLOURS)]
        pts = [xy(lat, lon) for lat, lon in track.points]
        if len(pts) >= 2:
            draw.line(pts, fill=colour + (255,), width=3 * scale, joint="curve")
        for px, py in pts[:: max(1, len(pts) // 12)]:
            draw.ellipse([px - 3 * scale, py - 3 * scale, px + 3 * scale, py + 3 * scale], fill=colour + (255,))
        if pts:
            ex, ey = pts[-1]
            draw.ellipse([ex - 6 * scale, ey - 6 * scale, ex + 6 * scale, ey + 6 * scale], fill=colour + (255,), outline=(255, 255, 255, 255), width=2 * scale)
            _label(draw, (ex + 9 * scale, ey - 9 * scale), track.label, font, colour)
    for lat, lon, text in spec.points:
        px, py = xy(lat, lon)
        draw.rectangle([px - 5 * scale, py - 5 * scale, px + 5 * scale, py + 5 * scale], fill=(230, 130, 0, 255), outline=(255, 255, 255, 255))
        if text:
            _label(draw, (px + 8 * scale, py + 4 * scale), text, small, (150, 80, 0))
    px, py = xy(spec.lat, spec.lon)
    if spec.radius_m:
        r = spec.radius_m / 111_320 * px_per_deg
        draw.ellipse([px - r, py - r, px + r, py + r], fill=spec.colour + (40,), outline=spec.colour + (220,), width=2 * scale)
    m = 9 * scale
    draw.polygon([(px, py - m), (px + m, py), (px, py + m), (px - m, py)], fill=spec.colour + (255,), outline=(255, 255, 255, 255))
    if spec.label:
        _label(draw, (px + 12 * scale, py + 8 * scale), spec.label, font, spec.colour)
    _scale_bar(draw, width, height, px_per_deg, coslat, small, scale)
    _north_arrow(draw, width, scale, small)
    if land:
        draw.text((width - 170 * scale, height - 18 * scale), "Land: Natural Earth", fill=INK, font=small)
    draw.rectangle([0, 0, width - 1, height - 1], outline=INK, width=2 * scale)
    out = img.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _label(draw, at, text, font, colour) -> None:  # type: ignore[no-untyped-def]
    box = draw.textbbox(at, text, font=font)
    draw.rectangle([box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3], fill=(255, 255, 255, 215))
    draw.text(at, text, fill=colour, font=font)


def _scale_bar(draw, width, height, px_per_deg, coslat, font, scale) -> None:  # type: ignore[no-untyped-def]
    metres_per_px = 111_320 / px_per_deg
    target = width * 0.22 * metres_per_px
    nice = 1000.0
    for candidate in (500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000):
        if candidate <= target:
            nice = candidate
    length = nice / metres_per_px
    x0, y0 = 20 * scale, height - 40 * scale
    draw.rectangle([x0 - 6 * scale, y0 - 22 * scale, x0 + length + 60 * scale, y0 + 10 * scale], fill=(255, 255, 255, 200))
    draw.line([(x0, y0), (x0 + length, y0)], fill=INK, width=3 * scale)
    for x in (x0, x0 + length):
        draw.line([(x, y0 - 6 * scale), (x, y0 + 6 * scale)], fill=INK, width=2 * scale)
    km = nice / 1000
    draw.text((x0, y0 - 20 * scale), f"{km:g} km ({km / 1.852:.1f} nm)", fill=INK, font=font)


def _north_arrow(draw, width, scale, font) -> None:  # type: ignore[no-untyped-def]
    x, y = width - 30 * scale, 20 * scale
    draw.polygon([(x, y), (x + 9 * scale, y + 26 * scale), (x, y + 19 * scale), (x - 9 * scale, y + 26 * scale)], fill=INK)
    draw.text((x - 5 * scale, y + 28 * scale), "N", fill=INK, font=font)


def rings_from_geojson(data: dict) -> list[Ring]:  # type: ignore[type-arg]
    """Outer rings of every (Multi)Polygon in a GeoJSON FeatureCollection or geometry."""
    rings: list[Ring] = []

    def geometry(g: dict) -> None:  # type: ignore[type-arg]
        if not isinstance(g, dict):
            return
        if g.get("type") == "Polygon" and g.get("coordinates"):
            rings.append([(float(p[0]), float(p[1])) for p in g["coordinates"][0]])
        elif g.get("type") == "MultiPolygon":
            for poly in g.get("coordinates") or []:
                if poly:
                    rings.append([(float(p[0]), float(p[1])) for p in poly[0]])
        elif g.get("type") == "GeometryCollection":
            for sub in g.get("geometries") or []:
                geometry(sub)

    if data.get("type") == "FeatureCollection":
        for feature in data.get("features") or []:
            geometry(feature.get("geometry") or {})
    elif data.get("type") == "Feature":
        geometry(data.get("geometry") or {})
    else:
        geometry(data)
    return rings


def basemap_candidates() -> list[Path]:
    """Where a Natural Earth land GeoJSON may be: package resources, then the project's resources/."""
    package = Path(__file__).resolve().parents[1]
    roots = [package / "resources", package.parent / "resources"]
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found += sorted(root.rglob("*land*.geojson"), key=lambda p: -p.stat().st_size)
    return found


@lru_cache(maxsize=1)
def load_land() -> tuple[Ring, ...] | None:
    """Land polygons for the maps, or None when no basemap file is installed (sea-only maps)."""
    for path in basemap_candidates():
        try:
            return tuple(rings_from_geojson(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            continue
    return None
