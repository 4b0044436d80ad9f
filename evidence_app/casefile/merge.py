"""Merging a checked case file into a store, record by record, in the caller's transaction.

Three-way, by content hash: for each record both sides hold, the *bases* are the
contents the two stores last agreed on (what this store recorded at its last import from
the file's store, and what the file's store recorded at its last import from this one).
Local unchanged since a base: take the incoming record. Incoming unchanged since a base:
keep the local one. Both changed, differently: a ``MergeConflict`` for the user, and
the local record stays as it is. Nothing is deleted by a merge.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from evidence_app.casefile import keyring
from evidence_app.casefile.importer import CaseFile, check_own_entries_signed
from evidence_app.casefile.record_dicts import (
    AIS_FIELDS,
    APPEND_ONLY,
    DELETABLE,
    MERGE_ORDER,
    RECORD_TYPES,
    REFERENCES,
    bury,
    content_hash,
    differing_fields,
    from_dict,
    merge_order,
    parse_time,
    record_dict,
    same_body,
)
from evidence_app.domain.errors import UserError
from evidence_app.storage import audit
from evidence_app.storage.models import (
    AisPosition,
    AuditAttestation,
    Base,
    Evidence,
    EvidenceTag,
    ImportedAuditEntry,
    Incident,
    IncidentEvidence,
    IncidentTag,
    MergeConflict,
    Participant,
    SyncState,
    Tag,
    Tombstone,
    Vessel,
)

# An evidence item's bytes never change: only its description is merged.
EVIDENCE_FIXED = frozenset({"sha256", "size", "media_type", "created_at"})


@dataclass
class MergeReport:
    import_id: str
    case_id: str
    origin_store_id: str
    new_case: bool = False
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    kept_local: int = 0
    evidence_deduplicated: int = 0
    ais_positions_added: int = 0
    audit_entries_added: int = 0
    # Foreign audit entries in the file not signed by a key their store is known under here.
    audit_entries_unverified: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    signature: keyring.SignatureReport = field(default_factory=lambda: keyring.SignatureReport(False))

    @property
    def warnings(self) -> list[str]:
        out = list(self.signature.warnings)
        if self.audit_entries_unverified:
            out.append(
                f"{self.audit_entries_unverified} audit entr{'y' if self.audit_entries_unverified == 1 else 'ies'} from"
                " other stores could not be verified (no signature by a key their store is known under here):"
                " they are kept, marked unverified"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["added"] = dict(self.added)
        data["updated"] = dict(self.updated)
        data["deleted"] = dict(self.deleted)
        data["signature"] = self.signature.as_dict()
        data["warnings"] = self.warnings
        return data


def local_dict(session: Session, record_type: str, obj: Base) -> dict[str, Any]:
    return record_dict(session, record_type, obj)


def set_record_tags(session: Session, record_type: str, record_id: str, names: list[str]) -> None:
    """Make an incident's or evidence item's tags exactly ``names``."""
    link_model, key = (IncidentTag, "incident_id") if record_type == "incident" else (EvidenceTag, "evidence_id")
    column = getattr(link_model, key)
    current = {
        t.name: t
        for t in session.scalars(select(Tag).join(link_model, link_model.tag_id == Tag.id).where(column == record_id))
    }
    for name in set(current) - set(names):
        row = session.get(link_model, (record_id, current[name].id))
        if row is not None:
            session.delete(row)
    for name in set(names) - set(current):
        tag = session.scalar(select(Tag).where(Tag.name == name))
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        session.add(link_model(**{key: record_id, "tag_id": tag.id}))


def set_incident_tags(session: Session, incident_id: str, names: list[str]) -> None:
    set_record_tags(session, "incident", incident_id, names)


def apply_incoming(session: Session, record_type: str, obj: Base, incoming: dict[str, Any]) -> dict[str, list[Any]]:
    """Overwrite a local record's content with the incoming one; return ``{field: [old, new]}``."""
    before = local_dict(session, record_type, obj)
    values = from_dict(record_type, incoming)
    values.pop("id", None)
    if record_type == "evidence":
        for key in EVIDENCE_FIXED:
            values.pop(key, None)
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
    if hasattr(obj, "version"):
        obj.version = (obj.version or 0) + 1  # type: ignore[attr-defined]
    session.flush()
    if record_type in ("incident", "evidence"):
        set_record_tags(session, record_type, obj.id, incoming.get("tags", []))  # type: ignore[attr-defined]
        session.flush()
    after = local_dict(session, record_type, obj)
    return {k: [before.get(k), after.get(k)] for k in differing_fields(before, after)}


class _Prefetch:
    """The file's records that exist here, and this store's sync rows with the peer, read in a few
    queries up front instead of one per record (``session.get`` then answers from the identity map)."""

    def __init__(self, session: Session, cf: CaseFile, peer: str) -> None:
        self.present: list[Base] = []  # strong references: the identity map holds objects weakly
        self.absent: set[tuple[str, str]] = set()
        for record_type in MERGE_ORDER:
            model = RECORD_TYPES[record_type]
            ids = [r["id"] for r in cf.records.of(record_type)]
            found: set[str] = set()
            for start in range(0, len(ids), 500):
                for obj in session.scalars(select(model).where(model.id.in_(ids[start : start + 500]))):  # type: ignore[attr-defined]
                    self.present.append(obj)
                    found.add(obj.id)  # type: ignore[attr-defined]
            self.absent |= {(record_type, i) for i in ids if i not in found}
        self.sync = {
            (r.record_type, r.record_id): r
            for r in session.scalars(select(SyncState).where(SyncState.peer_store_id == peer))
        }


def _find_local(
    session: Session, record_type: str, record: dict[str, Any], known: _Prefetch | None = None
) -> Base | None:
    """The local record this incoming one is: same id, else the same natural key."""
    model = RECORD_TYPES[record_type]
    if known is None or (record_type, record["id"]) not in known.absent:
        found = session.get(model, record["id"])
        if found is not None:
            return found
    if record_type == "evidence":
        return session.scalar(select(Evidence).where(Evidence.sha256 == record["sha256"]))
    if record_type == "vessel" and record.get("imo"):
        return session.scalar(select(Vessel).where(Vessel.imo == record["imo"]))
    if record_type == "participant":
        return session.scalar(
            select(Participant).where(
                Participant.incident_id == record["incident_id"], Participant.vessel_id == record["vessel_id"]
            )
        )
    if record_type == "link":
        return session.scalar(
            select(IncidentEvidence).where(
                IncidentEvidence.incident_id == record["incident_id"],
                IncidentEvidence.evidence_id == record["evidence_id"],
            )
        )
    return None


def _set_sync(
    session: Session, peer: str, record_type: str, record_id: str, digest: str, known: _Prefetch | None = None
) -> None:
    row = (
        known.sync.get((record_type, record_id))
        if known is not None
        else session.get(SyncState, (peer, record_type, record_id))
    )
    if row is None:
        row = SyncState(peer_store_id=peer, record_type=record_type, record_id=record_id, content_hash=digest)
        session.add(row)
        if known is not None:
            known.sync[(record_type, record_id)] = row
    else:
        row.content_hash = digest
        row.synced_at = datetime.now(UTC)


def imported_digest(entries: list[tuple[str, int, str]]) -> str:
    """A digest over imported audit entries (origin, seq, hash), anchored in the local chain."""
    material = "\n".join(f"{o}:{s}:{h}" for o, s, h in sorted(entries))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def merge_case_file(session: Session, actor: str, cf: CaseFile, own_store_id: str, import_id: str) -> MergeReport:
    """Merge every record of ``cf``; the evidence bytes must already be in the object store."""
    origin = cf.origin_store_id
    report = MergeReport(import_id, cf.case_id, origin)
    # Who signed, checked against the keys the file's store is known under: before any record is touched.
    report.signature = keyring.admit(session, cf.signer, origin, cf.path.name)
    check_own_entries_signed(cf)
    file_bases: dict[str, str] = cf.sync.get("peers", {}).get(own_store_id, {})
    known = _Prefetch(session, cf, origin)
    local_bases = {f"{t}:{i}": r.content_hash for (t, i), r in known.sync.items()}
    id_map: dict[tuple[str, str], str] = {}
    touched_incidents: set[str] = set()
    report.new_case = session.get(RECORD_TYPES["case"], cf.case_id) is None

    skipped: set[tuple[str, str]] = set()  # records left out (deleted here), and so their children
    claimed: set[tuple[str, str]] = set()  # local records the file's records are
    for record_type, raw in merge_order(cf.records):
        incoming = dict(raw)
        if any(
            (target, raw[column]) in skipped
            for column, target in REFERENCES.get(record_type, {}).items()
            if raw.get(column) is not None
        ):
            skipped.add((record_type, raw["id"]))
            report.kept_local += 1
            continue
        for column, target in REFERENCES.get(record_type, {}).items():
            if incoming.get(column) is not None:
                incoming[column] = id_map.get((target, incoming[column]), incoming[column])
        key = f"{record_type}:{raw['id']}"
        local = _find_local(session, record_type, incoming, known)
        if local is not None and local.id != raw["id"]:  # type: ignore[attr-defined]
            id_map[(record_type, raw["id"])] = local.id  # type: ignore[attr-defined]
            incoming["id"] = local.id  # type: ignore[attr-defined]
            if record_type == "evidence":
                report.evidence_deduplicated += 1
        incoming_hash = content_hash(incoming)
        if local is None and record_type in DELETABLE:
            grave = session.get(Tombstone, (record_type, incoming["id"]))
            if grave is not None:
                skipped.add((record_type, raw["id"]))
                bases = {b for b in (file_bases.get(key), local_bases.get(f"{record_type}:{incoming['id']}")) if b}
                if (same_body(record_type, grave.record, incoming) or incoming_hash in bases) and not _grown_in_file(
                    cf, record_type, raw["id"]
                ):
                    report.kept_local += 1  # deleted here; the file still holds the version we deleted
                else:
                    report.conflicts.append(
                        _conflict(session, cf, import_id, record_type, incoming, {}, DELETED, bases, fields=["deleted"])
                    )
                continue
        if local is not None:
            claimed.add((record_type, local.id))  # type: ignore[attr-defined]
        if local is None:
            claimed.add((record_type, incoming["id"]))
            _insert(session, record_type, incoming)
            report.added[record_type] += 1
            audit.record(
                session,
                actor,
                "casefile.merge_add",
                _entity(record_type),
                _entity_id(record_type, incoming),
                {"type": record_type, "id": incoming["id"], "import_id": import_id},
            )
            if record_type in ("link", "participant", "review", "incident"):
                touched_incidents.add(incoming["incident_id"] if record_type != "incident" else incoming["id"])
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash, known)
            continue
        if record_type == "evidence" and local.sha256 != incoming["sha256"]:  # type: ignore[attr-defined]
            raise UserError(
                f"evidence {incoming['id']} has SHA-256 {incoming['sha256']} in the file but {local.sha256} here:"  # type: ignore[attr-defined]
                " the same record cannot hold different files; nothing was imported",
            )
        current = local_dict(session, record_type, local)
        local_hash = content_hash(current)
        if local_hash == incoming_hash or record_type in APPEND_ONLY:
            report.unchanged += 1
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash, known)
            continue
        bases = {b for b in (file_bases.get(key), local_bases.get(f"{record_type}:{incoming['id']}")) if b}
        if origin == own_store_id:
            bases.add(incoming_hash)  # our own earlier file: everything in it is ours already
        if local_hash in bases:
            diff = apply_incoming(session, record_type, local, incoming)
            report.updated[record_type] += 1
            audit.record(
                session,
                actor,
                "casefile.merge_update",
                _entity(record_type),
                _entity_id(record_type, incoming),
                {"type": record_type, "id": incoming["id"], "import_id": import_id, "changes": diff},
            )
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash, known)
            if record_type == "incident":
                touched_incidents.add(incoming["id"])
        elif incoming_hash in bases:
            report.kept_local += 1
        else:
            report.conflicts.append(
                _conflict(session, cf, import_id, record_type, incoming, current, local_hash, bases)
            )
    touched_incidents |= _merge_tombstones(session, actor, cf, report, import_id, id_map, claimed, local_bases)
    report.ais_positions_added = _merge_ais(session, cf, report, id_map)
    for incident_id in touched_incidents:
        incident = session.get(Incident, incident_id)
        if incident is not None:
            incident.evidence_count = (
                session.scalar(
                    select(func.count())
                    .select_from(IncidentEvidence)
                    .where(IncidentEvidence.incident_id == incident_id)
                )
                or 0
            )
    audit_merge = _merge_audit(session, cf, own_store_id, import_id)
    report.audit_entries_added = audit_merge.added
    report.audit_entries_unverified = audit_merge.unverified
    audit.record(
        session,
        actor,
        "casefile.import",
        "case",
        cf.case_id,
        {
            "import_id": import_id,
            "file": cf.path.name,
            "export_id": cf.manifest["export_id"],
            "origin_store_id": origin,
            "manifest_sha256": cf.manifest_sha256,
            "added": dict(report.added),
            "updated": dict(report.updated),
            "conflicts": [c["id"] for c in report.conflicts],
            "imported_audit": {
                "count": report.audit_entries_added,
                "digest": audit_merge.digest,
                "unverified": audit_merge.unverified,
                "upgraded": audit_merge.upgraded,
                "superseded": audit_merge.superseded,
            },
            "signature": report.signature.as_dict() if report.signature.signed else {"signed": False},
            "warnings": report.warnings,
        },
    )
    return report


def _entity(record_type: str) -> str:
    return {
        "case": "case",
        "vessel": "vessel",
        "vessel_identity": "vessel",
        "designation": "vessel",
        "evidence": "evidence",
        "annotation": "evidence",
    }.get(record_type, "incident")


def _entity_id(record_type: str, record: dict[str, Any]) -> str:
    if record_type in ("case", "vessel", "evidence", "incident"):
        return str(record["id"])
    if record_type in ("vessel_identity", "designation"):
        return str(record["vessel_id"])
    if record_type == "annotation":
        return str(record["evidence_id"])
    return str(record["incident_id"])


def _insert(session: Session, record_type: str, incoming: dict[str, Any]) -> None:
    model = RECORD_TYPES[record_type]
    values = from_dict(record_type, incoming)
    obj = model(**values)
    if record_type == "incident":
        obj.evidence_count = 0  # type: ignore[attr-defined]
    session.add(obj)
    session.flush()
    if record_type in ("incident", "evidence"):
        set_record_tags(session, record_type, incoming["id"], incoming.get("tags", []))


def _conflict(
    session: Session,
    cf: CaseFile,
    import_id: str,
    record_type: str,
    incoming: dict[str, Any],
    current: dict[str, Any],
    local_hash: str,
    bases: set[str],
    *,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    for older in session.scalars(
        select(MergeConflict).where(
            MergeConflict.record_type == record_type,
            MergeConflict.record_id == incoming["id"],
            MergeConflict.resolved_at.is_(None),
        )
    ):
        older.resolution = "superseded"
        older.resolved_at = datetime.now(UTC)
    row = MergeConflict(
        case_id=cf.case_id,
        import_id=import_id,
        peer_store_id=cf.origin_store_id,
        record_type=record_type,
        record_id=incoming["id"],
        base_hash=sorted(bases)[0] if bases else None,
        local_hash=local_hash,
        incoming=incoming,
        fields=fields if fields is not None else differing_fields(current, incoming),
    )
    session.add(row)
    session.flush()
    return {"id": row.id, "record_type": record_type, "record_id": row.record_id, "fields": row.fields}


DELETED = "deleted"  # the local hash of a conflict whose local side is a deletion


def _grown_in_file(cf: CaseFile, record_type: str, record_id: str) -> bool:
    """Whether the file holds reviews or links of an incident deleted here (work the deletion would lose)."""
    if record_type != "incident":
        return False
    return any(r["incident_id"] == record_id for t in ("review", "link") for r in cf.records.of(t))


def _find_buried(session: Session, grave: dict[str, Any], id_map: dict[tuple[str, str], str]) -> Base | None:
    """The local record a tombstone names: same id, else the same natural key with local parent ids."""
    record_type, record = grave["record_type"], grave["record"]
    model = RECORD_TYPES[record_type]
    found = session.get(model, id_map.get((record_type, record["id"]), record["id"]))
    if found is not None or record_type not in ("participant", "link"):
        return found
    incident_id = id_map.get(("incident", record["incident_id"]), record["incident_id"])
    if record_type == "participant":
        vessel_id = id_map.get(("vessel", record["vessel_id"]), record["vessel_id"])
        if session.get(Vessel, vessel_id) is None and grave["keys"].get("vessel_imo"):
            vessel_id = session.scalar(select(Vessel.id).where(Vessel.imo == grave["keys"]["vessel_imo"])) or vessel_id
        return session.scalar(
            select(Participant).where(Participant.incident_id == incident_id, Participant.vessel_id == vessel_id)
        )
    evidence_id = id_map.get(("evidence", record["evidence_id"]), record["evidence_id"])
    if session.get(Evidence, evidence_id) is None and grave["keys"].get("evidence_sha256"):
        evidence_id = (
            session.scalar(select(Evidence.id).where(Evidence.sha256 == grave["keys"]["evidence_sha256"]))
            or evidence_id
        )
    return session.scalar(
        select(IncidentEvidence).where(
            IncidentEvidence.incident_id == incident_id, IncidentEvidence.evidence_id == evidence_id
        )
    )


def _in_case(session: Session, record_type: str, obj: Base, case_id: str, file_evidence: set[str]) -> bool:
    """Whether a local record a deletion names belongs to the file's case."""
    if record_type == "incident":
        return obj.case_id == case_id  # type: ignore[attr-defined]
    if record_type == "annotation":
        return obj.evidence_id in file_evidence  # type: ignore[attr-defined]
    incident = session.get(Incident, obj.incident_id)  # type: ignore[attr-defined]
    return incident is not None and incident.case_id == case_id


def tombstone_digest(grave: dict[str, Any]) -> str:
    """What a store remembers of a deletion it was offered, so it is not offered again as new."""
    return "deleted:" + content_hash({k: grave[k] for k in ("record_type", "record_id", "record")})[:56]


def delete_local(session: Session, record_type: str, obj: Base, grave: dict[str, Any]) -> None:
    """Delete a local record for a deletion made elsewhere, leaving a tombstone (who deleted it, and when,
    as that store recorded it) so the deletion travels on."""
    bury(session, record_type, obj, grave["deleted_by"])
    row = session.get(Tombstone, (record_type, obj.id))  # type: ignore[attr-defined]
    assert row is not None
    row.deleted_at = parse_time(grave["deleted_at"], "deleted_at")
    session.delete(obj)
    session.flush()


def _merge_tombstones(
    session: Session,
    actor: str,
    cf: CaseFile,
    report: MergeReport,
    import_id: str,
    id_map: dict[tuple[str, str], str],
    claimed: set[tuple[str, str]],
    local_bases: dict[str, str],
) -> set[str]:
    """Apply the file's deletions: a record still as it was deleted goes; one changed here since is a conflict."""
    touched: set[str] = set()
    order = {t: i for i, t in enumerate(DELETABLE)}  # children before their incident
    file_evidence = {id_map.get(("evidence", e["id"]), e["id"]) for e in cf.records.of("evidence")}
    for grave in sorted(cf.records.tombstones, key=lambda g: order[g["record_type"]]):
        record_type = grave["record_type"]
        local = _find_buried(session, grave, id_map)
        if local is not None and not _in_case(session, record_type, local, cf.case_id, file_evidence):
            raise UserError(
                f"deletes {record_type.replace('_', ' ')} {local.id}, which is not part of case {cf.case_id}:"  # type: ignore[attr-defined]
                " a case file may delete only its own case's records; nothing was imported",
                location=f"records/case.json: tombstones (record {grave['record_id']})",
            )
        if local is None:
            if session.get(Tombstone, (record_type, grave["record_id"])) is None:
                session.add(
                    Tombstone(
                        record_type=record_type,
                        record_id=grave["record_id"],
                        case_id=grave["case_id"],
                        record=grave["record"],
                        keys=grave["keys"],
                        deleted_by=grave["deleted_by"],
                        deleted_at=parse_time(grave["deleted_at"], "deleted_at"),
                    )
                )
                session.flush()
            continue
        if (record_type, local.id) in claimed:  # type: ignore[attr-defined]
            continue  # the file holds this record too (re-created after the deletion): it stays
        digest = tombstone_digest(grave)
        if local_bases.get(f"{record_type}:{local.id}") == digest:  # type: ignore[attr-defined]
            continue  # offered before and kept here by choice
        current = local_dict(session, record_type, local)
        grown = record_type == "incident" and (local.links or local.reviews)  # type: ignore[attr-defined]
        if same_body(record_type, current, grave["record"]) and not grown:
            incident_id = current.get("incident_id")
            delete_local(session, record_type, local, grave)
            report.deleted[record_type] += 1
            audit.record(
                session,
                actor,
                "casefile.merge_delete",
                _entity(record_type),
                _entity_id(record_type, current),
                {
                    "type": record_type,
                    "id": current["id"],
                    "import_id": import_id,
                    "deleted_by": grave["deleted_by"],
                    "deleted_at": grave["deleted_at"],
                },
            )
            if incident_id:
                touched.add(incident_id)
        else:
            marker = {
                "deleted": True,
                "record_type": record_type,
                "record_id": current["id"],
                "deleted_by": grave["deleted_by"],
                "deleted_at": grave["deleted_at"],
                "digest": digest,
            }
            report.conflicts.append(
                _conflict(
                    session,
                    cf,
                    import_id,
                    record_type,
                    {**marker, "id": current["id"]},
                    current,
                    content_hash(current),
                    set(),
                    fields=["deleted"],
                )
            )
    return touched


def recount_evidence(session: Session, incident_id: str) -> None:
    incident = session.get(Incident, incident_id)
    if incident is not None:
        incident.evidence_count = (
            session.scalar(
                select(func.count()).select_from(IncidentEvidence).where(IncidentEvidence.incident_id == incident_id)
            )
            or 0
        )


def settle_deletion(
    session: Session, conflict: MergeConflict, choice: str, actor: str
) -> tuple[dict[str, Any], str] | None:
    """Resolve a conflict between a deletion and an edit; ``None`` when the conflict is not one.

    Returns the change made and the hash to remember as agreed with the peer.
    """
    record_type, incoming = conflict.record_type, conflict.incoming
    model = RECORD_TYPES[record_type]
    local = session.get(model, conflict.record_id)
    if incoming.get("deleted") is True:  # deleted in the file's store, changed here
        diff: dict[str, Any] = {}
        if choice == "take-incoming" and local is not None:
            incident_id = getattr(local, "incident_id", None)
            delete_local(session, record_type, local, incoming)
            if incident_id:
                recount_evidence(session, incident_id)
            diff = {"deleted": [False, True]}
        return diff, str(incoming["digest"])
    if conflict.local_hash != DELETED:
        return None
    # Deleted here, changed in the file's store.
    diff = {}
    if choice == "take-incoming" and local is None:
        for column, target in REFERENCES.get(record_type, {}).items():
            value = incoming.get(column)
            if value is not None and session.get(RECORD_TYPES[target], value) is None:
                raise UserError(
                    f"the {target} {value} this {record_type.replace('_', ' ')} belongs to no longer exists here"
                )
        grave = session.get(Tombstone, (record_type, conflict.record_id))
        if grave is not None:
            session.delete(grave)
        _insert(session, record_type, incoming)
        if incoming.get("incident_id"):
            recount_evidence(session, incoming["incident_id"])
        diff = {"deleted": [True, False]}
    return diff, content_hash(incoming)


def _merge_ais(session: Session, cf: CaseFile, report: MergeReport, id_map: dict[tuple[str, str], str]) -> int:
    """Positions of AIS items this store had no positions for; the rest are already here."""
    file_ids = {e["id"] for e in cf.records.of("evidence")}
    wanted: dict[str, bool] = {}
    added = 0
    batch: list[dict[str, Any]] = []
    for row in cf.iter_ais():
        eid = id_map.get(("evidence", row["evidence_id"]), row["evidence_id"])
        if row["evidence_id"] not in file_ids:
            raise UserError(
                f"an AIS position names evidence {row['evidence_id']} the file does not hold",
                location="records/ais_positions.jsonl",
            )
        if eid not in wanted:
            wanted[eid] = not session.scalar(select(AisPosition.id).where(AisPosition.evidence_id == eid).limit(1))
        if not wanted[eid]:
            continue
        batch.append({**{k: row[k] for k in AIS_FIELDS}, "evidence_id": eid})
        if len(batch) >= 10000:
            session.execute(insert(AisPosition), batch)
            added += len(batch)
            batch.clear()
    if batch:
        session.execute(insert(AisPosition), batch)
        added += len(batch)
    return added


@dataclass
class AuditMerge:
    added: int = 0
    digest: str = ""
    unverified: int = 0
    upgraded: int = 0
    # [origin, seq, hash, import_id] of unverified entries replaced by a verified copy: verify needs them.
    superseded: list[list[Any]] = field(default_factory=list)


def precheck(session: Session, cf: CaseFile, own_store_id: str | None) -> None:
    """Every refusal that depends on who signed, in a read-only pass: run before any evidence byte is copied."""
    keyring.admit(session, cf.signer, cf.origin_store_id, cf.path.name, record=False)
    check_own_entries_signed(cf)
    bound_now = {cf.origin_store_id: {cf.signer.key_id}} if cf.signer is not None else {}
    _merge_audit(session, cf, own_store_id or "", "", dry_run=True, also_bound=bound_now)


def _merge_audit(
    session: Session,
    cf: CaseFile,
    own_store_id: str,
    import_id: str,
    *,
    dry_run: bool = False,
    also_bound: dict[str, set[str]] | None = None,
) -> AuditMerge:
    """Foreign audit entries: accepted under the keys their stores are known by, else kept as unverified.

    An entry of a store known here must be covered by an attestation of one of that
    store's keys, or the file is refused (a forged or rewritten history). An entry of a
    store not known yet is kept, unverified. A verified copy replaces an unverified one
    with the same number: a forged entry that came in unsigned never blocks the genuine one.
    """
    result = AuditMerge()
    foreign = [e for e in cf.audit if e["origin_store_id"] != own_store_id]
    bound = keyring.bound_keys(session, {e["origin_store_id"] for e in foreign})
    for store, key_ids in (also_bound or {}).items():
        if store in bound and not bound[store]:
            bound[store] = set(key_ids)  # the binding this import will make
    attestation_rows: dict[int, str] = {}
    cover = cf.attestation_index()
    verified_cache: dict[str, bool] = {}

    def row_for(index: int) -> str:
        if index not in attestation_rows:
            att = cf.attestations[index]
            keyring.remember_key(session, att.signer, cf.path.name)
            row = session.scalar(select(AuditAttestation).where(AuditAttestation.signature == att.signature))
            if row is None:
                row = AuditAttestation(
                    origin_store_id=att.store_id,
                    fingerprint=att.signer.key_id,
                    signature=att.signature,
                    entries=att.entries,
                    import_id=import_id,
                )
                session.add(row)
                session.flush()
            attestation_rows[index] = row.id
        return attestation_rows[index]

    def is_verified(known: ImportedAuditEntry) -> bool:
        if known.attestation_id is None:
            return False
        if known.attestation_id not in verified_cache:
            att = session.get(AuditAttestation, known.attestation_id)
            verified_cache[known.attestation_id] = att is not None and att.fingerprint in bound.get(
                known.origin_store_id, set()
            )
        return verified_cache[known.attestation_id]

    added: list[tuple[str, int, str]] = []
    for entry in foreign:
        origin, seq = entry["origin_store_id"], entry["seq"]
        covering = cover.get((origin, seq, entry["hash"]), [])
        good = [i for i in covering if cf.attestations[i].signer.key_id in bound[origin]]
        known = session.get(ImportedAuditEntry, (origin, seq))
        if bound[origin] and not good:
            if known is not None and known.hash == entry["hash"]:
                continue  # already here as it was; this file merely relays it without the signature
            raise UserError(
                f"audit entry {seq} of store {origin} (by {entry['actor']!r}, {entry['action']}) is not signed by a key that"
                " store is known under here: a forged or rewritten history; nothing was imported",
                location="records/audit.jsonl",
            )
        chosen = good[0] if good else (covering[0] if covering else None)
        if not good:
            result.unverified += 1
        if dry_run:
            if known is not None and known.hash != entry["hash"] and not (good and not is_verified(known)):
                raise UserError(
                    f"audit entry {seq} of store {origin} differs from the copy imported"
                    " earlier: one of the two histories was rewritten; nothing was imported",
                    location="records/audit.jsonl",
                )
            continue
        if known is not None:
            if known.hash == entry["hash"]:
                if good and not is_verified(known):
                    known.attestation_id = row_for(good[0])
                    result.upgraded += 1
                continue
            if not (good and not is_verified(known)):
                raise UserError(
                    f"audit entry {seq} of store {origin} differs from the copy imported"
                    " earlier: one of the two histories was rewritten; nothing was imported",
                    location="records/audit.jsonl",
                )
            result.superseded.append([origin, seq, known.hash, known.import_id])
            session.delete(known)
            session.flush()
        session.add(
            ImportedAuditEntry(
                import_id=import_id, attestation_id=row_for(chosen) if chosen is not None else None, **entry
            )
        )
        added.append((origin, seq, entry["hash"]))
    session.flush()
    result.added = len(added)
    result.digest = imported_digest(added)
    return result
