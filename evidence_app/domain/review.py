"""The review workflow: statuses, allowed transitions and the rules for each decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from evidence_app.domain.errors import ValidationError


class Status(StrEnum):
    SUSPECTED = "suspected"
    UNDER_REVIEW = "under_review"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    INCONCLUSIVE = "inconclusive"
    # A machine detection triaged as a false positive, with a reason; hidden from the default
    # list and never re-created by a later detection run (services/detect._existing_incident).
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


DECISIONS = frozenset({Status.CONFIRMED, Status.REJECTED, Status.INCONCLUSIVE})

# Why a detection is dismissed (Skylight-style triage); the first word of the rationale.
DISMISS_REASONS = ("anchorage", "port", "fishing", "duplicate", "other")

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUSPECTED: frozenset({Status.UNDER_REVIEW, Status.DISMISSED}),
    Status.DISMISSED: frozenset({Status.SUSPECTED}),
    Status.UNDER_REVIEW: DECISIONS | {Status.SUSPECTED},
    Status.CONFIRMED: frozenset({Status.UNDER_REVIEW}),
    Status.REJECTED: frozenset({Status.UNDER_REVIEW}),
    Status.INCONCLUSIVE: frozenset({Status.UNDER_REVIEW}),
}


def parse_status(text: str) -> Status:
    normalised = text.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Status(normalised)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ValidationError(f"unknown status {text!r}: expected one of {allowed}", field="status") from None


def allowed_next(current: Status) -> list[Status]:
    """The statuses a reviewer may move to from ``current``, in workflow order."""
    return [s for s in Status if s in TRANSITIONS[current]]


def path_to(current: Status, target: Status) -> list[Status]:
    """The steps from ``current`` to ``target``: one, or two through 'under review'.

    A reviewer who confirms a suspected incident implicitly starts its review; both steps
    are recorded. Anything further is refused.
    """
    if target == current:
        raise ValidationError(f"the incident is already {current.label}", field="status")
    if target in TRANSITIONS[current]:
        return [target]
    # Only a suspected incident may be decided in one go; a decision is re-opened explicitly,
    # with its own rationale.
    if current == Status.SUSPECTED and target in TRANSITIONS[Status.UNDER_REVIEW]:
        return [Status.UNDER_REVIEW, target]
    allowed = ", ".join(s.label for s in allowed_next(current))
    raise ValidationError(
        f"cannot move from {current.label} to {target.label}: allowed next steps are {allowed}",
        field="status",
    )


@dataclass(frozen=True)
class ReviewContext:
    """What the rules need to know about an incident to judge a transition."""

    current: Status
    supporting_evidence: int
    four_eyes: bool
    proposed_by: str | None


@dataclass(frozen=True)
class Verdict:
    """The outcome of a requested transition: a real move, or a four-eyes proposal."""

    to: Status
    is_proposal: bool = False


def judge_step(ctx: ReviewContext, target: Status, reviewer: str, rationale: str) -> Verdict:
    """Check one step against the rules; raise a ValidationError that says which rule."""
    if target not in TRANSITIONS[ctx.current]:
        allowed = ", ".join(s.label for s in allowed_next(ctx.current))
        raise ValidationError(
            f"cannot move from {ctx.current.label} to {target.label}: allowed next steps are {allowed}",
            field="status",
        )
    has_rationale = bool(rationale.strip())
    if ctx.current in DECISIONS and not has_rationale:
        raise ValidationError(f"re-opening a {ctx.current.label} incident needs a rationale", field="rationale")
    if target in DECISIONS and not has_rationale:
        raise ValidationError(f"marking an incident {target.label} needs a rationale", field="rationale")
    if target == Status.DISMISSED:
        dismissal_reason(rationale)  # the rationale starts with one of DISMISS_REASONS
    if ctx.current == Status.DISMISSED and not has_rationale:
        raise ValidationError("restoring a dismissed detection needs a rationale", field="rationale")
    if target == Status.CONFIRMED:
        if ctx.supporting_evidence < 1:
            raise ValidationError(
                "confirming needs at least one supporting evidence item attached to the incident",
                field="evidence",
            )
        if ctx.four_eyes:
            if ctx.proposed_by is None:
                return Verdict(Status.CONFIRMED, is_proposal=True)
            if ctx.proposed_by == reviewer:
                raise ValidationError(
                    f"this case requires four eyes: {reviewer} proposed the confirmation, so a"
                    " different reviewer must confirm it",
                    field="reviewer",
                )
    return Verdict(target)


def dismissal_rationale(reason: str, note: str = "") -> str:
    """The rationale recorded for a dismissal: ``"<reason>: <note>"`` (the reason checked)."""
    reason = reason.strip().lower()
    if reason not in DISMISS_REASONS:
        raise ValidationError(
            f"unknown dismissal reason {reason!r}: expected one of {', '.join(DISMISS_REASONS)}", field="reason"
        )
    note = note.strip()
    return f"{reason}: {note}" if note else reason


def dismissal_reason(rationale: str) -> str:
    """The reason a dismissal's rationale starts with; refuses a rationale without one."""
    head = rationale.strip().split(":", 1)[0].strip().lower()
    if head not in DISMISS_REASONS:
        raise ValidationError(
            f"dismissing a detection needs a reason: one of {', '.join(DISMISS_REASONS)}", field="reason"
        )
    return head
