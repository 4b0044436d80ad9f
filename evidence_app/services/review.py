"""Reviewing incidents: status changes under the workflow rules, with their history."""

from __future__ import annotations

from sqlalchemy import select

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.limits import check_name, check_text
from evidence_app.domain.review import (
    TRANSITIONS,
    ReviewContext,
    Status,
    dismissal_rationale,
    judge_step,
    parse_status,
    path_to,
)
from evidence_app.services.context import Context
from evidence_app.services.evidence import supporting_count
from evidence_app.services.record_edits import ANY_BASE, check_version, conflicts_audited, resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Case, Incident, ReviewEvent


def review(
    ctx: Context,
    incident_id: str,
    status: str,
    *,
    rationale: str = "",
    reviewer: str | None = None,
    expected_version: int | None = None,
    base_status: str | None = None,
) -> list[ReviewEvent]:
    """Move an incident toward ``status``; returns the events recorded (one or two).

    Every step is checked before anything is written, so a refused step leaves no trace.
    In a four-eyes case, the first reviewer's "confirmed" is recorded as a proposal and
    the incident stays under review until a different reviewer confirms it.
    ``expected_version`` is the incident version the decision was based on: if the
    incident changed since (and, given ``base_status``, its status is no longer that one),
    the decision is refused with a ``ConflictError`` and the refusal is audited.
    """
    who = check_name((reviewer or ctx.actor).strip(), field="reviewer")
    check_text(rationale, field="rationale")
    target = parse_status(status) if isinstance(status, str) else Status(status)
    events: list[ReviewEvent] = []
    with conflicts_audited(ctx.as_actor(who), "incident.review"), ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        check_version(
            session,
            entity="incident",
            record_id=incident.id,
            label=incident.title or "untitled",
            current_version=incident.version,
            current={"status": incident.status},
            wanted={"status": target.value},
            expected_version=expected_version,
            base=ANY_BASE if base_status is None else {"status": parse_status(base_status).value},
        )
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
                session,
                who,
                "incident.propose" if verdict.is_proposal else "incident.review",
                "incident",
                incident.id,
                {
                    "from": event.from_status,
                    "to": event.to_status,
                    "kind": event.kind,
                    "rationale": event.rationale,
                    "event_id": event.id,
                },
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
        audit.record(
            session,
            ctx.actor,
            "incident.withdraw_proposal",
            "incident",
            incident.id,
            {"proposed_by": proposer, "rationale": rationale},
        )


def history(ctx: Context, incident_id: str) -> list[ReviewEvent]:
    with ctx.store.read() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        return list(
            session.scalars(
                select(ReviewEvent).where(ReviewEvent.incident_id == incident.id).order_by(ReviewEvent.created_at)
            )
        )


def revert(
    ctx: Context, incident_id: str, *, expected_status: str, to_status: str, rationale: str
) -> list[ReviewEvent]:
    """Undo a review decision by recording the reverse transition(s); history is never rewritten.

    ``expected_status`` is the status the decision left the incident in: if someone has
    moved it since, the revert is refused rather than overriding their decision. The
    reverse path goes through "under review" (a decision is re-opened, then sent back to
    suspected), each step checked against the same rules as a forward decision. A pending
    four-eyes proposal is not a status change: undo it with ``withdraw_proposal``.
    """
    if not rationale.strip():
        raise ValidationError("an undo of a review decision needs a rationale", field="rationale")
    expected = parse_status(expected_status)
    target = parse_status(to_status)
    events: list[ReviewEvent] = []
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        case = session.get(Case, incident.case_id)
        assert case is not None
        current = Status(incident.status)
        if current != expected:
            raise ValidationError(
                f"the incident is now {current.label}, not {expected.label}: someone changed it since; undo refused",
                field="status",
            )
        if target == current:
            return events
        steps = [target] if target in TRANSITIONS[current] else [Status.UNDER_REVIEW, target]
        support = supporting_count(session, incident.id)
        for step in steps:
            verdict = judge_step(
                ReviewContext(current, support, case.four_eyes, incident.confirmation_proposed_by),
                step,
                ctx.actor,
                rationale,
            )
            if verdict.is_proposal:
                raise ValidationError(
                    "undo cannot confirm in a four-eyes case: confirm it again instead", field="status"
                )
            event = ReviewEvent(
                incident_id=incident.id,
                from_status=current.value,
                to_status=step.value,
                kind="transition",
                reviewer=ctx.actor,
                rationale=rationale,
            )
            session.add(event)
            incident.status = step.value
            incident.confirmation_proposed_by = None
            incident.version += 1
            session.flush()
            audit.record(
                session,
                ctx.actor,
                "incident.review",
                "incident",
                incident.id,
                {
                    "from": event.from_status,
                    "to": event.to_status,
                    "kind": event.kind,
                    "rationale": rationale,
                    "event_id": event.id,
                    "revert": True,
                },
            )
            events.append(event)
            current = step
    return events


def known_reviewers(ctx: Context) -> list[str]:
    """Everyone who has acted on this store (its audit log and review history), the acting
    reviewer included: the choices of the desk's Switch Reviewer dialog."""
    from evidence_app.storage.models import AuditEntry

    with ctx.store.read() as session:
        names = set(session.scalars(select(AuditEntry.actor).distinct()))
        names |= set(session.scalars(select(ReviewEvent.reviewer).distinct()))
    names.add(ctx.actor)
    return sorted((n for n in names if n and n.strip()), key=str.casefold)


def reviewer_name(value: str) -> str:
    """A reviewer name as typed (desk or ``--reviewer``): one line, not empty."""
    name = check_name(value.strip(), field="reviewer")
    if not name:
        raise ValidationError("a reviewer name is required", field="reviewer")
    return name


def dismiss_detection(
    ctx: Context, incident_id: str, reason: str, *, note: str = "", expected_version: int | None = None
) -> list[ReviewEvent]:
    """Triage a suspected incident as a false positive (anchorage, port, fishing, duplicate, other).

    It stays in the store, audited like every review step, hidden from the default list; a
    later detection run finds it (same vessels, overlapping time) and does not add it again.
    ``review(..., "suspected")`` with a rationale restores it.
    """
    return review(
        ctx,
        incident_id,
        Status.DISMISSED.value,
        rationale=dismissal_rationale(reason, note),
        expected_version=expected_version,
    )
