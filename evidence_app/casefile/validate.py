"""The content layer of a case-file import: every record must be one the app could have written, about its own case.

``casefile.importer`` checks the container (names, links, sizes, hashes) and the types
of every field. This module checks what the records *say*, with the same domain rules
the services apply at entry (``domain.limits``, ``domain.review``, ``domain.incident``,
``domain.identifiers``, ``domain.geo``, ``domain.annotations``):

- ``check_contents`` (no database): every field of every record (clean text, finite
  numbers in plausible ranges, times 1900..2200, identifiers, vocabularies, geometry,
  JSON objects), then the rules between records (time order, evidence sizes equal to
  the bytes carried, references that resolve inside the file, review histories that
  follow the workflow, four-eyes, supporting evidence for a confirmation).
- ``check_scope`` (reads the store): a case file touches only its own case. A record
  whose id already belongs to another local case, or that points into one, is refused.

Each refusal is a ``ValidationError`` located as ``<entry>: <collection>[i] (<kind> <id>).<field>``, so the user can find the record in the file. Both run before anything is
written; the import service calls ``check_scope`` again inside its write transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.casefile import manifest as mf
from evidence_app.casefile.record_dicts import _KINDS, COLLECTION, EXTRA_FIELDS, CaseRecords, parse_time
from evidence_app.domain import limits
from evidence_app.domain.annotations import normalise_points
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.geo import validate_geometry
from evidence_app.domain.grading import CREDIBILITY, RELIABILITY
from evidence_app.domain.identifiers import validate_imo
from evidence_app.domain.incident import validate_evidence_kind, validate_indicators, validate_relation, validate_role
from evidence_app.domain.review import DECISIONS, TRANSITIONS, Status
from evidence_app.storage.models import Case, Evidence, Incident, IncidentEvidence, Participant, ReviewEvent, Vessel

Rule = Callable[[Any, str], None]
REVIEW_KINDS = ("transition", "proposal")


def where(
    record_type: str, index: int, record: dict[str, Any], field: str | None = None, *, entry: str = mf.RECORDS
) -> str:
    """``records/case.json: incidents[3] (incident 9f1c…).title``: entry, record kind and id, field."""
    rid = record.get("id") if isinstance(record, dict) else None
    text = f"{entry}: {COLLECTION[record_type]}[{index}] ({record_type.replace('_', ' ')} {rid})"
    return f"{text}.{field}" if field else text


def _located(exc: ValidationError, location: str) -> ValidationError:
    return ValidationError(exc.message, field=exc.field, location=location)


# --- one field ---------------------------------------------------------------------------------


def _number(rng: limits.Range) -> Rule:
    def rule(value: Any, field: str) -> None:
        limits.check_number(value, rng, field=field)

    return rule


def _int_range(low: int, high: int) -> Rule:
    def rule(value: Any, field: str) -> None:
        limits.check_int(value, low, high, field=field)

    return rule


def _imo(value: Any, field: str) -> None:
    limits.check_int(value, 1_000_000, 9_999_999, field=field)
    validate_imo(value, field=field)


def _mmsi(value: Any, field: str) -> None:
    # Stored as a number: a coast station's leading zeros are gone, so the range is the rule.
    limits.check_int(value, 1, 999_999_999, field=field)


def _mmsi_as_given(value: Any, field: str) -> None:
    # A malformed MMSI kept as a file gave it: digits only, never nine (nine is a proper MMSI).
    if not (
        isinstance(value, str) and value.isascii() and value.isdigit() and 1 <= len(value) <= 10 and len(value) != 9
    ):
        raise ValidationError(
            f"{field} must be the digits of a malformed MMSI (1 to 10, not 9), found {value!r}", field=field
        )


def _metrics(value: Any, field: str) -> None:
    # An imported event's figures: names and finite numbers (or short text), one level deep.
    _object(value, field)
    for key, item in value.items():
        if not isinstance(key, str) or len(key) > 60:
            raise ValidationError(f"{field} has a key {key!r}: expected a short name", field=field)
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            raise ValidationError(f"{field}.{key} must be a number or text, found {type(item).__name__}", field=field)
        if isinstance(item, float):
            limits.check_number(item, limits.Range(-1e12, 1e12, ""), field=f"{field}.{key}")


def _latitude(value: Any, field: str) -> None:
    limits.check_number(value, limits.Range(-90.0, 90.0, "°"), field=field)


def _longitude(value: Any, field: str) -> None:
    limits.check_number(value, limits.Range(-180.0, 180.0, "°"), field=field)


def _name(value: Any, field: str) -> None:
    limits.check_name(value, field=field)


def _not_empty(value: Any, field: str) -> None:
    limits.check_name(value, field=field)
    if not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field)


def _status(value: Any, field: str) -> None:
    if value not in {s.value for s in Status}:
        raise ValidationError(
            f"{field} {value!r} is not a review status: expected one of {', '.join(s.value for s in Status)}",
            field=field,
        )


def _vocabulary(check: Callable[[str], Any]) -> Rule:
    def rule(value: Any, field: str) -> None:
        try:
            check(value)
        except ValidationError as exc:
            raise ValidationError(exc.message, field=field) from None

    return rule


def _choice(allowed: Iterable[Any]) -> Rule:
    options = list(allowed)

    def rule(value: Any, field: str) -> None:
        if value not in options:
            raise ValidationError(
                f"{field} {value!r}: expected one of {', '.join(str(o) for o in options)}", field=field
            )

    return rule


def _object(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object, found {type(value).__name__}", field=field)


def _metadata(value: Any, field: str) -> None:
    """An object; a photo's ``image`` entry (what the viewer and reports read) has whole pixel sizes."""
    _object(value, field)
    image = value.get("image")
    if image is None:
        return
    if not isinstance(image, dict):
        raise ValidationError(f"{field}.image must be a JSON object, found {type(image).__name__}", field=field)
    for key in ("width", "height"):
        limits.check_int(image.get(key), 1, int(limits.PIXELS.high), field=f"{field}.image.{key}")


def _geometry(value: Any, field: str) -> None:
    validate_geometry(value, field=field)


def _indicators(value: Any, field: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{field} must be a list of indicator names", field=field)
    _vocabulary(validate_indicators)(value, field)


def _tags(value: Any, field: str) -> None:
    for name in value:
        limits.check_name(name, field=field)
        if name != " ".join(name.strip().lower().split()):
            raise ValidationError(
                f"{field}: tag {name!r} is not in the form the app writes (lower case, single spaces)", field=field
            )


# Rules beyond "clean text, finite number, JSON a store can hold", which every field gets.
FIELD_RULES: dict[str, dict[str, Rule]] = {
    "case": {"title": _not_empty, "caveat": _name},
    "vessel": {
        "imo": _imo,
        "mmsi": _mmsi,
        "name": _name,
        "flag": _name,
        "call_sign": _name,
        "vessel_type": _name,
        "length_m": _number(limits.VESSEL_LENGTH_M),
        "beam_m": _number(limits.VESSEL_BEAM_M),
        "gross_tonnage": _number(limits.TONNAGE),
        "owner": _name,
        "mmsi_as_given": _mmsi_as_given,
    },
    "vessel_identity": {"name": _name, "flag": _name, "mmsi": _mmsi, "imo": _imo, "call_sign": _name, "source": _name},
    "designation": {"authority": _not_empty, "program": _name, "reference": _name},
    "evidence": {
        "size": _int_range(0, mf.MAX_ENTRY_BYTES),
        "media_type": _name,
        "kind": _vocabulary(validate_evidence_kind),
        "original_name": _name,
        "source": _name,
        "provider": _name,
        "lat": _latitude,
        "lon": _longitude,
        "footprint": _geometry,
        "gsd_m": _number(limits.GSD_M),
        "meta": _metadata,
        "reliability": _choice(RELIABILITY),
        "credibility": _choice(CREDIBILITY),
    },
    "incident": {
        "title": _name,
        "local_time_text": _name,
        "lat": _latitude,
        "lon": _longitude,
        "radius_m": _number(limits.RADIUS_M),
        "position_method": _name,
        "reported_location": _name,
        "cargo_kind": _name,
        "cargo_quantity": _number(limits.QUANTITY),
        "cargo_unit": _name,
        "indicators": _indicators,
        "status": _status,
        "confirmation_proposed_by": _not_empty,
        "tags": _tags,
        "metrics": _metrics,
    },
    "participant": {
        "role": _vocabulary(validate_role),
        "claimed_name": _name,
        "claimed_flag": _name,
        "claimed_mmsi": _mmsi,
        "claimed_imo": _imo,
    },
    "link": {"relation": _vocabulary(validate_relation)},
    "annotation": {"length_m": _number(limits.MEASURED_LENGTH_M), "style": _object, "author": _name},
    "review": {"from_status": _status, "to_status": _status, "kind": _choice(REVIEW_KINDS), "reviewer": _not_empty},
}
# Free text that may hold line breaks (tabs and newlines allowed, other controls not).
MULTILINE = {"summary", "notes", "remarks", "assessment", "note", "rationale", "label"}


def check_record_fields(record_type: str, record: dict[str, Any], index: int) -> None:
    """Every field of one (type-checked) record against the domain rules."""
    kinds = _KINDS[record_type]
    rules = FIELD_RULES.get(record_type, {})
    for key, value in record.items():
        if value is None:
            continue
        kind = kinds[key][0] if key in kinds else EXTRA_FIELDS.get(record_type, {}).get(key, "json")
        try:
            if kind == "str":
                limits.check_text(value, field=key, multiline=key in MULTILINE)
            elif kind == "int":
                limits.check_int(value, *limits.INT64, field=key)
            elif kind == "datetime":
                limits.check_time(parse_time(value, key), field=key)
            elif kind == "json":
                limits.check_json_value(value, field=key)
            if key in rules:
                rules[key](value, key)
        except ValidationError as exc:
            raise _located(exc, where(record_type, index, record, key)) from None
    if record_type == "annotation":
        try:
            normalise_points(record["shape"], record["points"])
        except ValidationError as exc:
            raise _located(exc, where(record_type, index, record, exc.field or "points")) from None


# --- between records -----------------------------------------------------------------------------

# Columns that must name a record the file itself carries (the importer checks the required ones).
# Columns that may name a piece of evidence (or be empty).
OPTIONAL_EVIDENCE_REFERENCES = {
    "vessel_identity": "evidence_id",
    "designation": "evidence_id",
    "evidence": "derived_from_id",
}


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: str | None) -> datetime | None:
    return None if value is None else parse_time(value, "time")


def check_contents(
    records: CaseRecords, *, evidence_sizes: dict[str, int] | None = None, ais_evidence_ids: Iterable[str] = ()
) -> None:
    """Refuse the first record that breaks a rule the services enforce; pure, reads no store.

    ``evidence_sizes`` maps each evidence SHA-256 to the byte count of its file in the case
    file (already checked against the manifest); ``ais_evidence_ids`` are the evidence ids
    the AIS positions name.
    """
    check_fields(records)
    check_relations(records, evidence_sizes=evidence_sizes, ais_evidence_ids=ais_evidence_ids)


def check_fields(records: CaseRecords) -> None:
    """Every field of every record (the importer runs this before it derives entry names from them)."""
    for record_type, rows in records.records.items():
        for i, record in enumerate(rows):
            check_record_fields(record_type, record, i)


def check_relations(
    records: CaseRecords, *, evidence_sizes: dict[str, int] | None = None, ais_evidence_ids: Iterable[str] = ()
) -> None:
    """The rules between records: time order, uniqueness, evidence and its files, review histories."""
    _check_order(records)
    _check_uniques(records)
    _check_evidence(records, evidence_sizes or {}, set(ais_evidence_ids))
    _check_annotations(records)
    _check_reviews(records)


def _check_order(records: CaseRecords) -> None:
    for i, inc in enumerate(records.of("incident")):
        start, end = _time(inc["start_utc"]), _time(inc.get("end_utc"))
        if start is not None and end is not None and end < start:
            raise ValidationError(
                f"the end ({inc['end_utc']}) is before the start ({inc['start_utc']})",
                field="end_utc",
                location=where("incident", i, inc, "end_utc"),
            )
        if (inc.get("lat") is None) != (inc.get("lon") is None):
            raise ValidationError(
                "a position needs both latitude and longitude", field="lat", location=where("incident", i, inc, "lat")
            )
    for i, ident in enumerate(records.of("vessel_identity")):
        first, last = _time(ident.get("first_seen")), _time(ident.get("last_seen"))
        if first is not None and last is not None and last < first:
            raise ValidationError(
                f"last seen ({ident['last_seen']}) is before first seen ({ident['first_seen']})",
                field="last_seen",
                location=where("vessel_identity", i, ident, "last_seen"),
            )
    for i, ev in enumerate(records.of("evidence")):
        if (ev.get("lat") is None) != (ev.get("lon") is None):
            raise ValidationError(
                "a position needs both latitude and longitude", field="lat", location=where("evidence", i, ev, "lat")
            )


def _check_uniques(records: CaseRecords) -> None:
    """Pairs the store keeps unique: refused here with the record named, not as a failed INSERT."""
    keys = {
        "vessel": lambda r: r.get("imo"),
        "evidence": lambda r: r["sha256"],
        "participant": lambda r: (r["incident_id"], r["vessel_id"]),
        "link": lambda r: (r["incident_id"], r["evidence_id"]),
    }
    names = {"vessel": "imo", "evidence": "sha256", "participant": "vessel_id", "link": "evidence_id"}
    for record_type, key in keys.items():
        seen: dict[Any, str] = {}
        for i, r in enumerate(records.of(record_type)):
            k = key(r)
            if k is None:
                continue
            field = names[record_type]
            if k in seen:
                raise ValidationError(
                    f"{field} {r[field]} repeats {record_type} {seen[k]}: the store holds one such {record_type}",
                    field=field,
                    location=where(record_type, i, r, field),
                )
            seen[k] = r["id"]


def _check_evidence(records: CaseRecords, sizes: dict[str, int], ais_ids: set[str]) -> None:
    ids = {r["id"] for r in records.of("evidence")}
    for record_type, column in OPTIONAL_EVIDENCE_REFERENCES.items():
        for i, r in enumerate(records.of(record_type)):
            if r.get(column) is not None and r[column] not in ids:
                raise ValidationError(
                    f"names evidence {r[column]} that the file does not hold",
                    field=column,
                    location=where(record_type, i, r, column),
                )
    parent = {r["id"]: r.get("derived_from_id") for r in records.of("evidence")}
    for i, r in enumerate(records.of("evidence")):
        seen = {r["id"]}
        step = parent[r["id"]]
        while step is not None:
            if step in seen:
                raise ValidationError(
                    "is derived from itself (through a loop of derived copies)",
                    field="derived_from_id",
                    location=where("evidence", i, r, "derived_from_id"),
                )
            seen.add(step)
            step = parent.get(step)
        if r["sha256"] in sizes and sizes[r["sha256"]] != r["size"]:
            raise ValidationError(
                f"size {r['size']} bytes, but its file in the case file has {sizes[r['sha256']]} bytes",
                field="size",
                location=where("evidence", i, r, "size"),
            )
    for eid in sorted(ais_ids - ids):
        raise ValidationError(f"an AIS position names evidence {eid} that the file does not hold", location=mf.AIS)


def _check_annotations(records: CaseRecords) -> None:
    """Points stay near their image, as the photo viewer requires when they are drawn."""
    images = {e["id"]: (e.get("meta") or {}).get("image") for e in records.of("evidence")}
    for i, note in enumerate(records.of("annotation")):
        image = images.get(note["evidence_id"])
        if not isinstance(image, dict):
            continue
        try:
            normalise_points(note["shape"], note["points"], width=image["width"], height=image["height"])
        except ValidationError as exc:
            raise _located(exc, where("annotation", i, note, "points")) from None


def _check_reviews(records: CaseRecords) -> None:
    """Each incident's review history follows the workflow, and its status is where the history led.

    Events are replayed in time order. Histories merged from two stores may fork (two
    reviewers started the same review), so an event may start from any status the
    incident has already been in, not only the latest one.
    """
    case = records.case
    four_eyes = bool(case.get("four_eyes"))
    by_incident: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for i, ev in enumerate(records.of("review")):
        by_incident[ev["incident_id"]].append((i, ev))
    supporting: dict[str, int] = defaultdict(int)
    # A supporting link detached after the confirmation travels as a tombstone: the app allows
    # that detach, so it counts (the rule is about what the confirmation rested on).
    detached = [t["record"] for t in getattr(records, "tombstones", []) if t.get("record_type") == "link"]
    for link in [*records.of("link"), *detached]:
        if link.get("relation") == "supports":
            supporting[link["incident_id"]] += 1
    for n, inc in enumerate(records.of("incident")):
        events = sorted(
            by_incident.get(inc["id"], []), key=lambda e: (_time(e[1].get("created_at")) or EPOCH, e[1]["id"])
        )
        reached = {Status.SUSPECTED.value}
        proposers: set[str] = set()  # proposals since the last change of status
        confirmed_by_two = False
        for i, ev in events:
            loc = where("review", i, ev)
            frm, to = ev["from_status"], ev["to_status"]
            if frm not in reached:
                raise ValidationError(
                    f"starts from {frm!r}, a status this incident never had before it",
                    field="from_status",
                    location=f"{loc}.from_status",
                )
            rationale = (ev.get("rationale") or "").strip()
            if ev["kind"] == "proposal":
                # Not tied to the case's current four-eyes setting: it may have been switched off since.
                if (frm, to) != (Status.UNDER_REVIEW.value, Status.CONFIRMED.value):
                    raise ValidationError(
                        f"a proposal goes from under_review to confirmed, not {frm} to {to}",
                        field="to_status",
                        location=f"{loc}.to_status",
                    )
                if not rationale:
                    raise ValidationError(
                        "proposing a confirmation needs a rationale", field="rationale", location=f"{loc}.rationale"
                    )
                proposers.add(ev["reviewer"])
                continue
            if Status(to) not in TRANSITIONS[Status(frm)]:
                raise ValidationError(
                    f"cannot move from {frm} to {to}: the workflow does not allow it",
                    field="to_status",
                    location=f"{loc}.to_status",
                )
            if (Status(frm) in DECISIONS or Status(to) in DECISIONS) and not rationale:
                raise ValidationError(
                    f"moving {frm} → {to} needs a rationale", field="rationale", location=f"{loc}.rationale"
                )
            if to == Status.CONFIRMED.value and four_eyes:
                others = proposers - {ev["reviewer"]}
                if not others:
                    raise ValidationError(
                        "this case requires four eyes: a confirmation needs an earlier proposal by a different reviewer"
                        + (f" ({ev['reviewer']} proposed it)" if ev["reviewer"] in proposers else " (there is none)"),
                        field="reviewer",
                        location=f"{loc}.reviewer",
                    )
                confirmed_by_two = True
            proposers = set()
            reached.add(to)
        loc = where("incident", n, inc)
        status = inc["status"]
        if status not in reached:
            raise ValidationError(
                f"is {status}, but its review history never reaches {status}", field="status", location=f"{loc}.status"
            )
        if status == Status.CONFIRMED.value:
            if supporting[inc["id"]] < 1:
                raise ValidationError(
                    "is confirmed with no supporting evidence linked: confirming needs at least one",
                    field="status",
                    location=f"{loc}.status",
                )
            if four_eyes and not confirmed_by_two:
                raise ValidationError(
                    "is confirmed in a four-eyes case without a second reviewer",
                    field="status",
                    location=f"{loc}.status",
                )
        proposer = inc.get("confirmation_proposed_by")
        if proposer is not None and not (status == Status.UNDER_REVIEW.value and proposer in proposers):
            raise ValidationError(
                f"names {proposer!r} as proposer, but no open proposal of theirs is in the history",
                field="confirmation_proposed_by",
                location=f"{loc}.confirmation_proposed_by",
            )


# --- against the store --------------------------------------------------------------------------


def check_scope(session: Session, records: CaseRecords) -> None:
    """Refuse a file whose records belong to, or point into, another case of this store.

    Case-scoped records (incidents, their participants, links and review events) are
    looked up by id; one that exists here under another case is refused. Shared records
    (vessels, evidence, annotations) may be in several cases, but an id must keep its
    identity: the same evidence id with other bytes, or a vessel that would take an IMO
    another local vessel holds, is refused too.
    """
    case_id = records.case["id"]
    incidents = {r["id"]: i for i, r in enumerate(records.of("incident"))}
    for ids in _chunks(list(incidents)):
        for local_id, local_case in session.execute(select(Incident.id, Incident.case_id).where(Incident.id.in_(ids))):
            if local_case != case_id:
                i = incidents[local_id]
                raise ValidationError(
                    f"this incident belongs to another case here ({_case_label(session, local_case)}):"
                    " a case file may only touch its own case",
                    field="id",
                    location=where("incident", i, records.of("incident")[i], "id"),
                )
    for record_type, model in (("participant", Participant), ("link", IncidentEvidence), ("review", ReviewEvent)):
        rows = {r["id"]: i for i, r in enumerate(records.of(record_type))}
        for ids in _chunks(list(rows)):
            query = (
                select(model.id, model.incident_id, Incident.case_id)  # type: ignore[attr-defined]
                .join(Incident, Incident.id == model.incident_id)
                .where(model.id.in_(ids))
            )  # type: ignore[attr-defined]
            for local_id, local_incident, local_case in session.execute(query):
                i = rows[local_id]
                record = records.of(record_type)[i]
                if local_case != case_id or local_incident != record["incident_id"]:
                    raise ValidationError(
                        f"this id belongs here to a {record_type} of incident {local_incident}"
                        + (f" in another case ({_case_label(session, local_case)})" if local_case != case_id else "")
                        + ": a case file may only touch its own case",
                        field="id",
                        location=where(record_type, i, record, "id"),
                    )
    _check_tombstone_scope(session, records)
    evidence = {r["id"]: i for i, r in enumerate(records.of("evidence"))}
    for ids in _chunks(list(evidence)):
        for local_id, local_sha in session.execute(select(Evidence.id, Evidence.sha256).where(Evidence.id.in_(ids))):
            i = evidence[local_id]
            record = records.of("evidence")[i]
            if local_sha != record["sha256"]:
                raise ValidationError(
                    f"this evidence id holds a different file here (SHA-256 {local_sha}): an item's bytes never change",
                    field="sha256",
                    location=where("evidence", i, record, "sha256"),
                )
    for i, vessel in enumerate(records.of("vessel")):
        if vessel.get("imo") is None:
            continue
        holder = session.scalar(select(Vessel.id).where(Vessel.imo == vessel["imo"]))
        local = session.get(Vessel, vessel["id"])
        if holder is not None and local is not None and holder != local.id:
            raise ValidationError(
                f"IMO {vessel['imo']} belongs here to another vessel ({holder})",
                field="imo",
                location=where("vessel", i, vessel, "imo"),
            )


def _check_tombstone_scope(session: Session, records: CaseRecords) -> None:
    """A deletion the file carries may only delete a record of its own case."""
    case_id = records.case["id"]
    for i, stone in enumerate(getattr(records, "tombstones", [])):
        record_type, record_id = stone["record_type"], stone["record_id"]
        local_case: str | None = None
        if record_type == "incident":
            local_case = session.scalar(select(Incident.case_id).where(Incident.id == record_id))
        elif record_type in ("participant", "link"):
            model = Participant if record_type == "participant" else IncidentEvidence
            local_case = session.scalar(
                select(Incident.case_id).join(model, model.incident_id == Incident.id).where(model.id == record_id)
            )
        if local_case is not None and local_case != case_id:
            raise ValidationError(
                f"deletes {record_type} {record_id}, which belongs here to another case ({_case_label(session, local_case)}):"
                " a case file may only touch its own case",
                field="record_id",
                location=f"{mf.RECORDS}: tombstones[{i}].record_id",
            )


def _case_label(session: Session, case_id: str) -> str:
    case = session.get(Case, case_id)
    return f"case {case_id}" + (f" {case.title!r}" if case is not None else "")


def _chunks(ids: list[str], size: int = 900) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
