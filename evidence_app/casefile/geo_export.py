"""GeoJSON and KML of a case: incidents styled by status with their time spans, tracks, photo footprints.

KML tracks are ``gx:Track`` elements with one ``when`` per position, so Google Earth's
time slider plays them; incidents carry a ``TimeSpan``. Every user string is escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from evidence_app.casefile.records import CaseRecords, Track

# Status colours shared by the map, the reports and the exports (RGB hex).
STATUS_COLOURS = {
    "suspected": "#e6a700",
    "under_review": "#e36c0a",
    "confirmed": "#c0001a",
    "rejected": "#7f7f7f",
    "inconclusive": "#2f6db5",
}


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vessel_names(records: CaseRecords) -> dict[str, list[str]]:
    vessels = records.by_id("vessel")
    out: dict[str, list[str]] = {}
    for p in records.of("participant"):
        v = vessels.get(p["vessel_id"], {})
        out.setdefault(p["incident_id"], []).append(f"{v.get('name') or 'unnamed'} ({p['role']})")
    return out


def footprints(records: CaseRecords) -> list[dict[str, Any]]:
    """Evidence items with a place: their footprint geometry, else their point."""
    out = []
    for e in records.of("evidence"):
        geometry = e.get("footprint")
        if not (isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "Point", "LineString")):
            geometry = {"type": "Point", "coordinates": [e["lon"], e["lat"]]} if e.get("lat") is not None and e.get("lon") is not None else None
        if geometry is not None:
            out.append({"evidence": e, "geometry": geometry})
    return out


def to_geojson(records: CaseRecords, tracks: list[Track]) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    names = _vessel_names(records)
    for inc in records.of("incident"):
        if inc.get("lat") is None or inc.get("lon") is None:
            continue
        features.append({
            "type": "Feature",
            "id": inc["id"],
            "geometry": {"type": "Point", "coordinates": [inc["lon"], inc["lat"]]},
            "properties": {
                "kind": "incident", "title": inc["title"], "status": inc["status"],
                "colour": STATUS_COLOURS.get(inc["status"], "#000000"),
                "start_utc": inc["start_utc"], "end_utc": inc.get("end_utc"), "radius_m": inc.get("radius_m"),
                "position_method": inc.get("position_method"), "vessels": names.get(inc["id"], []),
            },
        })
    for track in tracks:
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[lon, lat] for _, lat, lon in track.points]},
            "properties": {"kind": "track", "mmsi": track.mmsi, "name": track.name,
                           "coordTimes": [_iso(ts) for ts, _, _ in track.points]},
        })
    for fp in footprints(records):
        e = fp["evidence"]
        features.append({
            "type": "Feature", "id": e["id"], "geometry": fp["geometry"],
            "properties": {"kind": "evidence", "evidence_kind": e["kind"], "name": e["original_name"],
                           "sha256": e["sha256"], "capture_time": e.get("capture_time")},
        })
    case = records.case
    return {"type": "FeatureCollection", "name": case["title"], "caveat": case.get("caveat", ""), "features": features}


def _kml_colour(rgb: str, alpha: str = "ff") -> str:
    r, g, b = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"{alpha}{b}{g}{r}"


def _coords(points: list[list[float]]) -> str:
    return " ".join(f"{lon:.6f},{lat:.6f},0" for lon, lat in points)


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
    out.append('<Style id="footprint"><LineStyle><color>ff00a0ff</color><width>2</width></LineStyle>'
               "<PolyStyle><color>4000a0ff</color></PolyStyle></Style>")
    out.append("<Folder><name>Incidents</name>")
    for inc in records.of("incident"):
        if inc.get("lat") is None or inc.get("lon") is None:
            continue
        desc = (
            f"Status: {inc['status'].replace('_', ' ')}\nStart: {inc['start_utc']}\nEnd: {inc.get('end_utc') or '-'}\n"
            f"Position uncertainty: {inc.get('radius_m') or '?'} m\nVessels: {', '.join(names.get(inc['id'], [])) or '-'}"
        )
        span = f"<begin>{escape(inc['start_utc'])}</begin>"
        if inc.get("end_utc"):
            span += f"<end>{escape(inc['end_utc'])}</end>"
        out.append(
            f'<Placemark id="incident-{escape(inc["id"])}"><name>{escape(inc["title"] or "Incident")}</name>'
            f"<description>{escape(desc)}</description><TimeSpan>{span}</TimeSpan>"
            f"<styleUrl>#status-{escape(inc['status'])}</styleUrl>"
            f"<Point><coordinates>{inc['lon']:.6f},{inc['lat']:.6f},0</coordinates></Point></Placemark>"
        )
    out.append("</Folder><Folder><name>AIS tracks</name>")
    for track in tracks:
        whens = "".join(f"<when>{_iso(ts)}</when>" for ts, _, _ in track.points)
        coords = "".join(f"<gx:coord>{lon:.6f} {lat:.6f} 0</gx:coord>" for _, lat, lon in track.points)
        out.append(
            f"<Placemark><name>{escape(track.name)} (MMSI {track.mmsi})</name><styleUrl>#track</styleUrl>"
            f"<gx:Track>{whens}{coords}</gx:Track></Placemark>"
        )
    out.append("</Folder><Folder><name>Evidence footprints</name>")
    for fp in footprints(records):
        e, geom = fp["evidence"], fp["geometry"]
        if geom["type"] == "Polygon":
            shape = f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_coords(geom['coordinates'][0])}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        elif geom["type"] == "LineString":
            shape = f"<LineString><coordinates>{_coords(geom['coordinates'])}</coordinates></LineString>"
        else:
            shape = f"<Point><coordinates>{_coords([geom['coordinates']])}</coordinates></Point>"
        when = f"<TimeStamp><when>{escape(e['capture_time'])}</when></TimeStamp>" if e.get("capture_time") else ""
        out.append(
            f"<Placemark><name>{escape(e['original_name'])}</name><description>{escape(e['kind'])}, SHA-256 {e['sha256']}</description>"
            f"{when}<styleUrl>#footprint</styleUrl>{shape}</Placemark>"
        )
    out.append("</Folder></Document></kml>")
    return "\n".join(out).encode("utf-8")
