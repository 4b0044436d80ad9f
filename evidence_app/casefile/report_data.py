"""What the HTML and PDF reports show, assembled once from a case's records: text, maps and photo previews.

Both renderers take the same ``ReportData``, so the two reports cannot disagree.
Photos are previewed with their annotations drawn on a copy; the originals are untouched.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evidence_app import __version__
from evidence_app.casefile.geo_export import STATUS_COLOURS, finite
from evidence_app.casefile.record_dicts import CaseRecords, Track
from evidence_app.casefile.report_metrics import event_metric_rows
from evidence_app.casefile.staticmap import MapSpec, MapTrack, load_land, render_map
from evidence_app.domain.limits import RADIUS_M, xml_text

PREVIEW_WIDTH = 900
ShoreDistance = Callable[[float, float], "float | None"]


@dataclass
class Photo:
    evidence: dict[str, Any]
    png: bytes | None  # None when the image cannot be previewed
    annotations: list[dict[str, Any]]
    note: str = ""


@dataclass
class IncidentSection:
    number: int  # the incident's place in the case (start time order), shared with the summary table
    incident: dict[str, Any]
    participants: list[dict[str, Any]]  # participant + "vessel"
    evidence: list[dict[str, Any]]  # link + "item"
    reviews: list[dict[str, Any]]
    photos: list[Photo]
    map_png: bytes
    detection: list[tuple[str, str]]  # detector parameters, each once
    position: list[tuple[str, str]] = field(
        default_factory=list
    )  # position, its uncertainty or the closest approach, shore distance
    map_caption: str = ""


@dataclass
class SummaryRow:
    """An incident not reviewed yet: one line of the summary table, not a page."""

    number: int
    incident: dict[str, Any]
    vessels: str
    evidence: int
    shore_m: float | None = None
    figures: str = ""  # an imported event's own figures (distance, speed, duration), one line


@dataclass
class ReportData:
    case: dict[str, Any]
    generated_at: str
    generator: str
    export_id: str
    caveat: str
    sections: list[IncidentSection] = field(default_factory=list)  # reviewed incidents, a page each
    summary: list[SummaryRow] = field(default_factory=list)  # the rest, one row each
    overview_png: bytes = b""  # every placed incident on one map
    vessels: list[dict[str, Any]] = field(
        default_factory=list
    )  # in reviewed incidents: vessel + "identities" + "designations"
    other_vessels: list[dict[str, Any]] = field(default_factory=list)  # the rest: one row each
    evidence: list[dict[str, Any]] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)  # every incident of the case

    @property
    def incident_count(self) -> int:
        return len(self.sections) + len(self.summary)


def grading(item: dict[str, Any]) -> str:
    """An Admiralty grading for a table cell: ``B2``, ``B?`` when half given, ``–`` when not graded."""
    reliability, credibility = item.get("reliability"), item.get("credibility")
    if not reliability and not credibility:
        return "–"
    return f"{reliability or '?'}{credibility or '?'}"


def grading_phrase(item: dict[str, Any]) -> str:
    """The grading in a sentence: ``graded B2`` or ``not graded``."""
    cell = grading(item)
    return "not graded" if cell == "–" else f"graded {cell}"


def fmt_time(value: str | None, missing: str = "–") -> str:
    """An ISO time from the records as a reader wants it: ``2019-03-11 14:00 UTC``."""
    if not value:
        return missing
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC" if parsed.second else "%Y-%m-%d %H:%M UTC")


def annotation_text(note: dict[str, Any]) -> str:
    """How an annotation is listed under its photo (numbered like the marks drawn on it)."""
    text = f"{note.get('shape') or 'mark'}: {note.get('label') or ''}".rstrip(": ")
    if note.get("length_m") is not None:
        text += f" ({note['length_m']:.0f} m)"
    return text


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "#000000")


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


ImageLoader = Callable[..., Any]  # (path, *, max_side) -> displayable Pillow image with info["full_size"]


@dataclass(frozen=True)
class ReportHelpers:
    """What the report needs from the layers beside this one, passed in by the services.

    ``open_image(path, max_side=)``: the app's one display stretch (``imagery.display``), so
    16-bit and multi-band scenes show in the report as in the viewer.
    ``shore_distance(lat, lon)``: metres from the coast (``analysis.shore``).
    """

    open_image: ImageLoader | None = None
    shore_distance: ShoreDistance | None = None


def _plain_open(path: Path, *, max_side: int) -> Any:
    """Without the display module: Pillow's own conversion (8-bit images only look right)."""
    from PIL import Image

    with Image.open(path) as original:
        full = original.size
        original.draft("RGB", (max_side, max_side))
        img = original.convert("RGB")
    img.info["full_size"] = full
    return img


def render_photo(
    path: Path, annotations: list[dict[str, Any]], width: int = PREVIEW_WIDTH, open_image: ImageLoader | None = None
) -> tuple[bytes | None, str]:
    """A PNG preview with annotations drawn on it, or (None, why not)."""
    from PIL import Image, ImageDraw, UnidentifiedImageError

    from evidence_app.casefile.staticmap import label_font

    try:
        shown = (open_image or _plain_open)(path, max_side=width * 2)
        full_w = shown.info.get("full_size", shown.size)[0]  # annotations are in the original's pixels
        img = shown.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, MemoryError, Image.DecompressionBombError) as exc:
        return None, f"no preview: {exc.__class__.__name__}"
    scale = min(1.0, width / img.size[0])
    if scale < 1.0:
        img = img.resize((round(img.size[0] * scale), round(img.size[1] * scale)), Image.Resampling.LANCZOS)
    k = img.size[0] / full_w  # annotation pixels are in the original's coordinates
    draw = ImageDraw.Draw(img, "RGBA")
    font = label_font(max(12, img.size[0] // 45))
    for n, note in enumerate(annotations, start=1):
        pts = [
            (float(p[0]) * k, float(p[1]) * k)
            for p in note.get("points") or []
            if isinstance(p, list | tuple) and len(p) >= 2
        ]
        if not pts:
            continue
        colour = (255, 214, 0, 255)
        shape = note.get("shape")
        if shape == "box" and len(pts) >= 2:
            (x0, y0), (x1, y1) = pts[0], pts[1]
            draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=colour, width=3)
        elif shape == "polygon" and len(pts) >= 3:
            draw.polygon(pts, outline=colour, width=3)
        elif len(pts) >= 2:
            draw.line(pts, fill=colour, width=3)
            if shape == "arrow":
                _arrow_head(draw, pts[-2], pts[-1], colour)
        tag = f"{n}"
        if note.get("length_m") is not None:
            tag += f"  {note['length_m']:.0f} m"
        x, y = pts[0]
        box = draw.textbbox((x + 4, y + 4), tag, font=font)
        draw.rectangle([box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2], fill=(0, 0, 0, 170))
        draw.text((x + 4, y + 4), tag, fill=colour, font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue(), ""


def _arrow_head(draw: Any, a: tuple[float, float], b: tuple[float, float], colour: tuple[int, ...]) -> None:
    import math

    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    size = 14
    left = (b[0] - size * math.cos(angle - 0.4), b[1] - size * math.sin(angle - 0.4))
    right = (b[0] - size * math.cos(angle + 0.4), b[1] - size * math.sin(angle + 0.4))
    draw.polygon([b, left, right], fill=colour)


def is_reviewed(incident: dict[str, Any], reviews: list[dict[str, Any]]) -> bool:
    """A reviewed incident gets a page of detail: its status moved on from suspected, or someone reviewed it."""
    return incident.get("status") != "suspected" or bool(reviews)


def build_report_data(
    records: CaseRecords,
    tracks: list[Track],
    path_for: Callable[[str], Path],
    *,
    exported_at: datetime,
    export_id: str = "",
    land: Any = None,
    helpers: ReportHelpers | None = None,
) -> ReportData:
    """Assemble the report: a page for each reviewed incident, a table row for each other one.

    Linear in the size of the case: records are grouped by incident once, maps are drawn
    only for the pages, and the summarised incidents share one overview map.
    ``helpers`` brings the image display stretch and the distance from shore from the
    layers beside this one (the services pass them; the case-file layer does not import them).
    """
    helpers = helpers or ReportHelpers()
    case = records.case
    land_rings = land if land is not None else load_land()
    vessels = records.by_id("vessel")
    evidence = records.by_id("evidence")
    annotations: dict[str, list[dict[str, Any]]] = {}
    for a in records.of("annotation"):
        annotations.setdefault(a["evidence_id"], []).append(a)
    parts_of: dict[str, list[dict[str, Any]]] = {}
    for p in records.of("participant"):
        parts_of.setdefault(p["incident_id"], []).append(p)
    links_of: dict[str, list[dict[str, Any]]] = {}
    for link in records.of("link"):
        if link["evidence_id"] in evidence:
            links_of.setdefault(link["incident_id"], []).append({**link, "item": evidence[link["evidence_id"]]})
    reviews_of: dict[str, list[dict[str, Any]]] = {}
    for r in records.of("review"):
        reviews_of.setdefault(r["incident_id"], []).append(r)
    data = ReportData(
        case=case,
        generated_at=exported_at.strftime("%Y-%m-%d %H:%M UTC"),
        generator=f"Evidence Review {__version__}",
        export_id=export_id,
        caveat=(case.get("caveat") or "").strip() or "NO HANDLING CAVEAT SET",
    )
    photo_cache: dict[str, Photo] = {}
    tracks_by_mmsi = {t.mmsi: t for t in tracks}
    detailed_vessels: set[str] = set()
    dots: list[tuple[float, float, tuple[int, int, int]]] = []
    for number, inc in enumerate(records.of("incident"), start=1):
        data.status_counts[inc["status"]] = data.status_counts.get(inc["status"], 0) + 1
        place = _place(inc)
        if place is not None:
            dots.append((place[1], place[0], _hex_rgb(status_colour(inc["status"]))))
        reviews = sorted(reviews_of.get(inc["id"], []), key=lambda r: r["created_at"])
        links = links_of.get(inc["id"], [])
        found = _detection_result(links)
        if not is_reviewed(inc, reviews):
            shore = finite((found or {}).get("metrics", {}).get("shore_distance_m"))
            names = ", ".join(_vessel_label(vessels.get(p["vessel_id"], {}), p) for p in parts_of.get(inc["id"], []))
            figures = "; ".join(f"{label} {value}" for label, value in event_metric_rows(inc))
            data.summary.append(SummaryRow(number, inc, names, len(links), shore, figures))
            continue
        parts = [{**p, "vessel": vessels.get(p["vessel_id"], {})} for p in parts_of.get(inc["id"], [])]
        detailed_vessels.update(p["vessel_id"] for p in parts)
        photos = []
        for link in links:
            item = link["item"]
            if item["kind"] != "photo" and not str(item.get("media_type", "")).startswith("image/"):
                continue
            if item["id"] not in photo_cache:
                png, note = render_photo(
                    path_for(item["sha256"]), annotations.get(item["id"], []), open_image=helpers.open_image
                )
                photo_cache[item["id"]] = Photo(item, png, annotations.get(item["id"], []), note)
            photos.append(photo_cache[item["id"]])
        position, caption = _position_rows(inc, found, helpers.shore_distance)
        data.sections.append(
            IncidentSection(
                number=number,
                incident=inc,
                participants=parts,
                evidence=links,
                reviews=reviews,
                photos=photos,
                map_png=_incident_map(inc, parts, links, tracks_by_mmsi, land_rings) if place is not None else b"",
                detection=_detection(links) + event_metric_rows(inc),
                position=position,
                map_caption=caption,
            )
        )
    if dots:
        lats, lons = [d[0] for d in dots], [d[1] for d in dots]
        data.overview_png = render_map(
            MapSpec(lat=(min(lats) + max(lats)) / 2, lon=(min(lons) + max(lons)) / 2, dots=dots, marker=False),
            land=land_rings,
        )
    identities_of: dict[str, list[dict[str, Any]]] = {}
    for i in records.of("vessel_identity"):
        identities_of.setdefault(i["vessel_id"], []).append(i)
    designations_of: dict[str, list[dict[str, Any]]] = {}
    for d in records.of("designation"):
        designations_of.setdefault(d["vessel_id"], []).append(d)
    for v in records.of("vessel"):
        row = {
            **v,
            "identities": sorted(identities_of.get(v["id"], []), key=lambda i: i.get("first_seen") or ""),
            "designations": designations_of.get(v["id"], []),
        }
        (data.vessels if v["id"] in detailed_vessels else data.other_vessels).append(row)
    data.evidence = list(records.of("evidence"))
    return data


def _vessel_label(vessel: dict[str, Any], participant: dict[str, Any]) -> str:
    """A vessel as one short name: its name, else the name it claimed, else its MMSI or IMO."""
    for name in (vessel.get("name"), participant.get("claimed_name")):
        if name:
            return str(name)
    for key, label in (("mmsi", "MMSI"), ("imo", "IMO")):
        if vessel.get(key):
            return f"{label} {vessel[key]}"
    return "unnamed"


def _place(record: dict[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) when the record has a position a map can draw."""
    lat, lon = finite(record.get("lat"), 90.0), finite(record.get("lon"), 540.0)
    return None if lat is None or lon is None else (lon, lat)


def _detection_result(links: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the detector found (kind, metrics) for an incident made from a detection, from its report's record."""
    for link in links:
        meta = link["item"].get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("detection_result"), dict):
            result = dict(meta["detection_result"])
            if not isinstance(result.get("metrics"), dict):
                result["metrics"] = {}
            return result
    return None


def metres(value: float | None) -> str:
    """A distance as a reader wants it: metres below 10 km, kilometres above."""
    if value is None:
        return "–"
    return f"{value / 1000:,.1f} km" if value >= 10_000 else f"{value:,.0f} m"


def _position_rows(
    inc: dict[str, Any], found: dict[str, Any] | None, shore_distance: ShoreDistance | None
) -> tuple[list[tuple[str, str]], str]:
    """The position, then what the circle around it means: an uncertainty, or (for an encounter) the closest approach."""
    place = _place(inc)
    caption = "Map: placed position with its uncertainty circle, AIS tracks of the participants (6 h either side) and image footprints."
    if place is None:
        return [("Position", "not placed")], caption
    lon, lat = place
    rows = [("Position", f"{lat:.5f}, {lon:.5f}")]
    kind = (found or {}).get("kind")
    metrics = (found or {}).get("metrics", {})
    if kind == "encounter":
        rows.append(
            (
                "Closest approach",
                f"{metres(finite(metrics.get('min_distance_m')))} between the vessels (AIS);"
                " the position is where they met",
            )
        )
        if finite(metrics.get("median_distance_m")) is not None:
            rows.append(("Median separation", metres(finite(metrics.get("median_distance_m")))))
        caption = (
            "Map: where the vessels met; the circle's radius is their closest approach (at least 50 m),"
            " not a position uncertainty. AIS tracks of the participants (6 h either side), image footprints."
        )
    elif kind == "loitering":
        rows.append(("Loitering radius", metres(finite(metrics.get("radius_m")))))
        caption = "Map: the loitering vessel's centre and the circle it stayed within; its AIS track (6 h either side)."
    else:
        radius = finite(inc.get("radius_m"), RADIUS_M.high)
        rows.append(("Position uncertainty", f"± {metres(radius)}" if radius is not None else "not given"))
    if inc.get("position_method"):
        rows.append(("Position method", str(inc["position_method"])))
    if found is not None:
        shore = finite(metrics.get("shore_distance_m"))
        source = "recorded by the detector"
        if shore is None and shore_distance is not None:
            shore = shore_distance(lat, lon)
            source = "from the Natural Earth 1:10m coastline"
        rows.append(
            (
                "Distance from shore",
                f"{metres(shore)} ({source})" if shore is not None else "unknown (no coastline data)",
            )
        )
    return rows, caption


def _incident_map(
    inc: dict[str, Any], parts: list[dict[str, Any]], links: list[dict[str, Any]], tracks: dict[int, Track], land: Any
) -> bytes:
    start = _epoch(inc.get("start_utc"))
    end = _epoch(inc.get("end_utc")) if inc.get("end_utc") else start
    map_tracks = []
    for p in parts:
        mmsi = p["vessel"].get("mmsi")
        track = tracks.get(mmsi) if mmsi else None
        if track is None or start is None or end is None:
            continue
        # The part of the track around the incident (6 hours either side).
        pts = [(lat, lon) for ts, lat, lon in track.points if start - 6 * 3600 <= ts <= end + 6 * 3600]
        if pts:
            map_tracks.append(MapTrack(f"{p['vessel'].get('name') or mmsi} ({p['role']})", pts))
    footprints = []
    points = []
    for link in links:
        item = link["item"]
        fp = item.get("footprint")
        ring = _footprint_ring(fp)
        if ring:
            footprints.append(ring)
        elif _place(item) is not None and item["kind"] == "photo":
            points.append((item["lat"], item["lon"], str(item["original_name"])[:30]))
    spec = MapSpec(
        lat=inc["lat"],
        lon=inc["lon"],
        radius_m=inc.get("radius_m"),
        colour=_hex_rgb(status_colour(inc["status"])),
        label=xml_text(inc.get("title") or "Incident")[:80],
        tracks=map_tracks,
        footprints=footprints,
        points=points,
    )
    return render_map(spec, land=land)


def _epoch(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _footprint_ring(fp: Any) -> list[tuple[float, float]] | None:
    """The outer ring of a stored Polygon footprint, when it is one (anything may be stored)."""
    if not (
        isinstance(fp, dict)
        and fp.get("type") == "Polygon"
        and isinstance(fp.get("coordinates"), list)
        and fp["coordinates"]
    ):
        return None
    ring = []
    for position in fp["coordinates"][0] if isinstance(fp["coordinates"][0], list) else []:
        if not isinstance(position, list | tuple) or len(position) < 2:
            return None
        lon, lat = finite(position[0]), finite(position[1], 90.0)
        if lon is None or lat is None:
            return None
        ring.append((lon, lat))
    return ring if len(ring) >= 3 else None


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in sorted(params.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _flatten(value, f"{name}.")
        else:
            out.append((name, value))
    return out


def _detection(links: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """How the incident was found and placed: position method, then each detector parameter once.

    An incident linked to several detection reports states a parameter once when they
    agree, and names the report beside each value only when they differ.
    """
    rows: list[tuple[str, str]] = []
    values: dict[str, dict[str, list[str]]] = {}
    reports: list[str] = []
    for link in links:
        meta = link["item"].get("meta") or {}
        params = meta.get("detection") or meta.get("detection_parameters") if isinstance(meta, dict) else None
        if not isinstance(params, dict):
            continue
        reports.append(str(link["item"]["original_name"]))
        for key, value in _flatten(params):
            values.setdefault(key, {}).setdefault(str(value), []).append(str(link["item"]["original_name"]))
    if reports:
        rows.append(("Detection report" + ("s" if len(reports) > 1 else ""), "; ".join(reports)))
    for key, seen in values.items():
        if len(seen) == 1:
            rows.append((key, next(iter(seen))))
        else:
            rows.append((key, "; ".join(f"{value} ({', '.join(names)})" for value, names in seen.items())))
    return rows
