"""A case's records as plain JSON-friendly dicts: collecting them, content hashes, and checking incoming ones.

One serializer serves the export, the report and the merge, so the content hash of a
record is the same in every store that holds the same content (the merge depends on it).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Float, Integer, SmallInteger, String, Text, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.limits import check_time

# This store's id (created on first need): case files name the store they came from.
from evidence_app.storage.checkpoints import STORE_ID_KEY, store_id  # noqa: E402,F401
from evidence_app.storage.models import (
    AisPosition,
    Annotation,
    AuditEntry,
    Base,
    Case,
    Designation,
    Evidence,
    EvidenceTag,
    ImportedAuditEntry,
    Incident,
    IncidentEvidence,
    IncidentTag,
    Participant,
    ReviewEvent,
    SyncState,
    Tag,
    Tombstone,
    UTCDateTime,
    Vessel,
    VesselIdentity,
)
from evidence_app.storage.queries import incident_tag_names

# Record types in the order a merge must apply them (parents before children).
RECORD_TYPES: dict[str, type[Base]] = {
    "case": Case,
    "vessel": Vessel,
    "vessel_identity": VesselIdentity,
    "designation": Designation,
    "evidence": Evidence,
    "incident": Incident,
    "participant": Participant,
    "link": IncidentEvidence,
    "annotation": Annotation,
    "review": ReviewEvent,
}
# The JSON key holding each type's list in records/case.json.
COLLECTION = {
    "case": "cases",
    "vessel": "vessels",
    "vessel_identity": "vessel_identities",
    "designation": "designations",
    "evidence": "evidence",
    "incident": "incidents",
    "participant": "participants",
    "link": "links",
    "annotation": "annotations",
    "review": "reviews",
}


def _references() -> dict[str, dict[str, str]]:
    """For each record type, the columns that point at other records and the type they point at.

    Read from the models' foreign keys, so a column added later is covered without a list
    to keep in step (a merge that misses one fails on a foreign key, as issue 10 found).
    """
    by_table = {model.__tablename__: name for name, model in RECORD_TYPES.items()}
    out: dict[str, dict[str, str]] = {}
    for name, model in RECORD_TYPES.items():
        for attr in inspect(model).column_attrs:
            for fk in attr.columns[0].foreign_keys:
                target = by_table.get(fk.column.table.name)
                if target is not None:
                    out.setdefault(name, {})[attr.key] = target
    return out


def _parents_first(references: dict[str, dict[str, str]]) -> list[str]:
    """Record types ordered so every type comes after the types it points at (self-references aside)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise RuntimeError(f"record types reference each other in a cycle through {name}")
        visiting.add(name)
        for target in references.get(name, {}).values():
            if target != name:
                visit(target)
        visiting.discard(name)
        order.append(name)

    for name in RECORD_TYPES:
        visit(name)
    return order


# Every reference between records (column -> record type), and the order a merge inserts in.
REFERENCES: dict[str, dict[str, str]] = _references()
MERGE_ORDER: list[str] = _parents_first(REFERENCES)

# Bookkeeping that differs between stores holding the same content: not hashed, not merged.
NOT_CONTENT = frozenset({"updated_at", "version", "evidence_count"})
# Records whose deletion travels in case files as a tombstone (records/case.json "tombstones").
DELETABLE = ("participant", "link", "annotation", "incident")
TOMBSTONES = "tombstones"
# Records that never change once written: merged by adding what is missing.
APPEND_ONLY = frozenset({"review"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


# Evidence metadata that describes the exporting machine, not the evidence: stores written
# before it stopped being recorded still hold it, and it never leaves the store.
LOCAL_ONLY_META = frozenset({"original_path"})


@cache
def _column_keys(model: type[Base]) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(model).column_attrs)


def to_dict(obj: Base) -> dict[str, Any]:
    """Every column of a record, JSON-friendly, keyed by attribute name (local-only metadata left out)."""
    data = {key: _plain(getattr(obj, key)) for key in _column_keys(type(obj))}
    meta = data.get("meta")
    if isinstance(obj, Evidence) and isinstance(meta, dict) and LOCAL_ONLY_META & meta.keys():
        data["meta"] = {k: v for k, v in meta.items() if k not in LOCAL_ONLY_META}
    return data


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(record: dict[str, Any]) -> str:
    """SHA-256 of a record's content: every field but bookkeeping, canonical JSON."""
    content = {k: v for k, v in record.items() if k not in NOT_CONTENT}
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def differing_fields(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = (set(a) | set(b)) - NOT_CONTENT
    return sorted(k for k in keys if a.get(k) != b.get(k))


@dataclass
class CaseRecords:
    """Everything a case file carries about a case, but files and bulk rows."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in RECORD_TYPES})
    tombstones: list[dict[str, Any]] = field(default_factory=list)

    @property
    def case(self) -> dict[str, Any]:
        return self.records["case"][0]

    def of(self, record_type: str) -> list[dict[str, Any]]:
        return self.records[record_type]

    def by_id(self, record_type: str) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.records[record_type]}

    def to_json(self) -> dict[str, Any]:
        return {**{COLLECTION[t]: rows for t, rows in self.records.items()}, TOMBSTONES: self.tombstones}

    def hashes(self) -> dict[str, str]:
        """``{"type:id": content hash}`` for every record."""
        return {f"{t}:{r['id']}": content_hash(r) for t, rows in self.records.items() for r in rows}


def merge_order(records: CaseRecords) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every record, each after the records it points at, whatever order the file lists them in.

    Types follow ``MERGE_ORDER``; within a type that points at itself (a derived evidence item
    and its original), originals come first. A self-reference cycle cannot be inserted and is
    refused, naming a record on it.
    """
    for record_type in MERGE_ORDER:
        rows = records.of(record_type)
        own = [c for c, target in REFERENCES.get(record_type, {}).items() if target == record_type]
        if not own:
            yield from ((record_type, r) for r in rows)
            continue
        by_id = {r["id"]: r for r in rows}
        done: set[str] = set()
        for row in rows:
            chain: list[dict[str, Any]] = []
            on_chain: set[str] = set()
            current: dict[str, Any] | None = row
            while current is not None and current["id"] not in done:
                if current["id"] in on_chain:
                    raise ValidationError(
                        f"{record_type} {current['id']} is, through {', '.join(own)}, derived from itself",
                        location=f"records/case.json: {COLLECTION[record_type]}",
                    )
                on_chain.add(current["id"])
                chain.append(current)
                parents = [current[c] for c in own if current.get(c) is not None]
                current = by_id.get(parents[0]) if parents else None
            for item in reversed(chain):
                done.add(item["id"])
                yield record_type, item


def incident_dict(session: Session, incident: Incident) -> dict[str, Any]:
    data = to_dict(incident)
    data["tags"] = incident_tag_names(session, incident.id)
    return data


def evidence_dict(session: Session, item: Evidence) -> dict[str, Any]:
    """An evidence item's columns, and its tags when it has any (so untagged items hash as they always did)."""
    data = to_dict(item)
    names = sorted(
        session.scalars(
            select(Tag.name).join(EvidenceTag, EvidenceTag.tag_id == Tag.id).where(EvidenceTag.evidence_id == item.id)
        )
    )
    if names:
        data["tags"] = names
    return data


def record_dict(session: Session, record_type: str, obj: Base) -> dict[str, Any]:
    """A record as case files carry it: its columns, and the tags of incidents and evidence."""
    if record_type == "incident":
        return incident_dict(session, obj)  # type: ignore[arg-type]
    if record_type == "evidence":
        return evidence_dict(session, obj)  # type: ignore[arg-type]
    return to_dict(obj)


def _chunks(ids: list[str], size: int = 900) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def collect_case(session: Session, case_id: str, *, only_confirmed: bool = False) -> CaseRecords:
    """The case's records: its incidents (all, or only confirmed ones) and what they reference."""
    out = CaseRecords()
    case = session.get(Case, case_id)
    if case is None:
        raise ValidationError(f"no case with id {case_id!r}", field="case")
    out.records["case"].append(to_dict(case))
    query = select(Incident).where(Incident.case_id == case.id).order_by(Incident.start_utc, Incident.id)
    if only_confirmed:
        query = query.where(Incident.status == "confirmed")
    incidents = list(session.scalars(query))
    incident_ids = [i.id for i in incidents]
    # Tags in one query per chunk, not one per incident (10,000 incidents: 10,000 queries saved).
    tags: dict[str, list[str]] = {}
    for chunk in _chunks(incident_ids):
        for incident_id, name in session.execute(
            select(IncidentTag.incident_id, Tag.name)
            .join(Tag, IncidentTag.tag_id == Tag.id)
            .where(IncidentTag.incident_id.in_(chunk))
        ):
            tags.setdefault(incident_id, []).append(name)
    out.records["incident"] = [{**to_dict(i), "tags": sorted(tags.get(i.id, []))} for i in incidents]
    participants: list[Participant] = []
    links: list[IncidentEvidence] = []
    reviews: list[ReviewEvent] = []
    for chunk in _chunks(incident_ids):
        participants += session.scalars(
            select(Participant).where(Participant.incident_id.in_(chunk)).order_by(Participant.id)
        )
        links += session.scalars(
            select(IncidentEvidence).where(IncidentEvidence.incident_id.in_(chunk)).order_by(IncidentEvidence.id)
        )
        reviews += session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.incident_id.in_(chunk))
            .order_by(ReviewEvent.created_at, ReviewEvent.id)
        )
    out.records["participant"] = [to_dict(p) for p in participants]
    out.records["link"] = [to_dict(link) for link in links]
    out.records["review"] = [to_dict(r) for r in reviews]

    vessel_ids = sorted({p.vessel_id for p in participants})
    vessels: list[Vessel] = []
    for chunk in _chunks(vessel_ids):
        vessels += session.scalars(select(Vessel).where(Vessel.id.in_(chunk)))
    vessels.sort(key=lambda v: (v.name, v.id))
    out.records["vessel"] = [to_dict(v) for v in vessels]
    identities: list[VesselIdentity] = []
    designations: list[Designation] = []
    for chunk in _chunks(vessel_ids):
        identities += session.scalars(
            select(VesselIdentity).where(VesselIdentity.vessel_id.in_(chunk)).order_by(VesselIdentity.id)
        )
        designations += session.scalars(
            select(Designation).where(Designation.vessel_id.in_(chunk)).order_by(Designation.id)
        )
    # Evidence: what incidents link to, what vessel records cite, and the originals of derived items.
    evidence_ids = {link.evidence_id for link in links}
    evidence_ids |= {i.evidence_id for i in identities if i.evidence_id} | {
        d.evidence_id for d in designations if d.evidence_id
    }
    evidence: dict[str, Evidence] = {}
    pending = set(evidence_ids)
    while pending:
        batch = sorted(pending - set(evidence))
        pending = set()
        for chunk in _chunks(batch):
            for item in session.scalars(select(Evidence).where(Evidence.id.in_(chunk))):
                evidence[item.id] = item
                if item.derived_from_id and item.derived_from_id not in evidence:
                    pending.add(item.derived_from_id)
    ordered = sorted(evidence.values(), key=lambda e: (e.derived_from_id is not None, e.created_at, e.id))
    out.records["evidence"] = [evidence_dict(session, e) for e in ordered]
    out.records["vessel_identity"] = [to_dict(i) for i in identities]
    out.records["designation"] = [to_dict(d) for d in designations]
    annotations: list[Annotation] = []
    for chunk in _chunks([e.id for e in ordered]):
        annotations += session.scalars(
            select(Annotation).where(Annotation.evidence_id.in_(chunk)).order_by(Annotation.created_at, Annotation.id)
        )
    out.records["annotation"] = [to_dict(a) for a in annotations]
    out.tombstones = case_tombstones(
        session, case.id, set(incident_ids), set(evidence), with_incidents=not only_confirmed
    )
    return out


# --- deletions ------------------------------------------------------------------------------


def bury(session: Session, record_type: str, obj: Base, actor: str) -> None:
    """Keep a tombstone for a record about to be deleted (call before ``session.delete``)."""
    record = record_dict(session, record_type, obj)
    keys: dict[str, Any] = {"vessel_imo": None, "evidence_sha256": None}
    case_id: str | None = None
    if record_type == "incident":
        case_id = record["case_id"]
    if record_type in ("participant", "link"):
        incident = session.get(Incident, record["incident_id"])
        case_id = incident.case_id if incident is not None else None
    if record_type == "participant":
        vessel = session.get(Vessel, record["vessel_id"])
        keys["vessel_imo"] = vessel.imo if vessel is not None else None
    if record_type in ("link", "annotation"):
        item = session.get(Evidence, record["evidence_id"])
        keys["evidence_sha256"] = item.sha256 if item is not None else None
    row = session.get(Tombstone, (record_type, record["id"]))
    if row is None:
        row = Tombstone(record_type=record_type, record_id=record["id"])
        session.add(row)
    row.case_id, row.record, row.keys = case_id, record, keys
    row.deleted_at, row.deleted_by = datetime.now(UTC), actor


def tombstone_dict(row: Tombstone) -> dict[str, Any]:
    return {
        "record_type": row.record_type,
        "record_id": row.record_id,
        "case_id": row.case_id,
        "record": row.record,
        "keys": row.keys or {},
        "deleted_at": _plain(row.deleted_at),
        "deleted_by": row.deleted_by,
    }


def same_body(record_type: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two versions of a record hold the same content, whatever ids their parents have here."""
    skip = NOT_CONTENT | {"id"} | set(REFERENCES.get(record_type, {}))
    keys = (set(a) | set(b)) - skip
    return all(a.get(k) == b.get(k) for k in keys)


def case_tombstones(
    session: Session, case_id: str, incident_ids: set[str], evidence_ids: set[str], *, with_incidents: bool = True
) -> list[dict[str, Any]]:
    """The deletions a case file carries: of the case's incidents and what hangs off the exported records.

    A tombstone whose record exists again (an undone deletion) is left out.
    """
    out: list[dict[str, Any]] = []
    rows = list(session.scalars(select(Tombstone).where(Tombstone.case_id == case_id)))
    rows += [
        r
        for r in session.scalars(select(Tombstone).where(Tombstone.record_type == "annotation"))
        if r.record.get("evidence_id") in evidence_ids
    ]
    for row in sorted(rows, key=lambda r: (r.deleted_at, r.record_type, r.record_id)):
        if row.record_type == "incident" and not with_incidents:
            continue
        if row.record_type in ("participant", "link") and row.record.get("incident_id") not in incident_ids:
            continue
        if session.get(RECORD_TYPES[row.record_type], row.record_id) is not None:
            continue
        out.append(tombstone_dict(row))
    return out


def check_finite(records: CaseRecords) -> None:
    """Refuse, naming the record and field, a stored infinity or NaN: JSON cannot carry it (RFC 8259).

    Such a value can only come from behind the app's back (services and import refuse
    it); exporting it would fail half-way with no hint of where.
    """
    for record_type, rows in records.records.items():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValidationError(
                        f"{record_type} {row.get('id')} holds {key} = {value}, which a case file cannot carry:"
                        " correct it in the desk and export again; nothing was exported",
                        field=key,
                        location=f"{record_type} {row.get('id')}",
                    )


AIS_FIELDS = ("mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status", "evidence_id")


def iter_ais_positions(
    session: Session, evidence_ids: Iterable[str], *, batch: int = 20000
) -> Iterator[dict[str, Any]]:
    """AIS positions that came from the given evidence items, streamed in id order."""
    for chunk in _chunks(sorted(evidence_ids)):
        after = 0
        while True:
            rows = session.execute(
                select(AisPosition.id, *[getattr(AisPosition, f) for f in AIS_FIELDS])
                .where(AisPosition.evidence_id.in_(chunk), AisPosition.id > after)
                .order_by(AisPosition.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                yield {f: getattr(row, f) for f in AIS_FIELDS}
            after = rows[-1].id


AUDIT_FIELDS = (
    "origin_store_id",
    "seq",
    "ts",
    "actor",
    "action",
    "entity",
    "entity_id",
    "payload",
    "prev_hash",
    "hash",
)


def iter_case_audit(
    session: Session, own_store_id: str, entity_ids: Iterable[str], *, with_attestation: bool = False
) -> Iterator[dict[str, Any]]:
    """The audit entries about the case's records: this store's own, then those it imported
    (with ``with_attestation``, each imported one also names the attestation that vouched for it)."""
    from evidence_app.storage.audit import ts_text

    ids = sorted(set(entity_ids))
    own: list[AuditEntry] = []
    for chunk in _chunks(ids):
        own += session.scalars(select(AuditEntry).where(AuditEntry.entity_id.in_(chunk)))
    own.sort(key=lambda e: e.seq)
    for e in own:
        yield {
            "origin_store_id": own_store_id,
            "seq": e.seq,
            "ts": ts_text(e.ts),
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "payload": e.payload,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            **({"content": e.content} if e.content is not None else {}),  # hashed with the entry
        }
    foreign: list[ImportedAuditEntry] = []
    for chunk in _chunks(ids):
        foreign += session.scalars(select(ImportedAuditEntry).where(ImportedAuditEntry.entity_id.in_(chunk)))
    foreign.sort(key=lambda e: (e.origin_store_id, e.seq))
    for f in foreign:
        row = {**{k: getattr(f, k) for k in AUDIT_FIELDS}, **({"content": f.content} if f.content is not None else {})}
        if with_attestation:
            row["attestation_id"] = f.attestation_id
        yield row


def sync_bases(session: Session, keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each peer store: the hashes this store last agreed with it, for the given records."""
    wanted = set(keys)
    out: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(SyncState)):
        key = f"{row.record_type}:{row.record_id}"
        if key in wanted:
            out.setdefault(row.peer_store_id, {})[key] = row.content_hash
    return out


# --- checking records that come from a file -------------------------------------------------


def _column_kinds(model: type[Base]) -> dict[str, tuple[str, bool, int | None]]:
    """attribute -> (kind, nullable, max length) for validation of incoming values."""
    out: dict[str, tuple[str, bool, int | None]] = {}
    for attr in inspect(model).column_attrs:
        col = attr.columns[0]
        typ = col.type
        if isinstance(typ, UTCDateTime):
            kind = "datetime"
        elif isinstance(typ, Boolean):
            kind = "bool"
        elif isinstance(typ, Integer | SmallInteger | BigInteger):
            kind = "int"
        elif isinstance(typ, Float):
            kind = "float"
        elif isinstance(typ, String | Text):
            kind = "str"
        else:
            kind = "json"
        length = getattr(typ, "length", None) if kind == "str" else None
        nullable = bool(col.nullable) and not col.primary_key
        out[attr.key] = (kind, nullable, length)
    return out


_KINDS = {name: _column_kinds(model) for name, model in RECORD_TYPES.items()}
EXTRA_FIELDS = {"incident": {"tags": "json"}, "evidence": {"tags": "json"}}
# Extra fields left out when empty, so a record without them keeps the hash it had before they travelled.
OMITTED_WHEN_EMPTY = {("evidence", "tags")}


def parse_time(value: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ValidationError(f"{value!r} is not an ISO 8601 time", location=where) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"time {value!r} has no time zone", location=where)
    try:
        return check_time(parsed, field="time")
    except ValidationError as exc:  # past 2200, or an offset that carries it past year 9999
        raise ValidationError(exc.message, location=where) from None


def check_record(record_type: str, record: Any, where: str) -> dict[str, Any]:
    """Check one incoming record's fields and types; return it with only known fields."""
    if not isinstance(record, dict):
        raise ValidationError(f"expected an object, found {type(record).__name__}", location=where)
    kinds = _KINDS[record_type]
    out: dict[str, Any] = {}
    for key, (kind, nullable, length) in kinds.items():
        if key not in record:
            if key in NOT_CONTENT or key in {"created_at", "updated_at"}:
                continue
            if nullable:
                out[key] = None
                continue
            raise ValidationError(f"field {key!r} is missing", location=where)
        value = record[key]
        loc = f"{where}.{key}"
        if value is None:
            if not nullable:
                raise ValidationError("must not be null", location=loc)
        elif kind == "str":
            if not isinstance(value, str):
                raise ValidationError(f"expected text, found {type(value).__name__}", location=loc)
            if length is not None and len(value) > length:
                raise ValidationError(f"text of {len(value)} characters, at most {length} allowed", location=loc)
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"expected a whole number, found {value!r}", location=loc)
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValidationError(f"expected a number, found {value!r}", location=loc)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ValidationError(f"expected true or false, found {value!r}", location=loc)
        elif kind == "datetime":
            if not isinstance(value, str):
                raise ValidationError(f"expected an ISO 8601 time, found {value!r}", location=loc)
            parse_time(value, loc)
        out[key] = value
    for key, _kind in EXTRA_FIELDS.get(record_type, {}).items():
        if (record_type, key) in OMITTED_WHEN_EMPTY and not record.get(key):
            continue
        value = record.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 80 for v in value):
            raise ValidationError("expected a list of tag names", location=f"{where}.{key}")
        out[key] = sorted(set(value))
    _check_domain(record_type, out, where)
    return out


def _check_domain(record_type: str, r: dict[str, Any], where: str) -> None:
    from evidence_app.domain.review import Status

    rid = r.get("id")
    if not isinstance(rid, str) or not 8 <= len(rid) <= 36 or not all(c.isalnum() or c == "-" for c in rid):
        raise ValidationError(f"record id {rid!r} is not a valid id", location=f"{where}.id")
    for key in ("lat", "lon"):
        value = r.get(key)
        limit = 90 if key == "lat" else 180
        if value is not None and not -limit <= value <= limit:
            raise ValidationError(f"{value} is outside -{limit}..{limit}", location=f"{where}.{key}")
    if record_type == "incident":
        if r["status"] not in {s.value for s in Status}:
            raise ValidationError(f"unknown status {r['status']!r}", location=f"{where}.status")
    if record_type == "evidence":
        sha = r["sha256"]
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValidationError(f"{sha!r} is not a SHA-256 hex digest", location=f"{where}.sha256")
        if r["size"] < 0:
            raise ValidationError("negative size", location=f"{where}.size")


def from_dict(record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """Column values for a model from a checked record (times parsed, extras dropped)."""
    kinds = _KINDS[record_type]
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key not in kinds or key in NOT_CONTENT:
            continue
        if kinds[key][0] == "datetime" and value is not None:
            value = parse_time(value, key)
        out[key] = value
    return out


@dataclass
class Track:
    mmsi: int
    name: str
    points: list[tuple[int, float, float]]  # (UTC epoch seconds, lat, lon), in time order


def case_tracks(session: Session, records: CaseRecords, *, max_points: int = 2000) -> list[Track]:
    """Tracks of the case's vessels from the case's AIS evidence, thinned to ``max_points`` each."""
    names: dict[int, str] = {}
    for v in records.of("vessel"):
        if v.get("mmsi"):
            names[v["mmsi"]] = v.get("name") or f"MMSI {v['mmsi']}"
    for i in records.of("vessel_identity"):
        if i.get("mmsi"):
            names.setdefault(i["mmsi"], i.get("name") or f"MMSI {i['mmsi']}")
    for p in records.of("participant"):
        if p.get("claimed_mmsi"):
            names.setdefault(p["claimed_mmsi"], p.get("claimed_name") or f"MMSI {p['claimed_mmsi']}")
    ais_ids = [e["id"] for e in records.of("evidence") if e["kind"] == "ais"]
    if not names or not ais_ids:
        return []
    points: dict[int, list[tuple[int, float, float]]] = {}
    for chunk in _chunks(sorted(ais_ids)):
        for mmsi_chunk in _chunks([str(m) for m in names]):
            rows = session.execute(
                select(AisPosition.mmsi, AisPosition.ts, AisPosition.lat, AisPosition.lon).where(
                    AisPosition.evidence_id.in_(chunk), AisPosition.mmsi.in_([int(m) for m in mmsi_chunk])
                )
            )
            for mmsi, ts, lat, lon in rows:
                points.setdefault(mmsi, []).append((ts, lat, lon))
    tracks = []
    for mmsi, pts in sorted(points.items()):
        pts = sorted(set(pts))
        if len(pts) > max_points:
            step = len(pts) / max_points
            pts = [pts[int(i * step)] for i in range(max_points - 1)] + [pts[-1]]
        tracks.append(Track(mmsi, names[mmsi], pts))
    return tracks
