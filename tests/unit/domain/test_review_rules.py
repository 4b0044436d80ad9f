"""The review workflow's transitions and decision rules."""

import pytest

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.review import ReviewContext, Status, judge_step, parse_status, path_to


def ctx(current, support=1, four_eyes=False, proposed_by=None):
    return ReviewContext(Status(current), support, four_eyes, proposed_by)


def test_confirming_a_suspected_incident_goes_through_review():
    assert path_to(Status.SUSPECTED, Status.CONFIRMED) == [Status.UNDER_REVIEW, Status.CONFIRMED]


def test_cannot_jump_from_a_decision_to_another_decision():
    with pytest.raises(ValidationError, match="allowed next steps are under review"):
        path_to(Status.CONFIRMED, Status.REJECTED)


def test_confirm_needs_rationale_and_support():
    with pytest.raises(ValidationError, match="needs a rationale"):
        judge_step(ctx("under_review"), Status.CONFIRMED, "a", "  ")
    with pytest.raises(ValidationError, match="at least one supporting evidence"):
        judge_step(ctx("under_review", support=0), Status.CONFIRMED, "a", "because")
    assert judge_step(ctx("under_review"), Status.CONFIRMED, "a", "because").to == Status.CONFIRMED


def test_reopening_needs_rationale():
    with pytest.raises(ValidationError, match="re-opening"):
        judge_step(ctx("rejected"), Status.UNDER_REVIEW, "a", "")
    assert judge_step(ctx("rejected"), Status.UNDER_REVIEW, "a", "new imagery").to == Status.UNDER_REVIEW


def test_four_eyes_first_confirmation_is_a_proposal_second_must_differ():
    first = judge_step(ctx("under_review", four_eyes=True), Status.CONFIRMED, "alice", "ok")
    assert first.is_proposal
    with pytest.raises(ValidationError, match="different reviewer"):
        judge_step(ctx("under_review", four_eyes=True, proposed_by="alice"), Status.CONFIRMED, "alice", "ok")
    second = judge_step(ctx("under_review", four_eyes=True, proposed_by="alice"), Status.CONFIRMED, "bob", "ok")
    assert second == type(second)(Status.CONFIRMED, False)


def test_status_parsing_is_forgiving_but_strict():
    assert parse_status("Under Review") == Status.UNDER_REVIEW
    with pytest.raises(ValidationError, match="expected one of"):
        parse_status("done")
