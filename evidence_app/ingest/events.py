"""Events produced elsewhere (encounter / rendezvous detections) from CSV or GeoJSON.

Each event has a start time, an optional end, a position and two vessel identifiers
(MMSI, IMO, or a name). Columns are found by header name (``FIELDS``) or named with
``--map FIELD=COLUMN``; GeoJSON features take their position from a Point geometry and
everything else from their properties.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais_csv import match_columns, resolve_columns
from evidence_app.ingest.identifiers import ValidationError, validate_imo
from evidence_app.ingest.parsed import Tally, clean_text, csv_header, csv_rows
from evidence_app.ingest.sources import Member, open_binary, open_text
from evidence_app.ingest.values import TimeParser, float_or_none

FIELDS: dict[str, tuple[str, ...]] = {
    # Global Fishing Watch spellings are listed with the generic ones: the transshipment
    # dataset's encounter and loitering files, the AIS-disabling (gap) dataset and the map's
    # event downloads (see docs/ship-records.md for each header).
    "start": (
        "start",
        "starttime",
        "startutc",
        "eventstart",
        "startingtimestamp",
        "gapstarttimestamp",
        "starttimestamp",
        "begin",
        "timestart",
        "time",
        "timestamp",
        "datetime",
    ),
    "end": (
        "end",
        "endtime",
        "endutc",
        "eventend",
        "endingtimestamp",
        "gapendtimestamp",
        "stop",
        "endtimestamp",
        "timeend",
        "finish",
    ),
    "lat": (
        "lat",
        "latitude",
        "meanlat",
        "meanlatitude",
        "latmean",
        "y",
        "startinglatitude",
        "gapstartlat",
        "startlat",
        "startlatitude",
    ),
    "lon": (
        "lon",
        "long",
        "longitude",
        "lng",
        "meanlon",
        "meanlongitude",
        "lonmean",
        "x",
        "startinglongitude",
        "gapstartlon",
        "startlon",
        "startlongitude",
    ),
    "vessel_a": (
        "vessela",
        "vessel1",
        "mmsi1",
        "mmsia",
        "vesselid1",
        "ssvid1",
        "fishingvesselmmsi",
        "transshipmentmmsi",
        "vesselmmsi",
        "ssvid",
        "mmsi",
        "imo1",
        "vessel",
    ),
    "vessel_b": (
        "vesselb",
        "vessel2",
        "mmsi2",
        "mmsib",
        "vesselid2",
        "ssvid2",
        "transshipmentvesselmmsi",
        "encounteredvesselmmsi",
        "encounteredssvid",
        "encounteredmmsi",
        "imo2",
        "othervessel",
    ),
    "name_a": ("vesselname", "vessel1name", "name1", "shipname"),
    "name_b": ("encounteredvesselname", "vessel2name", "name2"),
    "title": ("title", "name", "type", "eventtype", "kind", "description"),
    "id": ("id", "eventid", "gapid", "reference", "ref"),
    "end_lat": ("endinglatitude", "gapendlat", "endlat", "endlatitude"),
    "end_lon": ("endinglongitude", "gapendlon", "endlon", "endlongitude"),
    "distance_km": ("mediandistancekm", "distancekm"),
    "distance_m": ("mediandistancem", "distancem"),
    "speed_kn": ("medianspeedknots", "speedknots", "speedkn", "meanspeedknots", "gapimpliedspeedknots"),
    "duration_h": ("durationhr", "durationhours", "durationh", "totaleventhours", "gaphours"),
    "travelled_m": ("gapdistancem",),
    "port": ("portvisitname", "portname", "port"),
}
FIELDS = {k: tuple(s.lower() for s in v) for k, v in FIELDS.items()}
# A file needs a time, a position and a first vessel (by identifier or, failing that, by
# name); a second vessel makes the event an encounter, without one it is a single-vessel
# event (loitering, AIS gap, port visit).
REQUIRED = ("start", "lat", "lon", "vessel_a")
# Numeric fields kept on the incident as its metrics (kilometres become metres).
METRIC_FIELDS = ("distance_km", "distance_m", "speed_kn", "duration_h", "travelled_m", "end_lat", "end_lon")
# Header words that say a column holds MMSIs (GFW calls them ssvid): its values stay MMSIs.
_MMSI_WORDS = ("mmsi", "ssvid")
# What a GFW file's "type" column says, as a title word.
EVENT_TYPES = {
    "encounter": "Encounter",
    "loitering": "Loitering",
    "port_visit": "Port visit",
    "port": "Port visit",
    "gap": "AIS gap",
    "fishing": "Fishing",
}


@dataclass(frozen=True)
class VesselRef:
    """How an event names a vessel: by MMSI, IMO number or (failing both) name.

    ``mmsi_as_given`` holds the digits exactly as the file gave them when an MMSI is not
    nine digits long (a malformed broadcast): it stays an MMSI, flagged, never padded.
    """

    mmsi: int | None = None
    imo: int | None = None
    name: str = ""
    mmsi_as_given: str = ""

    @property
    def mmsi_malformed(self) -> bool:
        return bool(self.mmsi_as_given)

    def __str__(self) -> str:
        if self.imo:
            return f"IMO {self.imo}"
        if self.mmsi_as_given:
            return f"MMSI {self.mmsi_as_given}"
        if self.mmsi:
            return f"MMSI {self.mmsi:09d}"
        return self.name


def _mmsi_ref(digits: str) -> VesselRef | None:
    """An MMSI from a run of digits: nine is well formed, one to eight is kept as given and flagged."""
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9 or int(digits) == 0:
        return None
    return VesselRef(mmsi=int(digits), mmsi_as_given="" if len(digits) == 9 else digits)


def parse_vessel_ref(value: Any, mmsi_column: bool = False) -> VesselRef | None:
    """A vessel identifier from a cell; None when it names no vessel.

    In a column whose header says MMSI (or GFW's ssvid) a number is always an MMSI, whatever
    its length; only an explicit 'IMO 9307839' is taken as an IMO number there. In other
    columns: 'IMO 9307839' or seven digits with a valid check digit -> IMO, other digits ->
    MMSI (flagged when not nine digits), anything else -> a name.
    """
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return None
    if text.upper().startswith("IMO"):
        try:
            return VesselRef(imo=validate_imo(text))
        except ValidationError:
            return None
    if mmsi_column:
        return _mmsi_ref(text)
    if len(text) == 7 and text.isdigit():
        try:
            return VesselRef(imo=validate_imo(text))
        except ValidationError:
            return _mmsi_ref(text)
    if text.isdigit():
        return _mmsi_ref(text)
    return VesselRef(name=clean_text(text))


@dataclass
class EventRecord:
    line: int
    start: datetime
    end: datetime | None
    lat: float
    lon: float
    vessel_a: VesselRef
    vessel_b: VesselRef | None
    title: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # distance_m, speed_kn, duration_h, travelled_m, end_lat, end_lon: as the file gave them
    metrics: dict[str, float] = field(default_factory=dict)
    port: str = ""
    kind: str = "encounter"  # encounter, loitering, gap, port_visit: from a type column or the layout

    def title_text(self) -> str:
        """The incident title: the file's own title, else the event kind and its vessels."""
        label = EVENT_TYPES.get(self.title.lower().replace(" ", "_"))
        if self.title and label is None:
            return self.title
        label = label or EVENT_TYPES.get(self.kind, "Event")
        vessels = " / ".join(str(v) for v in (self.vessel_a, self.vessel_b) if v is not None)
        return f"{label} {vessels}" + (f" at {self.port}" if self.port else "")


def read_events(
    member: Member, tally: Tally, mapping: Mapping[str, str] | None = None, day_first: bool = True
) -> list[EventRecord]:
    """All events of a CSV or GeoJSON file; problems go to ``tally``."""
    with open_text(member) as text:
        first = text.read(256).lstrip()
    if member.name.lower().endswith((".geojson", ".json")) or first.startswith("{"):
        return _read_geojson(member, tally, mapping or {}, day_first)
    return _read_csv(member, tally, mapping or {}, day_first)


def _ref(values: Mapping[str, Any], key: str, name_key: str, mmsi_columns: set[str]) -> tuple[VesselRef | None, str]:
    """The vessel a row names in ``key`` (or, with no identifier, by name); '' or why it was refused."""
    raw, name = values.get(key), clean_text(str(values.get(name_key) or ""))
    if raw is None or str(raw).strip() == "":
        return (VesselRef(name=name), "") if name else (None, "")
    ref = parse_vessel_ref(raw, key in mmsi_columns)
    if ref is None:
        if key in mmsi_columns:
            return None, f"{key}: {raw!r} is not an MMSI (expected 1 to 9 digits) nor 'IMO nnnnnnn'"
        return None, f"{key}: {raw!r} is not a vessel identifier"
    if name and not ref.name:
        ref = VesselRef(mmsi=ref.mmsi, imo=ref.imo, name=name, mmsi_as_given=ref.mmsi_as_given)
    return ref, ""


def _event(
    values: Mapping[str, Any],
    line: int,
    file: str,
    tally: Tally,
    parse_time: TimeParser,
    extra: dict[str, Any],
    mmsi_columns: set[str] = frozenset(),
    pair: bool = True,
) -> EventRecord | None:
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
    a, why_a = _ref(values, "vessel_a", "name_a", mmsi_columns)
    b, why_b = _ref(values, "vessel_b", "name_b", mmsi_columns)
    if why_a or why_b:
        tally.skip(file, line, "bad_mmsi" if ("MMSI" in why_a or "MMSI" in why_b) else "missing_field", why_a or why_b)
        return None
    if a is None or (pair and b is None):
        tally.skip(
            file,
            line,
            "missing_field",
            f"{'two vessel identifiers' if pair else 'a vessel identifier'} needed, got "
            f"{values.get('vessel_a')!r}" + (f" and {values.get('vessel_b')!r}" if pair else ""),
        )
        return None
    metrics: dict[str, float] = {}
    for key in METRIC_FIELDS:
        raw = values.get(key)
        if raw is None or str(raw).strip() == "":
            continue
        number = _number(raw)
        limit = 90 if key == "end_lat" else 180 if key == "end_lon" else 1e9
        if number is None or not -limit <= number <= limit or (limit == 1e9 and number < 0):
            tally.skip(
                file,
                line,
                "bad_number",
                f"{key}: {raw!r} is not a number" + (f" in -{limit:g}..{limit:g}" if limit < 1e9 else " of at least 0"),
            )
            return None
        metrics[key] = number
    if "distance_km" in metrics:
        metrics.setdefault("distance_m", round(metrics.pop("distance_km") * 1000, 3))
    metrics.pop("distance_km", None)
    return EventRecord(
        line=line,
        start=datetime.fromtimestamp(start, UTC),
        end=datetime.fromtimestamp(end, UTC) if end is not None else None,
        lat=lat,
        lon=lon,
        vessel_a=a,
        vessel_b=b,
        title=clean_text(str(values.get("title") or "")),
        reference=str(values.get("id") or ""),
        extra=extra,
        metrics=metrics,
        port=clean_text(str(values.get("port") or "")),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    number = float_or_none(str(value).strip()) if value is not None else None
    return number if number is not None and math.isfinite(number) else None


def _is_mmsi_header(name: str) -> bool:
    norm = "".join(ch for ch in str(name).lower() if ch.isalnum())
    return any(word in norm for word in _MMSI_WORDS)


def _layout_kind(header: list[str], cols: Mapping[str, int], pair: bool) -> str:
    """What a file without a type column holds, from its layout: two vessels meet, one loiters,
    goes dark (GFW's gap_* columns) or visits a port."""
    if pair:
        return "encounter"
    if any(h.strip().lower().startswith("gap") for h in header):
        return "gap"
    return "port_visit" if "port" in cols else "loitering"


def _read_csv(member: Member, tally: Tally, mapping: Mapping[str, str], day_first: bool) -> list[EventRecord]:
    out: list[EventRecord] = []
    parse_time = TimeParser(day_first=day_first)
    with open_text(member) as text:
        reader = csv.reader(text)
        header = csv_header(reader, member.name)
        found = match_columns(header, mapping, FIELDS, member.name)
        # A vessel named only by its name column (GFW map downloads without MMSI) will do.
        required = tuple(f for f in REQUIRED if not (f == "vessel_a" and "name_a" in found))
        cols = resolve_columns(header, mapping, FIELDS, required, member.name)
        mmsi_columns = {f for f in ("vessel_a", "vessel_b") if f in cols and _is_mmsi_header(header[cols[f]])}
        pair = "vessel_b" in cols or "name_b" in cols
        kind = _layout_kind(header, cols, pair)
        used = set(cols.values())
        for row in csv_rows(reader, member.name, tally):
            values = {f: row[i] for f, i in cols.items() if i < len(row)}
            extra = {header[i]: row[i] for i in range(min(len(row), len(header))) if i not in used and row[i]}
            record = _event(values, reader.line_num, member.name, tally, parse_time, extra, mmsi_columns, pair)
            if record is not None:
                record.kind = kind
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
        by_norm = {"".join(ch for ch in str(k).lower() if ch not in " _-."): k for k in props}
        values: dict[str, Any] = {}
        source_key: dict[str, str] = {}
        for name, spellings in FIELDS.items():
            if name in mapping:
                values[name], source_key[name] = props.get(mapping[name]), mapping[name]
                continue
            for spelling in spellings:
                key = by_norm.get(spelling)
                if key is not None and props[key] not in (None, ""):
                    values[name], source_key[name] = props[key], str(key)
                    break
        mmsi_columns = {n for n in ("vessel_a", "vessel_b") if n in source_key and _is_mmsi_header(source_key[n])}
        pair = "vessel_b" in values or "name_b" in values
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                values.setdefault("lon", coords[0])
                values.setdefault("lat", coords[1])
        used = set(source_key.values())
        extra = {k: v for k, v in props.items() if k not in used and isinstance(v, str | int | float)}
        # Features are located by their position in the collection ("file:3" = third feature).
        record = _event(values, index, member.name, tally, parse_time, extra, mmsi_columns, pair)
        if record is not None:
            out.append(record)
            tally.add("event")
    return out
