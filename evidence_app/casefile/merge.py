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
from evidence_app.casefile.records import (
    AIS_FIELDS,
    APPEND_ONLY,
    RECORD_TYPES,
    REFERENCES,
    content_hash,
    differing_fields,
    from_dict,
    incident_dict,
    merge_order,
    to_dict,
)
from evidence_app.domain.errors import UserError
from evidence_app.storage import audit
from evidence_app.storage.models import (
    AisPosition,
    AuditAttestation,
    Base,
    Evidence,
    ImportedAuditEntry,
    Incident,
    IncidentEvidence,
    IncidentTag,
    MergeConflict,
    Participant,
    SyncState,
    Tag,
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
            out.append(f"{self.audit_entries_unverified} audit entr{'y' if self.audit_entries_unverified == 1 else 'ies'} from"
                       " other stores could not be verified (no signature by a key their store is known under here):"
                       " they are kept, marked unverified")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["added"] = dict(self.added)
        data["updated"] = dict(self.updated)
        data["signature"] = self.signature.as_dict()
        data["warnings"] = self.warnings
        return data


def local_dict(session: Session, record_type: str, obj: Base) -> dict[str, Any]:
    return incident_dict(session, obj) if record_type == "incident" else to_dict(obj)  # type: ignore[arg-type]


def set_incident_tags(session: Session, incident_id: str, names: list[str]) -> None:
    current = {
        t.name: t for t in session.scalars(select(Tag).join(IncidentTag, IncidentTag.tag_id == Tag.id).where(IncidentTag.incident_id == incident_id))
    }
    for name in set(current) - set(names):
        row = session.get(IncidentTag, (incident_id, current[name].id))
        if row is not None:
            session.delete(row)
    for name in set(names) - set(current):
        tag = session.scalar(select(Tag).where(Tag.name == name))
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        session.add(IncidentTag(incident_id=incident_id, tag_id=tag.id))


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
    if record_type == "incident":
        set_incident_tags(session, obj.id, incoming.get("tags", []))  # type: ignore[attr-defined]
        session.flush()
    after = local_dict(session, record_type, obj)
    return {k: [before.get(k), after.get(k)] for k in differing_fields(before, after)}


def _find_local(session: Session, record_type: str, record: dict[str, Any]) -> Base | None:
    """The local record this incoming one is: same id, else the same natural key."""
    model = RECORD_TYPES[record_type]
    found = session.get(model, record["id"])
    if found is not None:
        return found
    if record_type == "evidence":
        return session.scalar(select(Evidence).where(Evidence.sha256 == record["sha256"]))
    if record_type == "vessel" and record.get("imo"):
        return session.scalar(select(Vessel).where(Vessel.imo == record["imo"]))
    if record_type == "participant":
        return session.scalar(select(Participant).where(Participant.incident_id == record["incident_id"], Participant.vessel_id == record["vessel_id"]))
    if record_type == "link":
        return session.scalar(select(IncidentEvidence).where(IncidentEvidence.incident_id == record["incident_id"], IncidentEvidence.evidence_id == record["evidence_id"]))
    return None


def _set_sync(session: Session, peer: str, record_type: str, record_id: str, digest: str) -> None:
    row = session.get(SyncState, (peer, record_type, record_id))
    if row is None:
        session.add(SyncState(peer_store_id=peer, record_type=record_type, record_id=record_id, content_hash=digest))
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
    local_bases = {
        f"{r.record_type}:{r.record_id}": r.content_hash
        for r in session.scalars(select(SyncState).where(SyncState.peer_store_id == origin))
    }
    id_map: dict[tuple[str, str], str] = {}
    touched_incidents: set[str] = set()
    report.new_case = session.get(RECORD_TYPES["case"], cf.case_id) is None

    for record_type, raw in merge_order(cf.records):
        incoming = dict(raw)
        for column, target in REFERENCES.get(record_type, {}).items():
            if incoming.get(column) is not None:
                incoming[column] = id_map.get((target, incoming[column]), incoming[column])
        key = f"{record_type}:{raw['id']}"
        local = _find_local(session, record_type, incoming)
        if local is not None and local.id != raw["id"]:  # type: ignore[attr-defined]
            id_map[(record_type, raw["id"])] = local.id  # type: ignore[attr-defined]
            incoming["id"] = local.id  # type: ignore[attr-defined]
            if record_type == "evidence":
                report.evidence_deduplicated += 1
        incoming_hash = content_hash(incoming)
        if local is None:
            _insert(session, record_type, incoming)
            report.added[record_type] += 1
            audit.record(session, actor, "casefile.merge_add", _entity(record_type), _entity_id(record_type, incoming),
                         {"type": record_type, "id": incoming["id"], "import_id": import_id})
            if record_type in ("link", "participant", "review", "incident"):
                touched_incidents.add(incoming["incident_id"] if record_type != "incident" else incoming["id"])
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash)
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
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash)
            continue
        bases = {b for b in (file_bases.get(key), local_bases.get(f"{record_type}:{incoming['id']}")) if b}
        if origin == own_store_id:
            bases.add(incoming_hash)  # our own earlier file: everything in it is ours already
        if local_hash in bases:
            diff = apply_incoming(session, record_type, local, incoming)
            report.updated[record_type] += 1
            audit.record(session, actor, "casefile.merge_update", _entity(record_type), _entity_id(record_type, incoming),
                         {"type": record_type, "id": incoming["id"], "import_id": import_id, "changes": diff})
            _set_sync(session, origin, record_type, incoming["id"], incoming_hash)
            if record_type == "incident":
                touched_incidents.add(incoming["id"])
        elif incoming_hash in bases:
            report.kept_local += 1
        else:
            report.conflicts.append(_conflict(session, cf, import_id, record_type, incoming, current, local_hash, bases))
    report.ais_positions_added = _merge_ais(session, cf, report, id_map)
    for incident_id in touched_incidents:
        incident = session.get(Incident, incident_id)
        if incident is not None:
            incident.evidence_count = session.scalar(
                select(func.count()).select_from(IncidentEvidence).where(IncidentEvidence.incident_id == incident_id)
            ) or 0
    audit_merge = _merge_audit(session, cf, own_store_id, import_id)
    report.audit_entries_added = audit_merge.added
    report.audit_entries_unverified = audit_merge.unverified
    audit.record(session, actor, "casefile.import", "case", cf.case_id, {
        "import_id": import_id,
        "file": cf.path.name,
        "export_id": cf.manifest["export_id"],
        "origin_store_id": origin,
        "manifest_sha256": cf.manifest_sha256,
        "added": dict(report.added),
        "updated": dict(report.updated),
        "conflicts": [c["id"] for c in report.conflicts],
        "imported_audit": {"count": report.audit_entries_added, "digest": audit_merge.digest,
                           "unverified": audit_merge.unverified, "upgraded": audit_merge.upgraded,
                           "superseded": audit_merge.superseded},
        "signature": report.signature.as_dict() if report.signature.signed else {"signed": False},
        "warnings": report.warnings,
    })
    return report


def _entity(record_type: str) -> str:
    return {"case": "case", "vessel": "vessel", "vessel_identity": "vessel", "designation": "vessel", "evidence": "evidence",
            "annotation": "evidence"}.get(record_type, "incident")


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
    if record_type == "incident":
        set_incident_tags(session, incoming["id"], incoming.get("tags", []))


def _conflict(session: Session, cf: CaseFile, import_id: str, record_type: str, incoming: dict[str, Any],
              current: dict[str, Any], local_hash: str, bases: set[str]) -> dict[str, Any]:
    for older in session.scalars(select(MergeConflict).where(
        MergeConflict.record_type == record_type, MergeConflict.record_id == incoming["id"], MergeConflict.resolved_at.is_(None)
    )):
        older.resolution = "superseded"
        older.resolved_at = datetime.now(UTC)
    row = MergeConflict(
        case_id=cf.case_id, import_id=import_id, peer_store_id=cf.origin_store_id, record_type=record_type,
        record_id=incoming["id"], base_hash=sorted(bases)[0] if bases else None, local_hash=local_hash,
        incoming=incoming, fields=differing_fields(current, incoming),
    )
    session.add(row)
    session.flush()
    return {"id": row.id, "record_type": record_type, "record_id": row.record_id, "fields": row.fields}


def _merge_ais(session: Session, cf: CaseFile, report: MergeReport, id_map: dict[tuple[str, str], str]) -> int:
    """Positions of AIS items this store had no positions for; the rest are already here."""
    file_ids = {e["id"] for e in cf.records.of("evidence")}
    wanted: dict[str, bool] = {}
    added = 0
    batch: list[dict[str, Any]] = []
    for row in cf.iter_ais():
        eid = id_map.get(("evidence", row["evidence_id"]), row["evidence_id"])
        if row["evidence_id"] not in file_ids:
            raise UserError(f"an AIS position names evidence {row['evidence_id']} the file does not hold", location="records/ais_positions.jsonl")
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


def _merge_audit(session: Session, cf: CaseFile, own_store_id: str, import_id: str, *, dry_run: bool = False,
                 also_bound: dict[str, set[str]] | None = None) -> AuditMerge:
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
                row = AuditAttestation(origin_store_id=att.store_id, fingerprint=att.signer.key_id, signature=att.signature,
                                       entries=att.entries, import_id=import_id)
                session.add(row)
                session.flush()
            attestation_rows[index] = row.id
        return attestation_rows[index]

    def is_verified(known: ImportedAuditEntry) -> bool:
        if known.attestation_id is None:
            return False
        if known.attestation_id not in verified_cache:
            att = session.get(AuditAttestation, known.attestation_id)
            verified_cache[known.attestation_id] = att is not None and att.fingerprint in bound.get(known.origin_store_id, set())
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
        session.add(ImportedAuditEntry(import_id=import_id, attestation_id=row_for(chosen) if chosen is not None else None,
                                       **entry))
        added.append((origin, seq, entry["hash"]))
    session.flush()
    result.added = len(added)
    result.digest = imported_digest(added)
    return result
