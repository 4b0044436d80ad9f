"""Events produced elsewhere (encounter / rendezvous detections) from CSV or GeoJSON.

Each event has a start time, an optional end, a position and two vessel identifiers
(MMSI, IMO, or a name). Columns are found by header name (``FIELDS``) or named with
``--map FIELD=COLUMN``; GeoJSON features take their position from a Point geometry and
everything else from their properties.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais_csv import resolve_columns
from evidence_app.ingest.identifiers import ValidationError, mmsi_or_none, validate_imo
from evidence_app.ingest.records import Tally, clean_text, csv_header, csv_rows
from evidence_app.ingest.sources import Member, open_binary, open_text
from evidence_app.ingest.values import TimeParser, float_or_none

FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "starttime", "startutc", "start_time", "begin", "starttimestamp", "timestart",
              "time", "timestamp", "datetime"),
    "end": ("end", "endtime", "endutc", "stop", "endtimestamp", "timeend", "finish"),
    "lat": ("lat", "latitude", "meanlat", "meanlatitude", "y"),
    "lon": ("lon", "long", "longitude", "lng", "meanlon", "meanlongitude", "x"),
    "vessel_a": ("vessela", "vessel1", "mmsi1", "mmsia", "vesselid1", "ssvid1", "ssvid", "mmsi", "imo1",
                 "vessel", "vesselmmsi", "vessela"),
    "vessel_b": ("vesselb", "vessel2", "mmsi2", "mmsib", "vesselid2", "ssvid2", "encounteredssvid",
                 "encounteredmmsi", "imo2", "othervessel", "vesselb"),
    "title": ("title", "name", "type", "eventtype", "kind", "description"),
    "id": ("id", "eventid", "reference", "ref"),
}
FIELDS = {k: tuple(s.lower() for s in v) for k, v in FIELDS.items()}
REQUIRED = ("start", "lat", "lon", "vessel_a", "vessel_b")


@dataclass(frozen=True)
class VesselRef:
    """How an event names a vessel: by MMSI, IMO number or (failing both) name."""

    mmsi: int | None = None
    imo: int | None = None
    name: str = ""

    def __str__(self) -> str:
        if self.imo:
            return f"IMO {self.imo}"
        if self.mmsi:
            return f"MMSI {self.mmsi:09d}"
        return self.name


def parse_vessel_ref(value: Any) -> VesselRef | None:
    """'636021061' -> MMSI, 'IMO 9307839' or '9307839' -> IMO, anything else -> a name."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return None
    if text.upper().startswith("IMO") or (len(text) == 7 and text.isdigit()):
        try:
            return VesselRef(imo=validate_imo(text))
        except ValidationError:
            return None if text.upper().startswith("IMO") else VesselRef(name=text)
    if text.isdigit():
        mmsi = mmsi_or_none(text)
        return VesselRef(mmsi=mmsi) if mmsi else None
    return VesselRef(name=clean_text(text))


@dataclass
class EventRecord:
    line: int
    start: datetime
    end: datetime | None
    lat: float
    lon: float
    vessel_a: VesselRef
    vessel_b: VesselRef
    title: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def read_events(member: Member, tally: Tally, mapping: Mapping[str, str] | None = None,
                day_first: bool = True) -> list[EventRecord]:
    """All events of a CSV or GeoJSON file; problems go to ``tally``."""
    with open_text(member) as text:
        first = text.read(256).lstrip()
    if member.name.lower().endswith((".geojson", ".json")) or first.startswith("{"):
        return _read_geojson(member, tally, mapping or {}, day_first)
    return _read_csv(member, tally, mapping or {}, day_first)


def _event(values: Mapping[str, Any], line: int, file: str, tally: Tally, parse_time: TimeParser,
           extra: dict[str, Any]) -> EventRecord | None:
    try:
        start = parse_time(str(values.get("start") or ""))
    except ValueError as exc:
        tally.skip(file, line, "bad_time", f"start: {exc}")
        return None
    end = None
    end_text = str(values.get("end") or "").strip()
    if end_text:
        try:
            end = parse_time(end_text)
        except ValueError as exc:
            tally.skip(file, line, "bad_time", f"end: {exc}")
            return None
        if end < start:
            tally.skip(file, line, "bad_time", "end is before start")
            return None
    lat, lon = _number(values.get("lat")), _number(values.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        tally.skip(file, line, "bad_position", f"lat {values.get('lat')!r} lon {values.get('lon')!r}")
        return None
    a, b = parse_vessel_ref(values.get("vessel_a")), parse_vessel_ref(values.get("vessel_b"))
    if a is None or b is None:
        tally.skip(file, line, "missing_field",
                   f"two vessel identifiers needed, got {values.get('vessel_a')!r} and {values.get('vessel_b')!r}")
        return None
    return EventRecord(
        line=line,
        start=datetime.fromtimestamp(start, UTC),
        end=datetime.fromtimestamp(end, UTC) if end is not None else None,
        lat=lat, lon=lon, vessel_a=a, vessel_b=b,
        title=clean_text(str(values.get("title") or "")), reference=str(values.get("id") or ""),
        extra=extra,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None
    return float_or_none(str(value).strip()) if value is not None else None


def _read_csv(member: Member, tally: Tally, mapping: Mapping[str, str], day_first: bool) -> list[EventRecord]:
    out: list[EventRecord] = []
    parse_time = TimeParser(day_first=day_first)
    with open_text(member) as text:
        reader = csv.reader(text)
        header = csv_header(reader, member.name)
        cols = resolve_columns(header, mapping, FIELDS, REQUIRED, member.name)
        used = set(cols.values())
        for row in csv_rows(reader, member.name, tally):
            values = {f: row[i] for f, i in cols.items() if i < len(row)}
            extra = {header[i]: row[i] for i in range(min(len(row), len(header))) if i not in used and row[i]}
            record = _event(values, reader.line_num, member.name, tally, parse_time, extra)
            if record is not None:
                out.append(record)
                tally.add("event")
    return out


def _read_geojson(member: Member, tally: Tally, mapping: Mapping[str, str], day_first: bool) -> list[EventRecord]:
    with open_binary(member) as raw:
        try:
            data = json.loads(raw.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(f"not valid JSON ({exc})", location=member.name) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise UserError("expected a GeoJSON FeatureCollection", location=member.name)
    parse_time = TimeParser(day_first=day_first)
    out: list[EventRecord] = []
    for index, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = {} if props is None and isinstance(feature, dict) else props
        if not isinstance(props, dict):
            tally.skip(member.name, index, "bad_record", f"feature {index} is not a GeoJSON feature")
            continue
        normalised = {"".join(ch for ch in str(k).lower() if ch not in " _-."): v for k, v in props.items()}
        values: dict[str, Any] = {}
        for name, spellings in FIELDS.items():
            if name in mapping:
                values[name] = props.get(mapping[name])
                continue
            for spelling in spellings:
                if normalised.get(spelling) not in (None, ""):
                    values[name] = normalised[spelling]
                    break
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                values.setdefault("lon", coords[0])
                values.setdefault("lat", coords[1])
        used = {v for v in values.values() if isinstance(v, str)}
        extra = {k: v for k, v in props.items() if v not in used and isinstance(v, str | int | float)}
        # Features are located by their position in the collection ("file:3" = third feature).
        record = _event(values, index, member.name, tally, parse_time, extra)
        if record is not None:
            out.append(record)
            tally.add("event")
    return out
