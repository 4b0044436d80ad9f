"""Free tags on incidents and evidence ("coal", "priority", "needs imagery")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.domain.errors import ValidationError
from evidence_app.services.context import Context
from evidence_app.services.records import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Evidence, EvidenceTag, Incident, IncidentTag, Tag


def normalise_tag(name: str) -> str:
    cleaned = " ".join(name.strip().lower().split())
    if not cleaned:
        raise ValidationError("a tag cannot be empty", field="tag")
    if len(cleaned) > 80:
        raise ValidationError(f"tag is {len(cleaned)} characters: at most 80", field="tag")
    return cleaned


def _tag(session: Session, name: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        session.flush()
    return tag


def tag_incident(ctx: Context, incident_id: str, name: str) -> bool:
    """Add a tag; returns False when the incident already had it."""
    name = normalise_tag(name)
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        tag = _tag(session, name)
        if session.get(IncidentTag, (incident.id, tag.id)) is not None:
            return False
        session.add(IncidentTag(incident_id=incident.id, tag_id=tag.id))
        incident.version += 1
        audit.record(session, ctx.actor, "tag.add", "incident", incident.id, {"tag": name})
    return True


def untag_incident(ctx: Context, incident_id: str, name: str) -> bool:
    name = normalise_tag(name)
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        tag = session.scalar(select(Tag).where(Tag.name == name))
        row = session.get(IncidentTag, (incident.id, tag.id)) if tag else None
        if row is None:
            return False
        session.delete(row)
        incident.version += 1
        audit.record(session, ctx.actor, "tag.remove", "incident", incident.id, {"tag": name})
    return True


def tag_evidence(ctx: Context, evidence_id: str, name: str) -> bool:
    name = normalise_tag(name)
    with ctx.store.write() as session:
        evidence = resolve(session, Evidence, evidence_id, "evidence")
        tag = _tag(session, name)
        if session.get(EvidenceTag, (evidence.id, tag.id)) is not None:
            return False
        session.add(EvidenceTag(evidence_id=evidence.id, tag_id=tag.id))
        audit.record(session, ctx.actor, "tag.add", "evidence", evidence.id, {"tag": name})
    return True


def untag_evidence(ctx: Context, evidence_id: str, name: str) -> bool:
    name = normalise_tag(name)
    with ctx.store.write() as session:
        evidence = resolve(session, Evidence, evidence_id, "evidence")
        tag = session.scalar(select(Tag).where(Tag.name == name))
        row = session.get(EvidenceTag, (evidence.id, tag.id)) if tag else None
        if row is None:
            return False
        session.delete(row)
        audit.record(session, ctx.actor, "tag.remove", "evidence", evidence.id, {"tag": name})
    return True


def all_tags(ctx: Context) -> list[str]:
    """Every tag name in use, for autocompletion."""
    with ctx.store.read() as session:
        return list(session.scalars(select(Tag.name).order_by(Tag.name)))


def tags_of_evidence(ctx: Context, evidence_ids: list[str]) -> dict[str, list[str]]:
    """Tags per evidence item, in one query (for the evidence panel)."""
    out: dict[str, list[str]] = {}
    if not evidence_ids:
        return out
    with ctx.store.read() as session:
        rows = session.execute(
            select(EvidenceTag.evidence_id, Tag.name).join(Tag, Tag.id == EvidenceTag.tag_id).where(EvidenceTag.evidence_id.in_(evidence_ids[:900])).order_by(Tag.name)
        )
        for evidence_id, name in rows:
            out.setdefault(evidence_id, []).append(name)
    return out


def tags_of_incident(ctx: Context, incident_id: str) -> list[str]:
    with ctx.store.read() as session:
        return sorted(
            session.scalars(select(Tag.name).join(IncidentTag, IncidentTag.tag_id == Tag.id).where(IncidentTag.incident_id == incident_id))
        )
