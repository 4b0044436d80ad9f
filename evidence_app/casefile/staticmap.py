"""A static PNG map of one incident for the reports: land, graticule, tracks, footprints, uncertainty circle.

Drawn with Pillow at twice the size and scaled down (cheap anti-aliasing). The
projection is equirectangular with longitude scaled by cos(latitude): exact enough
for the tens of kilometres an incident map covers. Land polygons are an argument (rings
of lon/lat pairs); ``load_land()`` reads the packaged Natural Earth basemap (the one the
interactive map serves), and the map degrades to sea with a graticule if it cannot.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from evidence_app.casefile.geo_export import finite

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
    dots: list[tuple[float, float, tuple[int, int, int]]] = field(
        default_factory=list
    )  # many small (lat, lon, colour), unlabelled
    marker: bool = True  # the incident's own marker at (lat, lon); an overview of many has none


def label_font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def sane_spec(spec: MapSpec) -> MapSpec:
    """What a map may draw: finite positions on Earth and a radius within the plausible range.

    A store edited behind the app's back (or an old one) can hold an infinite or 1e308
    radius; drawn as is, the graticule loop alone would run for ever.
    """
    from evidence_app.domain.limits import RADIUS_M

    def ok(lat: float, lon: float) -> bool:
        return finite(lat, 90.0) is not None and finite(lon, 540.0) is not None

    radius = finite(spec.radius_m)
    return MapSpec(
        lat=spec.lat,
        lon=spec.lon,
        radius_m=None if radius is None or radius <= 0 else min(radius, RADIUS_M.high),
        colour=spec.colour,
        label=spec.label,
        marker=spec.marker,
        tracks=[MapTrack(t.label, [p for p in t.points if ok(*p)]) for t in spec.tracks],
        footprints=[r for r in spec.footprints if r and all(ok(lat, lon) for lon, lat in r)],
        points=[p for p in spec.points if ok(p[0], p[1])],
        dots=[d for d in spec.dots if ok(d[0], d[1])],
    )


def _extent(spec: MapSpec) -> tuple[float, float, float, float]:
    lats = [spec.lat]
    lons = [spec.lon]
    for t in spec.tracks:
        lats += [p[0] for p in t.points]
        lons += [p[1] for p in t.points]
    for ring in spec.footprints:
        lons += [p[0] for p in ring]
        lats += [p[1] for p in ring]
    lats += [p[0] for p in spec.points] + [d[0] for d in spec.dots]
    lons += [p[1] for p in spec.points] + [d[1] for d in spec.dots]
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
    south, north = max(south - pad_lat, -85.0), min(north + pad_lat, 85.0)
    west, east = west - pad_lon, east + pad_lon
    if east - west > 360.0:  # never more than the whole world across
        mid = (east + west) / 2
        west, east = mid - 180.0, mid + 180.0
    return west, south, east, north


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


Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LabelPlacer:
    """Puts each label where it overlaps no earlier label or reserved box and stays inside the frame.

    Track ends of two ships alongside each other sit a few pixels apart: their labels are
    tried at several offsets around the anchor (right, left, above, below, then further
    out) and take the first free one, so neither hides the other.
    """

    def __init__(self, width: float, height: float, pad: float) -> None:
        self.width, self.height, self.pad = width, height, pad
        self.taken: list[Box] = []

    def reserve(self, box: Box) -> None:
        self.taken.append(box)

    def fits(self, box: Box) -> bool:
        inside = box[0] >= 0 and box[1] >= 0 and box[2] <= self.width and box[3] <= self.height
        return inside and not any(_overlaps(box, other) for other in self.taken)

    def place(self, draw, anchor: tuple[float, float], text: str, font, gap: float) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
        """Top-left corner for ``text`` near ``anchor`` (its box then counts as taken), or None if none is free."""
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        w, h = right - left + 2 * self.pad, bottom - top + 2 * self.pad
        ax, ay = anchor
        candidates = []
        for step in (1, 2.5, 4.5, 7):
            g = gap * step
            candidates += [
                (ax + g, ay - h / 2 - (g - gap)),
                (ax + g, ay - h - g / 2 + gap),
                (ax + g, ay + g / 2),
                (ax - g - w, ay - h / 2),
                (ax - w / 2, ay - g - h),
                (ax - w / 2, ay + g),
                (ax - g - w, ay - h - g / 2),
                (ax - g - w, ay + g / 2),
            ]
        for x, y in candidates:
            box = (x, y, x + w, y + h)
            if self.fits(box):
                self.taken.append(box)
                return x + self.pad - left, y + self.pad - top
        return None


def _draw_label(draw, at: tuple[float, float], text: str, font, colour, pad: float) -> None:  # type: ignore[no-untyped-def]
    box = draw.textbbox(at, text, font=font)
    draw.rectangle([box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad], fill=(255, 255, 255, 215))
    draw.text(at, text, fill=colour, font=font)


def render_map(spec: MapSpec, *, land: Sequence[Ring] | None = None, size: tuple[int, int] = (900, 560)) -> bytes:
    """The incident map as PNG bytes."""
    from PIL import Image, ImageDraw

    spec = sane_spec(spec)
    if finite(spec.lat, 90.0) is None or finite(spec.lon, 540.0) is None:
        raise ValueError("the map's centre is not a position on Earth")
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
    for ring, (r_west, r_south, r_east, r_north) in _land_boxes(land):
        if r_east < west or r_west > east or r_north < south or r_south > north:
            continue
        if len(ring) >= 3:
            pts = _visible_part(ring, cx, cy, coslat * px_per_deg, px_per_deg, width, height)
            if len(pts) >= 3:
                draw.polygon(pts, fill=LAND, outline=COAST, width=2)
    font = label_font(11 * scale)
    small = label_font(10 * scale)
    pad = 3 * scale
    labels = LabelPlacer(width, height, pad)
    # The furniture is placed first, so graticule and feature labels keep clear of it.
    bar = _scale_bar_layout(draw, width, height, px_per_deg, small, scale)
    labels.reserve(bar["box"])
    labels.reserve((width - 44 * scale, 10 * scale, width - 10 * scale, 62 * scale))  # north arrow
    attribution = "Land: Natural Earth" if land else ""
    if attribution:
        box = draw.textbbox((0, 0), attribution, font=small)
        attribution_at = (width - box[2] - 10 * scale, height - box[3] - 8 * scale)
        labels.reserve((attribution_at[0] - pad, attribution_at[1] - pad, width, height))
    step = _nice_step(north - south)
    value = math.floor(south / step) * step
    while value <= north:
        y = xy(value, west)[1]
        draw.line([(0, y), (width, y)], fill=GRID + (255,), width=1 * scale)
        _grid_label(draw, labels, (6 * scale, y - 16 * scale), _fmt_deg(value, "N", "S"), small)
        value += step
    step_lon = _nice_step((east - west) * coslat)
    value = math.floor(west / step_lon) * step_lon
    while value <= east:
        x = xy(south, value)[0]
        draw.line([(x, 0), (x, height)], fill=GRID + (255,), width=1 * scale)
        text = _fmt_deg(value, "E", "W")
        tw = draw.textbbox((0, 0), text, font=small)[2]
        # Right of its line, or left of it near the east edge; a label that fits neither is left out.
        if not _grid_label(draw, labels, (x + 4 * scale, height - 20 * scale), text, small):
            _grid_label(draw, labels, (x - 4 * scale - tw, height - 20 * scale), text, small)
        value += step_lon
    for ring in spec.footprints:
        draw.polygon(
            [xy(lat, lon) for lon, lat in ring], fill=(255, 160, 0, 50), outline=(230, 130, 0, 255), width=2 * scale
        )
    pending: list[tuple[tuple[float, float], str, object, tuple[int, int, int], float]] = []
    for i, track in enumerate(spec.tracks):
        colour = TRACK_COLOURS[i % len(TRACK_COLOURS)]
        pts = [xy(lat, lon) for lat, lon in track.points]
        if len(pts) >= 2:
            draw.line(pts, fill=colour + (255,), width=3 * scale, joint="curve")
        for px, py in pts[:: max(1, len(pts) // 12)]:
            draw.ellipse([px - 3 * scale, py - 3 * scale, px + 3 * scale, py + 3 * scale], fill=colour + (255,))
        if pts:
            ex, ey = pts[-1]
            draw.ellipse(
                [ex - 6 * scale, ey - 6 * scale, ex + 6 * scale, ey + 6 * scale],
                fill=colour + (255,),
                outline=(255, 255, 255, 255),
                width=2 * scale,
            )
            labels.reserve((ex - 7 * scale, ey - 7 * scale, ex + 7 * scale, ey + 7 * scale))
            pending.append(((ex, ey), track.label, font, colour, 10 * scale))
    dot = 3 * scale if len(spec.dots) > 2000 else 5 * scale
    for lat, lon, colour in spec.dots:
        dx, dy = xy(lat, lon)
        draw.ellipse([dx - dot, dy - dot, dx + dot, dy + dot], fill=colour + (200,), outline=(255, 255, 255, 160))
    for lat, lon, text in spec.points:
        px, py = xy(lat, lon)
        draw.rectangle(
            [px - 5 * scale, py - 5 * scale, px + 5 * scale, py + 5 * scale],
            fill=(230, 130, 0, 255),
            outline=(255, 255, 255, 255),
        )
        labels.reserve((px - 6 * scale, py - 6 * scale, px + 6 * scale, py + 6 * scale))
        if text:
            pending.append(((px, py), text, small, (150, 80, 0), 9 * scale))
    px, py = xy(spec.lat, spec.lon)
    if spec.radius_m:
        r = spec.radius_m / 111_320 * px_per_deg
        draw.ellipse(
            [px - r, py - r, px + r, py + r], fill=spec.colour + (40,), outline=spec.colour + (220,), width=2 * scale
        )
    m = 9 * scale
    if spec.marker:
        draw.polygon(
            [(px, py - m), (px + m, py), (px, py + m), (px - m, py)],
            fill=spec.colour + (255,),
            outline=(255, 255, 255, 255),
        )
        labels.reserve((px - m, py - m, px + m, py + m))
    if spec.label and spec.marker:
        # The incident's own label first: it matters most, so it gets the best place.
        pending.insert(0, ((px, py), spec.label, font, spec.colour, 13 * scale))
    for anchor, text, pending_font, colour, gap in pending:
        at = labels.place(draw, anchor, text, pending_font, gap)
        if at is not None:
            _draw_label(draw, at, text, pending_font, colour, pad)
    _draw_scale_bar(draw, bar, small, scale)
    _north_arrow(draw, width, scale, small)
    if attribution:
        draw.text(attribution_at, attribution, fill=INK, font=small)
    draw.rectangle([0, 0, width - 1, height - 1], outline=INK, width=2 * scale)
    # A 2x2 box average is as good as Lanczos for an exact halving, and several times faster.
    out = (
        img.reduce(scale)
        if img.size == (size[0] * scale, size[1] * scale)
        else img.resize(size, Image.Resampling.LANCZOS)
    )
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def _visible_part(
    ring: Ring, cx: float, cy: float, kx: float, ky: float, width: int, height: int
) -> list[tuple[float, float]]:
    """The ring in pixels, with runs of vertices beyond one side of the frame cut to their two ends.

    A segment between two points beyond the same side stays beyond it, so what is drawn
    inside the frame is unchanged; a continent's coast of thousands of vertices shrinks to
    the few near the map, which is what makes a report of many maps quick.
    """
    import numpy as np

    a = np.asarray(ring, dtype=np.float64)
    x = width / 2 + (a[:, 0] - cx) * kx
    y = height / 2 - (a[:, 1] - cy) * ky
    margin = 8.0
    code = np.zeros(len(a), dtype=np.int8)
    code[y > height + margin] = 4
    code[y < -margin] = 3
    code[x > width + margin] = 2
    code[x < -margin] = 1
    keep = code == 0
    keep[1:] |= code[1:] != code[:-1]
    keep[:-1] |= code[:-1] != code[1:]
    keep[0] = keep[-1] = True
    return list(zip(x[keep].tolist(), y[keep].tolist(), strict=True))


_BOXES: dict[int, tuple[Sequence[Ring], list[tuple[Ring, tuple[float, float, float, float]]]]] = {}


def _land_boxes(land: Sequence[Ring] | None) -> list[tuple[Ring, tuple[float, float, float, float]]]:
    """Each land ring with its (west, south, east, north), computed once per land set (a report draws many maps)."""
    if not land:
        return []
    cached = _BOXES.get(id(land))
    if cached is not None and cached[0] is land:
        return cached[1]
    boxes = []
    for ring in land:
        if ring:
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            boxes.append((ring, (min(lons), min(lats), max(lons), max(lats))))
    _BOXES.clear()
    _BOXES[id(land)] = (land, boxes)
    return boxes


def _grid_label(draw, labels: LabelPlacer, at: tuple[float, float], text: str, font) -> bool:  # type: ignore[no-untyped-def]
    """Draw a graticule label at ``at`` if it is wholly inside the frame and clear of everything placed."""
    box = draw.textbbox(at, text, font=font)
    if not labels.fits(box):
        return False
    labels.reserve(box)
    draw.text(at, text, fill=INK, font=font)
    return True


def _scale_bar_layout(draw, width, height, px_per_deg, font, scale) -> dict:  # type: ignore[no-untyped-def]
    metres_per_px = 111_320 / px_per_deg
    target = width * 0.22 * metres_per_px
    nice = 1000.0
    for candidate in (500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000):
        if candidate <= target:
            nice = candidate
    length = nice / metres_per_px
    km = nice / 1000
    text = f"{km:g} km ({km / 1.852:.1f} nm)"
    text_w = draw.textbbox((0, 0), text, font=font)[2]
    x0, y0 = 20 * scale, height - 40 * scale
    box = (x0 - 6 * scale, y0 - 22 * scale, x0 + max(length, text_w) + 12 * scale, y0 + 10 * scale)
    return {"x0": x0, "y0": y0, "length": length, "text": text, "box": box}


def _draw_scale_bar(draw, bar: dict, font, scale) -> None:  # type: ignore[no-untyped-def]
    x0, y0, length = bar["x0"], bar["y0"], bar["length"]
    draw.rectangle(bar["box"], fill=(255, 255, 255, 200))
    draw.line([(x0, y0), (x0 + length, y0)], fill=INK, width=3 * scale)
    for x in (x0, x0 + length):
        draw.line([(x, y0 - 6 * scale), (x, y0 + 6 * scale)], fill=INK, width=2 * scale)
    draw.text((x0, y0 - 20 * scale), bar["text"], fill=INK, font=font)


def _north_arrow(draw, width, scale, font) -> None:  # type: ignore[no-untyped-def]
    x, y = width - 30 * scale, 20 * scale
    draw.polygon(
        [(x, y), (x + 9 * scale, y + 26 * scale), (x, y + 19 * scale), (x - 9 * scale, y + 26 * scale)], fill=INK
    )
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


@lru_cache(maxsize=1)
def load_land() -> tuple[Ring, ...] | None:
    """Land polygons for the maps: the packaged Natural Earth basemap the interactive map uses too.

    None when the basemap cannot be read (a broken install): the maps then show sea with a
    graticule rather than failing the report.
    """
    from evidence_app import resources

    try:
        return tuple(rings_from_geojson(json.loads(resources.land_geojson())))
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None
