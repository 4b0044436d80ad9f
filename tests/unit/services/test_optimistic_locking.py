"""Optimistic locking: a save based on a version that is no longer current is refused, named and audited."""

import json

import pytest

from evidence_app.domain.errors import ConflictError
from evidence_app.services import cases, evidence, incident_queries, incidents, placement, review, vessels
from evidence_app.services.context import Context
from evidence_app.services.record_edits import BASE_ONLY
from evidence_app.storage import audit

pytestmark = pytest.mark.backends


def entries(store, entity_id):
    with store.read() as session:
        return [(e.actor, e.action, json.loads(e.payload)) for e in audit.iter_entries(session, entity_id=entity_id)]


def test_second_save_on_the_same_version_is_a_conflict_naming_both_values_and_who(ctx, sample_case):
    _, incident = sample_case
    bob = Context(ctx.store, "bob")
    base = incident_queries.get_incident(ctx, incident.id).version
    first = incidents.update_incident(bob, incident.id, expected_version=base, title="Bob title")
    assert first.version == base + 1
    with pytest.raises(ConflictError) as caught:
        incidents.update_incident(ctx, incident.id, expected_version=base, title="Alice title")
    exc = caught.value
    assert exc.fields == {"title": ("Alice title", "Bob title")}
    assert (exc.expected_version, exc.current_version, exc.changed_by) == (base, base + 1, "bob")
    assert str(exc).startswith(f"title: incident {incident.id[:8]} (Bob title) was changed by bob at ")
    assert "title: you wanted 'Alice title', it is now 'Bob title'" in str(exc)
    assert incident_queries.get_incident(ctx, incident.id).title == "Bob title"  # nothing overwritten
    # Both attempts are on record: bob's update and alice's refused one.
    actor, action, payload = entries(ctx.store, incident.id)[-1]
    assert (actor, action) == ("analyst-a", "edit-conflict")
    assert payload["fields"] == {"title": {"wanted": "Alice title", "current": "Bob title"}}
    assert payload["attempted"] == "incident.update" and payload["changed_by"] == "bob"
    assert entries(ctx.store, incident.id)[-2][:2] == ("bob", "incident.update")


def test_without_an_expected_version_the_last_writer_still_wins(ctx, sample_case):
    _, incident = sample_case
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, title="B")
    assert incidents.update_incident(ctx, incident.id, title="A") == {"title": ["B", "A"]}


def test_a_base_lets_edits_of_different_fields_both_land(ctx, sample_case):
    _, incident = sample_case
    base = incident_queries.get_incident(ctx, incident.id)
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, expected_version=base.version, title="B")
    incidents.update_incident(
        ctx, incident.id, expected_version=base.version, base={"radius_m": base.radius_m}, radius_m=900
    )
    now = incident_queries.get_incident(ctx, incident.id)
    assert (now.title, now.radius_m) == ("B", 900)
    with pytest.raises(ConflictError):
        incidents.update_incident(
            ctx, incident.id, expected_version=base.version, base={"title": base.title}, title="A"
        )


def test_review_decisions_based_on_an_old_version_conflict(ctx, sample_case):
    _, incident = sample_case
    version = incident_queries.get_incident(ctx, incident.id).version
    review.review(ctx, incident.id, "under_review", rationale="tip", reviewer="bob", expected_version=version)
    with pytest.raises(ConflictError, match="status: you wanted 'rejected', it is now 'under_review'") as caught:
        review.review(ctx, incident.id, "rejected", rationale="no", expected_version=version)
    assert caught.value.changed_by == "bob"
    assert incident_queries.get_incident(ctx, incident.id).status == "under_review"
    assert [a for _, a, _ in entries(ctx.store, incident.id)][-2:] == ["incident.review", "edit-conflict"]


def test_undo_of_a_placement_never_writes_over_a_colleagues_newer_position(ctx, sample_case):
    _, incident = sample_case
    placed = placement.place_incident(ctx, incident.id, 37.0, 124.0)
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, lat=38.0, lon=125.0)
    with pytest.raises(ConflictError, match="changed by bob"):
        placement.restore(ctx, placed, undo=True)
    now = incident_queries.get_incident(ctx, incident.id)
    assert (now.lat, now.lon) == (38.0, 125.0)


def test_participants_evidence_cases_and_vessels_are_locked_too(ctx, sample_case, tmp_path):
    case, incident = sample_case
    bob = Context(ctx.store, "bob")
    incidents.set_participant(bob, incident.id, "9123453", "supplier")
    with pytest.raises(ConflictError):
        incidents.set_participant(
            ctx,
            incident.id,
            "9123453",
            "escort",
            expected_version=BASE_ONLY,
            base={
                "role": "receiver",
                "claimed_name": "",
                "claimed_flag": "",
                "claimed_mmsi": None,
                "claimed_imo": None,
            },
        )
    with pytest.raises(ConflictError):
        incidents.remove_participant(
            ctx,
            incident.id,
            "9123453",
            expected_version=BASE_ONLY,
            base={
                "role": "receiver",
                "claimed_name": "",
                "claimed_flag": "",
                "claimed_mmsi": None,
                "claimed_imo": None,
            },
        )
    path = tmp_path / "note.txt"
    path.write_text("report")
    item = evidence.attach_files(ctx, incident.id, [path]).attached[0]
    ev = evidence.get_evidence(ctx, item)
    evidence.update_evidence(bob, ev.id, expected_version=ev.version, reliability="B")
    with pytest.raises(ConflictError, match="reliability: you wanted 'C', it is now 'B'"):
        evidence.update_evidence(ctx, ev.id, expected_version=ev.version, reliability="C")
    case_version = cases.get_case(ctx, case.id).version
    cases.update_case(bob, case.id, expected_version=case_version, title="Bob's case")
    with pytest.raises(ConflictError):
        cases.update_case(ctx, case.id, expected_version=case_version, title="Alice's case")
    vessel = vessels.get_vessel(ctx, "9216470")
    vessels.update_vessel(bob, vessel.id, expected_version=vessel.version, flag="Togo")
    with pytest.raises(ConflictError):
        vessels.update_vessel(ctx, vessel.id, expected_version=vessel.version, flag="Panama")
