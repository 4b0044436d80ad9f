"""Free tags on incidents and evidence ("coal", "priority", "needs imagery")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.limits import check_name
from evidence_app.services.context import Context
from evidence_app.services.record_edits import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Evidence, EvidenceTag, Incident, IncidentTag, Tag
from evidence_app.storage.queries import incident_tag_names


def normalise_tag(name: str) -> str:
    cleaned = " ".join(name.strip().lower().split())
    if not cleaned:
        raise ValidationError("a tag cannot be empty", field="tag")
    if len(cleaned) > 80:
        raise ValidationError(f"tag is {len(cleaned)} characters: at most 80", field="tag")
    return check_name(cleaned, field="tag")


def _tag(session: Session, name: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        session.flush()
    return tag


def _target(kind: str) -> tuple[Any, Any, str]:
    """The record model, its tag link model and the link's key column for a kind."""
    return {"incident": (Incident, IncidentTag, "incident_id"), "evidence": (Evidence, EvidenceTag, "evidence_id")}[
        kind
    ]


def _add_tag(ctx: Context, kind: str, record_id: str, name: str) -> bool:
    model, link_model, key = _target(kind)
    name = normalise_tag(name)
    with ctx.store.write() as session:
        record = resolve(session, model, record_id, kind)
        tag = _tag(session, name)
        if session.get(link_model, (record.id, tag.id)) is not None:
            return False
        session.add(link_model(**{key: record.id, "tag_id": tag.id}))
        if kind == "incident":
            record.version += 1
        audit.record(session, ctx.actor, "tag.add", kind, record.id, {"tag": name})
    return True


def _remove_tag(ctx: Context, kind: str, record_id: str, name: str) -> bool:
    model, link_model, _key = _target(kind)
    name = normalise_tag(name)
    with ctx.store.write() as session:
        record = resolve(session, model, record_id, kind)
        tag = session.scalar(select(Tag).where(Tag.name == name))
        row = session.get(link_model, (record.id, tag.id)) if tag else None
        if row is None:
            return False
        session.delete(row)
        if kind == "incident":
            record.version += 1
        audit.record(session, ctx.actor, "tag.remove", kind, record.id, {"tag": name})
    return True


def tag_incident(ctx: Context, incident_id: str, name: str) -> bool:
    """Add a tag; returns False when the incident already had it."""
    return _add_tag(ctx, "incident", incident_id, name)


def untag_incident(ctx: Context, incident_id: str, name: str) -> bool:
    return _remove_tag(ctx, "incident", incident_id, name)


def tag_evidence(ctx: Context, evidence_id: str, name: str) -> bool:
    return _add_tag(ctx, "evidence", evidence_id, name)


def untag_evidence(ctx: Context, evidence_id: str, name: str) -> bool:
    return _remove_tag(ctx, "evidence", evidence_id, name)


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
            select(EvidenceTag.evidence_id, Tag.name)
            .join(Tag, Tag.id == EvidenceTag.tag_id)
            .where(EvidenceTag.evidence_id.in_(evidence_ids[:900]))
            .order_by(Tag.name)
        )
        for evidence_id, name in rows:
            out.setdefault(evidence_id, []).append(name)
    return out


def tags_of_incident(ctx: Context, incident_id: str) -> list[str]:
    with ctx.store.read() as session:
        return incident_tag_names(session, incident_id)
