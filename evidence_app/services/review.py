"""Reviewing incidents: status changes under the workflow rules, with their history."""

from __future__ import annotations

from sqlalchemy import select

from evidence_app.domain.review import ReviewContext, Status, parse_status, path_to, judge_step
from evidence_app.services.context import Context
from evidence_app.services.evidence import supporting_count
from evidence_app.services.records import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Case, Incident, ReviewEvent


def review(ctx: Context, incident_id: str, status: str, *, rationale: str = "", reviewer: str | None = None) -> list[ReviewEvent]:
    """Move an incident toward ``status``; returns the events recorded (one or two).

    Every step is checked before anything is written, so a refused step leaves no trace.
    In a four-eyes case, the first reviewer's "confirmed" is recorded as a proposal and
    the incident stays under review until a different reviewer confirms it.
    """
    who = (reviewer or ctx.actor).strip()
    target = parse_status(status) if isinstance(status, str) else Status(status)
    events: list[ReviewEvent] = []
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        case = session.get(Case, incident.case_id)
        assert case is not None
        current = Status(incident.status)
        steps = path_to(current, target)
        support = supporting_count(session, incident.id)
        for step in steps:
            verdict = judge_step(
                ReviewContext(current, support, case.four_eyes, incident.confirmation_proposed_by),
                step,
                who,
                rationale if step == target else (rationale or "review started"),
            )
            event = ReviewEvent(
                incident_id=incident.id,
                from_status=current.value,
                to_status=verdict.to.value,
                kind="proposal" if verdict.is_proposal else "transition",
                reviewer=who,
                rationale=rationale if step == target else "review started",
            )
            session.add(event)
            if verdict.is_proposal:
                incident.confirmation_proposed_by = who
            else:
                incident.status = verdict.to.value
                incident.confirmation_proposed_by = None
                current = verdict.to
            incident.version += 1
            session.flush()
            audit.record(
                session, who, "incident.propose" if verdict.is_proposal else "incident.review", "incident", incident.id,
                {"from": event.from_status, "to": event.to_status, "kind": event.kind, "rationale": event.rationale, "event_id": event.id},
            )
            events.append(event)
    return events


def withdraw_proposal(ctx: Context, incident_id: str, *, rationale: str = "") -> None:
    """Take back a pending four-eyes proposal (its author or anyone with a reason)."""
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        if incident.confirmation_proposed_by is None:
            return
        proposer = incident.confirmation_proposed_by
        incident.confirmation_proposed_by = None
        incident.version += 1
        audit.record(session, ctx.actor, "incident.withdraw_proposal", "incident", incident.id, {"proposed_by": proposer, "rationale": rationale})


def history(ctx: Context, incident_id: str) -> list[ReviewEvent]:
    with ctx.store.read() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        return list(session.scalars(select(ReviewEvent).where(ReviewEvent.incident_id == incident.id).order_by(ReviewEvent.created_at)))
