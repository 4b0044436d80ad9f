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
from evidence_app.casefile.geo_export import STATUS_COLOURS
from evidence_app.casefile.records import CaseRecords, Track
from evidence_app.casefile.report_metrics import event_metric_rows
from evidence_app.casefile.staticmap import MapSpec, MapTrack, load_land, render_map

PREVIEW_WIDTH = 900


@dataclass
class Photo:
    evidence: dict[str, Any]
    png: bytes | None  # None when the image cannot be previewed
    annotations: list[dict[str, Any]]
    note: str = ""


@dataclass
class IncidentSection:
    incident: dict[str, Any]
    participants: list[dict[str, Any]]  # participant + "vessel"
    evidence: list[dict[str, Any]]  # link + "item"
    reviews: list[dict[str, Any]]
    photos: list[Photo]
    map_png: bytes
    detection: list[tuple[str, str]]


@dataclass
class ReportData:
    case: dict[str, Any]
    generated_at: str
    generator: str
    export_id: str
    caveat: str
    sections: list[IncidentSection] = field(default_factory=list)
    vessels: list[dict[str, Any]] = field(default_factory=list)  # vessel + "identities" + "designations"
    evidence: list[dict[str, Any]] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)


def grading(item: dict[str, Any]) -> str:
    return f"{item.get('reliability') or '?'}{item.get('credibility') or '?'}"


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


def render_photo(path: Path, annotations: list[dict[str, Any]], width: int = PREVIEW_WIDTH) -> tuple[bytes | None, str]:
    """A PNG preview with annotations drawn on it, or (None, why not)."""
    from PIL import Image, ImageDraw, UnidentifiedImageError

    from evidence_app.casefile.staticmap import _font

    try:
        with Image.open(path) as original:
            full_w = original.size[0]  # before draft(), which may shrink the decode
            original.draft("RGB", (width * 2, width * 2))  # JPEG: decode at reduced size
            img = original.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        return None, f"no preview: {exc.__class__.__name__}"
    scale = min(1.0, width / img.size[0])
    if scale < 1.0:
        img = img.resize((round(img.size[0] * scale), round(img.size[1] * scale)), Image.Resampling.LANCZOS)
    k = img.size[0] / full_w  # annotation pixels are in the original's coordinates
    draw = ImageDraw.Draw(img, "RGBA")
    font = _font(max(12, img.size[0] // 45))
    for n, note in enumerate(annotations, start=1):
        pts = [(float(p[0]) * k, float(p[1]) * k) for p in note.get("points") or [] if isinstance(p, list | tuple) and len(p) >= 2]
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


def build_report_data(
    records: CaseRecords,
    tracks: list[Track],
    path_for: Callable[[str], Path],
    *,
    exported_at: datetime,
    export_id: str = "",
    land: Any = None,
) -> ReportData:
    case = records.case
    land_rings = land if land is not None else load_land()
    vessels = records.by_id("vessel")
    evidence = records.by_id("evidence")
    annotations: dict[str, list[dict[str, Any]]] = {}
    for a in records.of("annotation"):
        annotations.setdefault(a["evidence_id"], []).append(a)
    data = ReportData(
        case=case,
        generated_at=exported_at.strftime("%Y-%m-%d %H:%M UTC"),
        generator=f"Evidence Review {__version__}",
        export_id=export_id,
        caveat=(case.get("caveat") or "").strip() or "NO HANDLING CAVEAT SET",
    )
    photo_cache: dict[str, Photo] = {}
    tracks_by_mmsi = {t.mmsi: t for t in tracks}
    for inc in records.of("incident"):
        parts = [{**p, "vessel": vessels.get(p["vessel_id"], {})} for p in records.of("participant") if p["incident_id"] == inc["id"]]
        links = [{**link, "item": evidence[link["evidence_id"]]} for link in records.of("link") if link["incident_id"] == inc["id"] and link["evidence_id"] in evidence]
        reviews = sorted((r for r in records.of("review") if r["incident_id"] == inc["id"]), key=lambda r: r["created_at"])
        photos = []
        for link in links:
            item = link["item"]
            if item["kind"] != "photo" and not str(item.get("media_type", "")).startswith("image/"):
                continue
            if item["id"] not in photo_cache:
                png, note = render_photo(path_for(item["sha256"]), annotations.get(item["id"], []))
                photo_cache[item["id"]] = Photo(item, png, annotations.get(item["id"], []), note)
            photos.append(photo_cache[item["id"]])
        data.sections.append(IncidentSection(
            incident=inc, participants=parts, evidence=links, reviews=reviews, photos=photos,
            map_png=_incident_map(inc, parts, links, tracks_by_mmsi, land_rings) if inc.get("lat") is not None else b"",
            detection=_detection(inc, links) + event_metric_rows(inc),
        ))
        data.status_counts[inc["status"]] = data.status_counts.get(inc["status"], 0) + 1
    for v in records.of("vessel"):
        data.vessels.append({
            **v,
            "identities": sorted((i for i in records.of("vessel_identity") if i["vessel_id"] == v["id"]), key=lambda i: i.get("first_seen") or ""),
            "designations": [d for d in records.of("designation") if d["vessel_id"] == v["id"]],
        })
    data.evidence = list(records.of("evidence"))
    return data


def _incident_map(inc: dict[str, Any], parts: list[dict[str, Any]], links: list[dict[str, Any]], tracks: dict[int, Track], land: Any) -> bytes:
    from datetime import datetime as dt

    start = dt.fromisoformat(inc["start_utc"].replace("Z", "+00:00")).timestamp()
    end = dt.fromisoformat(inc["end_utc"].replace("Z", "+00:00")).timestamp() if inc.get("end_utc") else start
    map_tracks = []
    for p in parts:
        mmsi = p["vessel"].get("mmsi")
        track = tracks.get(mmsi) if mmsi else None
        if track is None:
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
        if isinstance(fp, dict) and fp.get("type") == "Polygon" and fp.get("coordinates"):
            footprints.append([(float(x), float(y)) for x, y, *_ in fp["coordinates"][0]])
        elif item.get("lat") is not None and item["kind"] == "photo":
            points.append((item["lat"], item["lon"], item["original_name"][:30]))
    spec = MapSpec(
        lat=inc["lat"], lon=inc["lon"], radius_m=inc.get("radius_m"), colour=_hex_rgb(status_colour(inc["status"])),
        label=inc.get("title") or "Incident", tracks=map_tracks, footprints=footprints, points=points,
    )
    return render_map(spec, land=land)


def _detection(inc: dict[str, Any], links: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """How the incident was found and placed: position method and any detector parameters recorded."""
    rows: list[tuple[str, str]] = []
    if inc.get("position_method"):
        rows.append(("Position method", inc["position_method"]))
    for link in links:
        meta = link["item"].get("meta") or {}
        params = meta.get("detection") or meta.get("detection_parameters")
        if isinstance(params, dict):
            for key, value in sorted(params.items()):
                rows.append((f"{key} ({link['item']['original_name']})", str(value)))
    return rows
