"""GeoJSON and KML of a case: incidents styled by status with their time spans, tracks, photo footprints.

KML tracks are ``gx:Track`` elements with one ``when`` per position, so Google Earth's
time slider plays them; incidents carry a ``TimeSpan``. GeoJSON follows RFC 7946: a
track or footprint that crosses ±180° is cut there into a MultiLineString or
MultiPolygon (the KML gets a ``gx:MultiTrack`` or ``MultiGeometry`` the same way), and
only finite numbers are written (RFC 8259 JSON has no ``Infinity``). Every user string
is escaped, control characters included, so the KML is well-formed XML whatever the
records hold.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from evidence_app.casefile.record_dicts import CaseRecords, Track
from evidence_app.domain.antimeridian import line_geometry, rfc7946_geometry, split_line, wrap_lon
from evidence_app.domain.limits import RADIUS_M, xml_text


def escape(text: Any) -> str:
    """Text for KML: control characters shown as escapes, then ``&<>`` escaped."""
    return _xml_escape(xml_text("" if text is None else str(text)))


def finite(value: Any, high: float | None = None) -> float | None:
    """A stored number if it is finite (and at most ``high``), else None: what a renderer may draw."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if high is not None and abs(value) > high:
        return None
    return float(value)


def _place(record: dict[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) of a record if it has a drawable position."""
    lat, lon = finite(record.get("lat"), 90.0), finite(record.get("lon"), 1e6)
    return None if lat is None or lon is None else (wrap_lon(lon), lat)


# Status colours shared by the map, the reports and the exports (RGB hex).
STATUS_COLOURS = {
    "suspected": "#e6a700",
    "under_review": "#e36c0a",
    "confirmed": "#c0001a",
    "rejected": "#7f7f7f",
    "inconclusive": "#2f6db5",
    "dismissed": "#b0b0b0",
}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(round(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vessel_names(records: CaseRecords) -> dict[str, list[str]]:
    vessels = records.by_id("vessel")
    out: dict[str, list[str]] = {}
    for p in records.of("participant"):
        v = vessels.get(p["vessel_id"], {})
        out.setdefault(p["incident_id"], []).append(f"{v.get('name') or 'unnamed'} ({p['role']})")
    return out


def footprints(records: CaseRecords) -> list[dict[str, Any]]:
    """Evidence items with a place: their footprint geometry (RFC 7946, cut at ±180°), else their point."""
    out = []
    for e in records.of("evidence"):
        geometry = rfc7946_geometry(e.get("footprint"))
        if geometry is None and (place := _place(e)) is not None:
            geometry = {"type": "Point", "coordinates": list(place)}
        if geometry is not None:
            out.append({"evidence": e, "geometry": geometry})
    return out


def track_parts(track: Track) -> list[list[tuple[float, float, float]]]:
    """A track's (lon, lat, time) points in parts that never cross ±180° (one part if it does not cross)."""
    points = [
        (wrap_lon(lon), lat, float(ts))
        for ts, lat, lon in track.points
        if finite(lat, 90.0) is not None and finite(lon, 1e6) is not None
    ]
    if len(points) < 2:
        return [points] if points else []
    return [[(p[0], p[1], p[2]) for p in part] for part in split_line(points)]


def to_geojson(records: CaseRecords, tracks: list[Track]) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    names = _vessel_names(records)
    for inc in records.of("incident"):
        place = _place(inc)
        if place is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": inc["id"],
                "geometry": {"type": "Point", "coordinates": list(place)},
                "properties": {
                    "kind": "incident",
                    "title": inc["title"],
                    "status": inc["status"],
                    "colour": STATUS_COLOURS.get(inc["status"], "#000000"),
                    "start_utc": inc["start_utc"],
                    "end_utc": inc.get("end_utc"),
                    "radius_m": finite(inc.get("radius_m"), RADIUS_M.high),
                    "position_method": inc.get("position_method"),
                    "vessels": names.get(inc["id"], []),
                },
            }
        )
    for track in tracks:
        parts = track_parts(track)
        geometry = (
            line_geometry([(p[0], p[1]) for part in parts for p in part])
            if len(parts) == 1
            else {"type": "MultiLineString", "coordinates": [[[p[0], p[1]] for p in part] for part in parts]}
        )
        if geometry is None:
            continue
        # coordTimes as GPX converters write them: one list, or one list per line of a MultiLineString.
        times: list[Any] = (
            [_iso(p[2]) for p in parts[0]] if len(parts) == 1 else [[_iso(p[2]) for p in part] for part in parts]
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"kind": "track", "mmsi": track.mmsi, "name": track.name, "coordTimes": times},
            }
        )
    for fp in footprints(records):
        e = fp["evidence"]
        features.append(
            {
                "type": "Feature",
                "id": e["id"],
                "geometry": fp["geometry"],
                "properties": {
                    "kind": "evidence",
                    "evidence_kind": e["kind"],
                    "name": e["original_name"],
                    "sha256": e["sha256"],
                    "capture_time": e.get("capture_time"),
                },
            }
        )
    case = records.case
    return {"type": "FeatureCollection", "name": case["title"], "caveat": case.get("caveat", ""), "features": features}


def geojson_bytes(records: CaseRecords, tracks: list[Track], *, indent: int | None = None) -> bytes:
    """The GeoJSON as UTF-8 JSON; a non-finite number anywhere is a bug, refused rather than written as Infinity."""
    return json.dumps(to_geojson(records, tracks), ensure_ascii=False, indent=indent, allow_nan=False).encode("utf-8")


def _kml_colour(rgb: str, alpha: str = "ff") -> str:
    r, g, b = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"{alpha}{b}{g}{r}"


def _coords(points: list[list[float]]) -> str:
    return " ".join(f"{lon:.6f},{lat:.6f},0" for lon, lat in points)


def _kml_geometry(geom: dict[str, Any]) -> str:
    kind, coords = geom["type"], geom["coordinates"]
    if kind == "Polygon":
        rings = [
            f"<outerBoundaryIs><LinearRing><coordinates>{_coords(coords[0])}</coordinates></LinearRing></outerBoundaryIs>"
        ]
        rings += [
            f"<innerBoundaryIs><LinearRing><coordinates>{_coords(r)}</coordinates></LinearRing></innerBoundaryIs>"
            for r in coords[1:]
        ]
        return f"<Polygon>{''.join(rings)}</Polygon>"
    if kind == "LineString":
        return f"<LineString><coordinates>{_coords(coords)}</coordinates></LineString>"
    if kind == "Point":
        return f"<Point><coordinates>{_coords([coords])}</coordinates></Point>"
    single = {"MultiPolygon": "Polygon", "MultiLineString": "LineString"}[kind]
    return (
        "<MultiGeometry>"
        + "".join(_kml_geometry({"type": single, "coordinates": c}) for c in coords)
        + "</MultiGeometry>"
    )


def _gx_track(part: list[tuple[float, float, float]]) -> str:
    whens = "".join(f"<when>{_iso(t)}</when>" for _, _, t in part)
    coords = "".join(f"<gx:coord>{lon:.6f} {lat:.6f} 0</gx:coord>" for lon, lat, _ in part)
    return f"<gx:Track>{whens}{coords}</gx:Track>"


def to_kml(records: CaseRecords, tracks: list[Track]) -> bytes:
    case = records.case
    names = _vessel_names(records)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">',
        "<Document>",
        f"<name>{escape(case['title'])}</name>",
        f"<description>{escape(case.get('caveat') or '')}</description>",
    ]
    for status, colour in STATUS_COLOURS.items():
        out.append(
            f'<Style id="status-{status}"><IconStyle><color>{_kml_colour(colour)}</color><scale>1.2</scale></IconStyle>'
            f"<LabelStyle><color>{_kml_colour(colour)}</color></LabelStyle></Style>"
        )
    out.append('<Style id="track"><LineStyle><color>ff2f6db5</color><width>2</width></LineStyle></Style>')
    out.append(
        '<Style id="footprint"><LineStyle><color>ff00a0ff</color><width>2</width></LineStyle>'
        "<PolyStyle><color>4000a0ff</color></PolyStyle></Style>"
    )
    out.append("<Folder><name>Incidents</name>")
    for inc in records.of("incident"):
        place = _place(inc)
        if place is None:
            continue
        radius = finite(inc.get("radius_m"), RADIUS_M.high)
        desc = (
            f"Status: {inc['status'].replace('_', ' ')}\nStart: {inc['start_utc']}\nEnd: {inc.get('end_utc') or '-'}\n"
            f"Position uncertainty: {f'{radius:g}' if radius is not None else '?'} m\nVessels: {', '.join(names.get(inc['id'], [])) or '-'}"
        )
        span = f"<begin>{escape(inc['start_utc'])}</begin>"
        if inc.get("end_utc"):
            span += f"<end>{escape(inc['end_utc'])}</end>"
        style = inc["status"] if inc["status"] in STATUS_COLOURS else "suspected"
        out.append(
            f'<Placemark id="incident-{escape(inc["id"])}"><name>{escape(inc["title"] or "Incident")}</name>'
            f"<description>{escape(desc)}</description><TimeSpan>{span}</TimeSpan>"
            f"<styleUrl>#status-{style}</styleUrl>"
            f"<Point><coordinates>{place[0]:.6f},{place[1]:.6f},0</coordinates></Point></Placemark>"
        )
    out.append("</Folder><Folder><name>AIS tracks</name>")
    for track in tracks:
        parts = track_parts(track)
        if not parts:
            continue
        shape = (
            _gx_track(parts[0])
            if len(parts) == 1
            else "<gx:MultiTrack>" + "".join(_gx_track(p) for p in parts) + "</gx:MultiTrack>"
        )
        out.append(
            f"<Placemark><name>{escape(track.name)} (MMSI {track.mmsi})</name><styleUrl>#track</styleUrl>{shape}</Placemark>"
        )
    out.append("</Folder><Folder><name>Evidence footprints</name>")
    for fp in footprints(records):
        e, geom = fp["evidence"], fp["geometry"]
        when = f"<TimeStamp><when>{escape(e['capture_time'])}</when></TimeStamp>" if e.get("capture_time") else ""
        out.append(
            f"<Placemark><name>{escape(e['original_name'])}</name><description>{escape(e['kind'])}, SHA-256 {escape(e['sha256'])}</description>"
            f"{when}<styleUrl>#footprint</styleUrl>{_kml_geometry(geom)}</Placemark>"
        )
    out.append("</Folder></Document></kml>")
    return "\n".join(out).encode("utf-8")
