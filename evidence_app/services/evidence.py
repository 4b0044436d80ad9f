"""Evidence: store files by hash, attach them to incidents, grade and describe them.

Attaching many files works in two phases so that it lands whole or not at all: first
every file is streamed into the object store (idempotent, cancellable: an object with
no database row is inert), then one transaction creates the rows, the links and the
audit entries.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence_app.casefile.record_dicts import bury
from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.geo import validate_lat_lon
from evidence_app.domain.grading import RELIABILITY
from evidence_app.domain.incident import validate_evidence_kind, validate_relation
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.record_edits import (
    ANY_BASE,
    Changes,
    apply_changes,
    check_fields,
    check_version,
    conflicts_audited,
    resolve,
    saved_changes,
    snapshot,
)
from evidence_app.storage import audit
from evidence_app.storage.models import Evidence, Incident, IncidentEvidence
from evidence_app.storage.objects import StoredObject

EDITABLE = frozenset(
    {
        "kind",
        "source",
        "provider",
        "capture_time",
        "lat",
        "lon",
        "footprint",
        "gsd_m",
        "reliability",
        "credibility",
        "original_name",
    }
)

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x00\x00\x00\x0cjP  ", "image/jp2"),
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def sniff_media_type(path: Path) -> str:
    """The media type from the file's first bytes, falling back to its extension."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def guess_kind(path: Path, media_type: str) -> str:
    if media_type.startswith("image/"):
        return "photo"
    suffix = path.suffix.lower()
    if suffix in {".nmea", ".ais", ".aivdm"} or (suffix in {".csv", ".txt", ".gz"} and "ais" in path.name.lower()):
        return "ais"
    return "document"


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "kind" in out:
        validate_evidence_kind(out["kind"])
    if out.get("reliability") is not None:
        out["reliability"] = str(out["reliability"]).upper()
        if out["reliability"] not in RELIABILITY:
            raise ValidationError(
                f"source reliability {values['reliability']!r}: expected a letter A to F", field="reliability"
            )
    if out.get("credibility") is not None:
        try:
            out["credibility"] = int(out["credibility"])
        except (TypeError, ValueError):
            out["credibility"] = -1
        if not 1 <= out["credibility"] <= 6:
            raise ValidationError(
                f"information credibility {values['credibility']!r}: expected 1 to 6", field="credibility"
            )
    if "gsd_m" in out:
        out["gsd_m"] = limits.check_optional_number(out["gsd_m"], limits.GSD_M, field="gsd_m")
    if out.get("lat") is not None and out.get("lon") is not None:
        validate_lat_lon(float(out["lat"]), float(out["lon"]))
    if out.get("capture_time") is not None:
        out["capture_time"] = limits.check_time(out["capture_time"], field="capture_time")
    for key in ("source", "provider"):
        if out.get(key) is not None:
            limits.check_name(out[key], field=key)
    return out


def record_stored(
    session: Session, ctx: Context, stored: StoredObject, original: Path, *, kind: str | None = None, **fields: Any
) -> tuple[Evidence, bool]:
    """The evidence row for stored bytes: the existing one for the same hash, or a new one.

    Returns ``(evidence, created)``. Call inside a write transaction.
    """
    existing = session.scalar(select(Evidence).where(Evidence.sha256 == stored.sha256))
    if existing is not None:
        return existing, False
    media_type = sniff_media_type(stored.path)
    values = _validate({"kind": kind or guess_kind(original, media_type), **fields})
    evidence = Evidence(
        sha256=stored.sha256,
        size=stored.size,
        media_type=media_type,
        original_name=original.name,
        **values,
    )
    # Only the file's name is kept (``original_name``): where it lay on this machine would
    # travel in every case file and tell the receiver about the analyst's folders.
    session.add(evidence)
    session.flush()
    audit.record(session, ctx.actor, "evidence.add", "evidence", evidence.id, snapshot(evidence))
    return evidence, True


def add_file(
    session: Session, ctx: Context, path: str | os.PathLike[str], *, kind: str | None = None, **fields: Any
) -> Evidence:
    """Store one file and return its evidence row, within the caller's transaction."""
    original = Path(path)
    stored = ctx.store.objects.put_file(original)
    evidence, _ = record_stored(session, ctx, stored, original, kind=kind, **fields)
    return evidence


@dataclass
class AttachResult:
    incident_id: str
    attached: list[str] = field(default_factory=list)  # evidence ids newly linked
    already_linked: list[str] = field(default_factory=list)
    new_files: int = 0
    bytes_stored: int = 0

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def link(
    session: Session,
    ctx: Context,
    incident: Incident,
    evidence: Evidence,
    *,
    relation: str = "supports",
    note: str = "",
) -> IncidentEvidence | None:
    """Link evidence to an incident in the caller's transaction; None if already linked."""
    validate_relation(relation)
    exists = session.scalar(
        select(IncidentEvidence).where(
            IncidentEvidence.incident_id == incident.id, IncidentEvidence.evidence_id == evidence.id
        )
    )
    if exists is not None:
        return None
    row = IncidentEvidence(incident_id=incident.id, evidence_id=evidence.id, relation=relation, note=note)
    session.add(row)
    incident.evidence_count = (incident.evidence_count or 0) + 1
    incident.version += 1
    session.flush()
    audit.record(
        session,
        ctx.actor,
        "evidence.link",
        "incident",
        incident.id,
        {"evidence_id": evidence.id, "sha256": evidence.sha256, "relation": relation, "note": note, "link_id": row.id},
    )
    return row


@leaves_no_unused_objects
def attach_files(
    ctx: Context,
    incident_id: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    kind: str | None = None,
    relation: str = "supports",
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> AttachResult:
    """Attach files to an incident: all of them or, if anything fails or is cancelled, none."""
    if kind is not None:
        validate_evidence_kind(kind)
    validate_relation(relation)
    files = [Path(p) for p in paths]
    if not files:
        raise ValidationError("no files to attach", field="files")
    with ctx.store.read() as session:
        incident_id = resolve(session, Incident, incident_id, "incident").id
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            pass  # put_file reports the missing file with its name
    stored: list[tuple[Path, StoredObject]] = []
    done_before = 0
    for index, f in enumerate(files):
        cancel.raise_if_cancelled()
        base = done_before

        def file_progress(
            done: int, _total: int | None, _msg: str = "", base: int = base, name: str = f.name, i: int = index
        ) -> None:
            progress(base + done, total, f"{i + 1}/{len(files)} {name}")

        obj = ctx.store.objects.put_file(f, progress=file_progress, cancel=cancel)
        stored.append((f, obj))
        done_before += obj.size
    cancel.raise_if_cancelled()
    result = AttachResult(incident_id)
    with ctx.store.write() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        for original, obj in stored:
            evidence, created = record_stored(session, ctx, obj, original, kind=kind)
            result.new_files += int(created)
            result.bytes_stored += 0 if obj.already_present else obj.size
            if link(session, ctx, incident, evidence, relation=relation) is None:
                result.already_linked.append(evidence.id)
            else:
                result.attached.append(evidence.id)
    progress(total, total, "attached")
    return result


def detach(ctx: Context, incident_id: str, evidence_id: str) -> dict[str, Any]:
    """Remove a link (the evidence item and its file stay in the store)."""
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        evidence = resolve(session, Evidence, evidence_id, "evidence")
        row = session.scalar(
            select(IncidentEvidence).where(
                IncidentEvidence.incident_id == incident.id, IncidentEvidence.evidence_id == evidence.id
            )
        )
        if row is None:
            raise ValidationError("that evidence is not attached to this incident", field="evidence")
        before = {"evidence_id": evidence.id, "relation": row.relation, "note": row.note, "link_id": row.id}
        bury(session, "link", row, ctx.actor)
        session.delete(row)
        incident.evidence_count = max(0, (incident.evidence_count or 1) - 1)
        incident.version += 1
        audit.record(session, ctx.actor, "evidence.unlink", "incident", incident.id, before)
    return before


def relink(ctx: Context, incident_id: str, evidence_id: str, *, relation: str = "supports", note: str = "") -> None:
    """Attach an item already in the store (undo of detach, or reuse across incidents)."""
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        evidence = resolve(session, Evidence, evidence_id, "evidence")
        link(session, ctx, incident, evidence, relation=relation, note=note)


def set_link(
    ctx: Context, incident_id: str, evidence_id: str, *, relation: str | None = None, note: str | None = None
) -> dict[str, list[Any]]:
    changes: dict[str, Any] = {}
    if relation is not None:
        validate_relation(relation)
        changes["relation"] = relation
    if note is not None:
        changes["note"] = note
    with ctx.store.write() as session:
        row = session.scalar(
            select(IncidentEvidence).where(
                IncidentEvidence.incident_id == incident_id, IncidentEvidence.evidence_id == evidence_id
            )
        )
        if row is None:
            raise ValidationError("that evidence is not attached to this incident", field="evidence")
        diff = apply_changes(row, changes)
        if diff:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            incident.version += 1
            audit.record(
                session,
                ctx.actor,
                "evidence.link_update",
                "incident",
                incident_id,
                {"evidence_id": evidence_id, **diff},
            )
    return diff


def _normalised_base(base: dict[str, Any]) -> dict[str, Any]:
    """The values an edit started from, normalised as a save would store them (so they compare)."""
    try:
        return _validate(base)
    except ValidationError:
        return base


def update_evidence(
    ctx: Context,
    evidence_id: str,
    *,
    expected_version: int | None = None,
    base: dict[str, Any] = ANY_BASE,
    **fields: Any,
) -> Changes:
    """Edit an item's description (never its bytes): grading, source, capture time, place.

    ``expected_version``/``base``: optimistic locking, as ``incidents.update_incident``.
    """
    check_fields(fields, EDITABLE, "an evidence item")
    values = _validate(fields)
    if base is not ANY_BASE:
        base = _normalised_base(base)
    with conflicts_audited(ctx, "evidence.update"), ctx.store.write() as session:
        evidence = resolve(session, Evidence, evidence_id, "evidence")
        check_version(
            session,
            entity="evidence",
            record_id=evidence.id,
            label=evidence.original_name or "evidence",
            current_version=evidence.version,
            current={k: getattr(evidence, k) for k in {*values, *(base if base is not ANY_BASE else {})}},
            wanted=values,
            expected_version=expected_version,
            base=base,
        )
        diff = apply_changes(evidence, values)
        if diff:
            audit.record(session, ctx.actor, "evidence.update", "evidence", evidence.id, diff)
        return saved_changes(diff, evidence.version)


def supporting_count(session: Session, incident_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(IncidentEvidence)
            .where(IncidentEvidence.incident_id == incident_id, IncidentEvidence.relation == "supports")
        )
        or 0
    )


def get_evidence(ctx: Context, evidence_id: str) -> Evidence:
    with ctx.store.read() as session:
        return resolve(session, Evidence, evidence_id, "evidence")
