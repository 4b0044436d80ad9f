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
from datetime import UTC, datetime
from typing import Any

from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.ingest.ais_csv import parse_mapping, resolve_columns
from evidence_app.ingest.identifiers import mmsi_or_none, validate_imo
from evidence_app.ingest.parsed import Tally, clean_text, csv_header, csv_rows
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
OFAC_COLUMNS = (
    "ent_num",
    "name",
    "sdn_type",
    "program",
    "title",
    "call_sign",
    "vessel_type",
    "tonnage",
    "grt",
    "flag",
    "owner",
    "remarks",
)
OFAC_NULL = "-0-"
_IMO_IN_REMARKS = re.compile(r"\bIMO\s*:?\s*(\d{7})\b", re.IGNORECASE)
# OFAC writes "Vessel Registration Identification IMO 8660313", and sometimes the number alone.
_REGISTRATION_IN_REMARKS = re.compile(
    r"Vessel Registration Identification\s*:?\s*(?:IMO\s*:?\s*)?(\d{7})\b", re.IGNORECASE
)
_MMSI_IN_REMARKS = re.compile(r"\bMMSI\s*:?\s*(\d{9})\b", re.IGNORECASE)


@dataclass
class DesignationRecord:
    authority: str
    program: str = ""
    reference: str = ""
    remarks: str = ""
    listed_on: datetime | None = None


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
    """'json', 'un-xml', 'ofac-sdn' or 'csv'."""
    if member.name.lower().endswith((".json", ".geojson")):
        return "json"
    if member.name.lower().endswith(".xml"):
        return "un-xml"
    with open_text(member) as text:
        first = text.readline()
    if first.lstrip().startswith(("[", "{")):
        return "json"
    if first.lstrip().startswith("<"):
        return "un-xml"
    try:
        row = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return "csv"
    if len(row) == len(OFAC_COLUMNS) and row[0].strip().isdigit():
        return "ofac-sdn"
    return "csv"


def read_vessels(
    member: Member, tally: Tally, fmt: str = "auto", mapping: Mapping[str, str] | None = None
) -> list[VesselRecord]:
    """All vessel records of a registry file; problems go to ``tally``."""
    if fmt == "auto":
        fmt = sniff_registry_format(member)
    if fmt == "json":
        return _read_json(member, tally)
    if fmt == "ofac-sdn":
        return _read_ofac(member, tally)
    if fmt == "un-xml":
        return _read_un_xml(member, tally)
    if fmt == "csv":
        return _read_csv(member, tally, mapping or {})
    raise UserError(f"unknown vessel registry format {fmt!r}; expected auto, csv, json, ofac-sdn or un-xml")


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
        line=line,
        imo=imo,
        mmsi=mmsi,
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
    """The OFAC SDN list: vessels become designated vessels; every vessel row not taken is a
    listed problem with its reason; other rows (individuals, entities, aircraft) are counted
    as "not a vessel" without flooding the problem list."""
    out: list[VesselRecord] = []
    with open_text(member) as text:
        reader = csv.reader(text)
        for row in csv_rows(reader, member.name, tally):
            if len(row) == 1 and row[0].strip() == "\x1a":
                continue  # the DOS end-of-file mark OFAC files end with
            if len(row) < len(OFAC_COLUMNS):
                tally.skip(
                    member.name,
                    reader.line_num,
                    "short_row",
                    f"{len(row)} columns, expected {len(OFAC_COLUMNS)} (OFAC SDN layout)",
                )
                continue
            cells = {k: ("" if v.strip() == OFAC_NULL else v.strip()) for k, v in zip(OFAC_COLUMNS, row, strict=False)}
            if cells["sdn_type"].lower() != "vessel":
                tally.add("not_vessel")
                continue
            line, name, remarks = reader.line_num, cells["name"], cells["remarks"]
            imo_match = _REGISTRATION_IN_REMARKS.search(remarks) or _IMO_IN_REMARKS.search(remarks)
            mmsi_match = _MMSI_IN_REMARKS.search(remarks)
            if imo_match:
                try:
                    validate_imo(imo_match.group(1))
                except ValidationError as exc:
                    tally.skip(member.name, line, "bad_imo", f"{name} (SDN {cells['ent_num']}): {exc.message}")
                    continue
            elif not mmsi_match:
                tally.skip(
                    member.name,
                    line,
                    "missing_field",
                    f"{name} (SDN {cells['ent_num']}): no IMO number or MMSI in the remarks",
                )
                continue
            values = dict(
                cells,
                imo=imo_match.group(1) if imo_match else "",
                mmsi=mmsi_match.group(1) if mmsi_match else "",
                gross_tonnage=cells["grt"] or cells["tonnage"],
            )
            record = _record(values, line, member.name, tally)
            if record is None:
                continue
            record.designation = DesignationRecord(
                authority="OFAC",
                program=cells["program"].strip("[] "),
                reference=f"SDN {cells['ent_num']}",
                remarks=remarks,
            )
            out.append(record)
            tally.add("vessel")
    return out


# --- the UN Security Council consolidated list (XML) ------------------------------------

UN_AUTHORITY = "UN Security Council"
# "AN SAN 1 (IMO: 7303803)": a vessel named with its number in an entity's text.
_NAMED_IMO = re.compile(r"([A-Z0-9][A-Z0-9 .'-]{1,60}?)\s*\(\s*IMO(?:\s+number)?\s*:?\s*(\d{7})\s*\)")
_ANY_IMO = re.compile(r"\bIMO(?:\s+number)?\s*:?\s*(\d{7})\b", re.IGNORECASE)
_COMPANY = re.compile(
    r"\b(CO|COMPANY|CORPORATION|CORP|LTD|LIMITED|INC|GROUP|BANK|TRADING|BUREAU|DEPARTMENT|"
    r"COMMITTEE|ASSOCIATION|GENERAL|OFFICE)\b\.?",
    re.IGNORECASE,
)


def _un_text(element: Any, tag: str) -> str:
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None and found.text else ""


def _read_un_xml(member: Member, tally: Tally) -> list[VesselRecord]:
    """The UN consolidated list: each vessel an entity names with an IMO number becomes a
    designated vessel (reference 'UN <REFERENCE_NUMBER>'); individuals and entities naming
    no vessel are counted as "not a vessel"; a number failing its check digit is a problem."""
    import xml.etree.ElementTree as ET

    with open_binary(member) as raw:
        data = raw.read()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # The published list declares no document type; a file that does is refused rather
        # than expanded (entity expansion is how XML files attack their readers).
        raise UserError(
            "the XML declares a DOCTYPE or entities, which the UN consolidated list never does", location=member.name
        )
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UserError(f"not valid XML ({exc})", location=member.name) from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise UserError(
            f"expected the UN consolidated list (<CONSOLIDATED_LIST>), found <{root.tag}>", location=member.name
        )
    out: list[VesselRecord] = []
    for individual in root.iter("INDIVIDUAL"):
        del individual
        tally.add("not_vessel")
    for index, entity in enumerate(root.iter("ENTITY"), start=1):
        reference = _un_text(entity, "REFERENCE_NUMBER") or _un_text(entity, "DATAID")
        name = _un_text(entity, "FIRST_NAME")
        comments = _un_text(entity, "COMMENTS1")
        texts = " ".join([name, comments] + [" ".join((a.text or "").split()) for a in entity.iter("ALIAS_NAME")])
        numbers = list(dict.fromkeys(_ANY_IMO.findall(texts)))
        if not numbers:
            tally.add("not_vessel")
            continue
        named = {imo: vessel_name.strip() for vessel_name, imo in _NAMED_IMO.findall(texts)}
        listed_on = None
        try:
            listed_on = datetime.strptime(_un_text(entity, "LISTED_ON")[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            pass
        mmsis = _MMSI_IN_REMARKS.findall(texts)
        where = f"{member.name}:ENTITY {index}"
        for number in numbers:
            try:
                imo = validate_imo(number)
            except ValidationError as exc:
                tally.skip(where, None, "bad_imo", f"{name} ({reference}): {exc.message}")
                continue
            # The entity is the vessel when it names one number and is not a company.
            vessel_name = named.get(number) or (name if len(numbers) == 1 and not _COMPANY.search(name) else "")
            out.append(
                VesselRecord(
                    line=index,
                    imo=imo,
                    mmsi=int(mmsis[0]) if len(numbers) == 1 and len(mmsis) == 1 else None,
                    name=clean_text(vessel_name),
                    designation=DesignationRecord(
                        authority=UN_AUTHORITY,
                        program=_un_text(entity, "UN_LIST_TYPE"),
                        reference=f"UN {reference}",
                        remarks=f"{name}: {comments}"[:4000],
                        listed_on=listed_on,
                    ),
                )
            )
            tally.add("vessel")
    return out


__all__ = ["DesignationRecord", "VesselRecord", "parse_mapping", "read_vessels", "sniff_registry_format"]
