"""Vessel registries: CSV or JSON lists of vessels, and the OFAC SDN CSV (vessels only).

Each vessel becomes a ``VesselRecord``; an OFAC SDN vessel also carries a
``DesignationRecord``. The OFAC file has no header; vessels are the rows whose type
is ``vessel``, and their IMO number is in the remarks ("IMO 8630019;"). Rows that are
not taken are counted in the tally with their line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.ingest.ais_csv import parse_mapping, resolve_columns
from evidence_app.ingest.identifiers import mmsi_or_none, validate_imo
from evidence_app.ingest.records import Tally, clean_text, csv_header, csv_rows
from evidence_app.ingest.sources import Member, open_binary, open_text
from evidence_app.ingest.values import float_or_none

FIELDS: dict[str, tuple[str, ...]] = {
    "imo": ("imo", "imonumber", "imono", "lrimoshipno"),
    "mmsi": ("mmsi", "mmsinumber"),
    "name": ("name", "vesselname", "shipname"),
    "flag": ("flag", "vesselflag", "flagstate", "country"),
    "vessel_type": ("type", "vesseltype", "shiptype"),
    "length": ("length", "loa", "lengthm", "lengthoverall"),
    "beam": ("beam", "width", "beamm", "breadth"),
    "gross_tonnage": ("grosstonnage", "gt", "grt", "tonnage"),
    "owner": ("owner", "registeredowner", "vesselowner", "beneficialowner"),
    "call_sign": ("callsign", "call"),
}
# The OFAC SDN.CSV column order (the file has no header row).
OFAC_COLUMNS = ("ent_num", "name", "sdn_type", "program", "title", "call_sign", "vessel_type",
                "tonnage", "grt", "flag", "owner", "remarks")
OFAC_NULL = "-0-"
_IMO_IN_REMARKS = re.compile(r"\bIMO\s*:?\s*(\d{7})\b", re.IGNORECASE)
_MMSI_IN_REMARKS = re.compile(r"\bMMSI\s*:?\s*(\d{9})\b", re.IGNORECASE)


@dataclass
class DesignationRecord:
    authority: str
    program: str = ""
    reference: str = ""
    remarks: str = ""


@dataclass
class VesselRecord:
    line: int
    imo: int | None = None
    mmsi: int | None = None
    name: str = ""
    flag: str = ""
    vessel_type: str = ""
    length_m: float | None = None
    beam_m: float | None = None
    gross_tonnage: float | None = None
    owner: str = ""
    call_sign: str = ""
    designation: DesignationRecord | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def sniff_registry_format(member: Member) -> str:
    """'json', 'ofac-sdn' or 'csv'."""
    if member.name.lower().endswith((".json", ".geojson")):
        return "json"
    with open_text(member) as text:
        first = text.readline()
    if first.lstrip().startswith(("[", "{")):
        return "json"
    try:
        row = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return "csv"
    if len(row) == len(OFAC_COLUMNS) and row[0].strip().isdigit():
        return "ofac-sdn"
    return "csv"


def read_vessels(member: Member, tally: Tally, fmt: str = "auto",
                 mapping: Mapping[str, str] | None = None) -> list[VesselRecord]:
    """All vessel records of a registry file; problems go to ``tally``."""
    if fmt == "auto":
        fmt = sniff_registry_format(member)
    if fmt == "json":
        return _read_json(member, tally)
    if fmt == "ofac-sdn":
        return _read_ofac(member, tally)
    if fmt == "csv":
        return _read_csv(member, tally, mapping or {})
    raise UserError(f"unknown vessel registry format {fmt!r}; expected auto, csv, json or ofac-sdn")


def _record(values: Mapping[str, Any], line: int, file: str, tally: Tally) -> VesselRecord | None:
    """A record from canonical field values, or None (counted) when no valid identifier."""
    imo_text = str(values.get("imo") or "").strip()
    imo = None
    if imo_text and imo_text not in ("0", OFAC_NULL):
        try:
            imo = validate_imo(imo_text)
        except ValidationError as exc:
            tally.skip(file, line, "bad_imo", exc.message)
            return None
    mmsi_text = str(values.get("mmsi") or "").strip()
    mmsi = mmsi_or_none(mmsi_text)
    if mmsi_text and mmsi is None:
        tally.skip(file, line, "bad_mmsi", f"MMSI {mmsi_text!r}")
        return None
    if imo is None and mmsi is None:
        tally.skip(file, line, "missing_field", "a vessel needs an IMO number or an MMSI")
        return None
    return VesselRecord(
        line=line, imo=imo, mmsi=mmsi,
        name=clean_text(str(values.get("name") or "")),
        flag=clean_text(str(values.get("flag") or "")),
        vessel_type=clean_text(str(values.get("vessel_type") or "")),
        length_m=_positive(values.get("length")),
        beam_m=_positive(values.get("beam")),
        gross_tonnage=_positive(values.get("gross_tonnage")),
        owner=clean_text(str(values.get("owner") or "")),
        call_sign=clean_text(str(values.get("call_sign") or "")),
    )


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    number = float(value) if isinstance(value, int | float) else float_or_none(str(value).replace(",", ""))
    return number if number is not None and 0 < number < 1e7 else None


def _read_csv(member: Member, tally: Tally, mapping: Mapping[str, str]) -> list[VesselRecord]:
    out: list[VesselRecord] = []
    with open_text(member) as text:
        reader = csv.reader(text)
        header = csv_header(reader, member.name)
        cols = resolve_columns(header, mapping, FIELDS, (), member.name)
        if "imo" not in cols and "mmsi" not in cols:
            raise UserError(
                f"no IMO or MMSI column in the header ({', '.join(header)}); name one with --map imo=<column>",
                location=f"{member.name}:1",
            )
        for row in csv_rows(reader, member.name, tally):
            values = {f: row[i] for f, i in cols.items() if i < len(row)}
            record = _record(values, reader.line_num, member.name, tally)
            if record is not None:
                out.append(record)
                tally.add("vessel")
    return out


def _read_json(member: Member, tally: Tally) -> list[VesselRecord]:
    with open_binary(member) as raw:
        try:
            data = json.loads(raw.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(f"not valid JSON ({exc})", location=member.name) from exc
    if isinstance(data, dict):
        data = data.get("vessels", data.get("features"))
    if not isinstance(data, list):
        raise UserError('expected a JSON list of vessels, or {"vessels": [...]}', location=member.name)
    out: list[VesselRecord] = []
    for index, item in enumerate(data, start=1):
        if isinstance(item, dict) and isinstance(item.get("properties"), dict):
            item = item["properties"]  # a GeoJSON feature
        if not isinstance(item, dict):
            tally.skip(member.name, index, "bad_record", f"item {index} is not an object")
            continue
        values = {}
        normalised = {"".join(ch for ch in str(k).lower() if ch not in " _-"): v for k, v in item.items()}
        for name, spellings in FIELDS.items():
            for spelling in spellings:
                if spelling in normalised and normalised[spelling] not in (None, ""):
                    values[name] = normalised[spelling]
                    break
        # JSON items are located by their position in the list ("file:3" = third vessel).
        record = _record(values, index, member.name, tally)
        if record is not None:
            out.append(record)
            tally.add("vessel")
    return out


def _read_ofac(member: Member, tally: Tally) -> list[VesselRecord]:
    out: list[VesselRecord] = []
    with open_text(member) as text:
        reader = csv.reader(text)
        for row in csv_rows(reader, member.name, tally):
            if len(row) == 1 and row[0].strip() == "\x1a":
                continue  # the DOS end-of-file mark OFAC files end with
            if len(row) < len(OFAC_COLUMNS):
                tally.skip(member.name, reader.line_num, "short_row",
                           f"{len(row)} columns, expected {len(OFAC_COLUMNS)} (OFAC SDN layout)")
                continue
            cells = {k: ("" if v.strip() == OFAC_NULL else v.strip()) for k, v in zip(OFAC_COLUMNS, row, strict=False)}
            if cells["sdn_type"].lower() != "vessel":
                tally.skip(member.name, reader.line_num, "not_vessel", cells["sdn_type"] or "no type")
                continue
            imo_match = _IMO_IN_REMARKS.search(cells["remarks"])
            if not imo_match:
                tally.skip(member.name, reader.line_num, "bad_imo", "no 'IMO nnnnnnn' in the remarks")
                continue
            mmsi_match = _MMSI_IN_REMARKS.search(cells["remarks"])
            values = dict(cells, imo=imo_match.group(1), mmsi=mmsi_match.group(1) if mmsi_match else "",
                          gross_tonnage=cells["grt"] or cells["tonnage"])
            record = _record(values, reader.line_num, member.name, tally)
            if record is None:
                continue
            record.designation = DesignationRecord(
                authority="OFAC", program=cells["program"].strip("[] "),
                reference=f"SDN {cells['ent_num']}", remarks=cells["remarks"],
            )
            out.append(record)
            tally.add("vessel")
    return out


__all__ = ["DesignationRecord", "VesselRecord", "parse_mapping", "read_vessels", "sniff_registry_format"]
