"""Services the review desk added: delete (undo of add), re-create by id, revert a review,
timeline counts, claimed identity validation and thumbnails."""

from datetime import UTC, datetime

import pytest
from PIL import Image

from evidence_app.domain.errors import ValidationError
from evidence_app.services import evidence, incident_queries, incidents, review, tags
from evidence_app.services.thumbnails import thumbnail_png
from evidence_app.storage import audit


def actions(store):
    with store.read() as session:
        return [(e.action, e.entity_id) for e in audit.iter_entries(session)]


def test_delete_then_recreate_under_the_same_id(ctx, sample_case):
    case, incident = sample_case
    tags.tag_incident(ctx, incident.id, "coal")
    before = incidents.delete_incident(ctx, incident.id)
    assert before["title"] == "STS south of Dalian" and before["tags"] == ["coal"]
    assert incident_queries.count_incidents(ctx, incident_queries.IncidentFilter()) == 0
    assert actions(ctx.store)[-1] == ("incident.delete", incident.id)
    again = incidents.add_incident(ctx, case.id, start_utc=incident.start_utc, title="again", incident_id=incident.id)
    assert again.id == incident.id
    with pytest.raises(ValidationError, match="already exists"):
        incidents.add_incident(ctx, case.id, start_utc=incident.start_utc, incident_id=incident.id)


def test_reviewed_incident_is_never_deleted(ctx, sample_case):
    _, incident = sample_case
    review.review(ctx, incident.id, "under_review")
    with pytest.raises(ValidationError, match="never deleted"):
        incidents.delete_incident(ctx, incident.id)


def test_revert_a_confirmation_records_reverse_steps(ctx, sample_case, tmp_path):
    _, incident = sample_case
    photo = tmp_path / "p.bin"
    photo.write_bytes(b"photo bytes")
    evidence.attach_files(ctx, incident.id, [photo])
    review.review(ctx, incident.id, "confirmed", rationale="hulls alongside")
    events = review.revert(
        ctx, incident.id, expected_status="confirmed", to_status="suspected", rationale="undo: confirmed"
    )
    assert [(e.from_status, e.to_status) for e in events] == [
        ("confirmed", "under_review"),
        ("under_review", "suspected"),
    ]
    hist = review.history(ctx, incident.id)
    assert [(e.from_status, e.to_status) for e in hist] == [
        ("suspected", "under_review"),
        ("under_review", "confirmed"),
        ("confirmed", "under_review"),
        ("under_review", "suspected"),
    ]
    assert incident_queries.get_incident(ctx, incident.id).status == "suspected"


def test_revert_refuses_when_someone_moved_the_incident(ctx, sample_case):
    _, incident = sample_case
    review.review(ctx, incident.id, "under_review")
    review.review(ctx, incident.id, "rejected", rationale="fishing vessels")
    with pytest.raises(ValidationError, match="someone changed it"):
        review.revert(ctx, incident.id, expected_status="under_review", to_status="suspected", rationale="undo")
    with pytest.raises(ValidationError, match="rationale"):
        review.revert(ctx, incident.id, expected_status="rejected", to_status="under_review", rationale=" ")


def test_timeline_counts_per_day_and_status(ctx, sample_case):
    case, incident = sample_case
    incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, 20, tzinfo=UTC))
    incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 4, 2, 1, tzinfo=UTC))
    review.review(ctx, incident.id, "under_review")
    days = incident_queries.timeline(
        ctx, incident_queries.IncidentFilter(case_id=case.id, since=datetime(2030, 1, 1, tzinfo=UTC))
    )
    assert sorted(days) == [
        ("2019-03-11", "suspected", 1),
        ("2019-03-11", "under_review", 1),
        ("2019-04-02", "suspected", 1),
    ]
    months = incident_queries.timeline(ctx, incident_queries.IncidentFilter(statuses=["suspected"]), bucket="month")
    assert months == [("2019-03", "suspected", 1), ("2019-04", "suspected", 1)]
    first, last = incident_queries.time_span(ctx, case.id)
    assert first == datetime(2019, 3, 11, 14, tzinfo=UTC) and last == datetime(2019, 4, 2, 1, tzinfo=UTC)


def test_claimed_imo_is_checked_with_expected_digit(ctx, sample_case):
    _, incident = sample_case
    with pytest.raises(ValidationError, match="expected 3 as the last digit") as err:
        incidents.set_participant(ctx, incident.id, "9123453", "receiver", claimed_imo="9123450")
    assert err.value.field == "claimed_imo"
    part = incidents.set_participant(
        ctx, incident.id, "9123453", "receiver", claimed_imo="IMO 9123453", claimed_name=" KUM UN "
    )
    assert part.claimed_imo == 9123453 and part.claimed_name == "KUM UN"


def test_thumbnail_of_an_image_and_of_a_document(ctx, tmp_path):
    img = tmp_path / "sea.png"
    Image.new("RGB", (400, 200), (10, 40, 90)).save(img)
    doc = tmp_path / "note.txt"
    doc.write_text("not an image")
    with ctx.store.write() as session:
        photo = evidence.add_file(session, ctx, img)
        text = evidence.add_file(session, ctx, doc)
    png = thumbnail_png(ctx, photo.sha256, photo.media_type, size=64)
    assert png is not None and png.startswith(b"\x89PNG")
    import io

    assert Image.open(io.BytesIO(png)).size == (64, 32)
    assert thumbnail_png(ctx, text.sha256, text.media_type) is None


@pytest.mark.backends
def test_position_of_matches_the_listed_order(ctx, sample_case):
    case, first = sample_case
    made = [
        incidents.add_incident(
            ctx,
            case.id,
            start_utc=datetime(2019, 3, d, tzinfo=UTC),
            title=t,
            lat=None if d == 5 else 30.0 + d,
            lon=None if d == 5 else 120.0,
        )
        for d, t in ((1, "b"), (20, "a"), (5, "c"), (11, "d"))
    ]
    for order in ("start_utc", "title", "lat"):
        for descending in (False, True):
            flt = incident_queries.IncidentFilter(case_id=case.id, order=order, descending=descending)
            listed = [r.id for r in incident_queries.list_incidents(ctx, flt)]
            for inc in [first, *made]:
                assert incident_queries.position_of(ctx, flt, inc.id) == listed.index(inc.id), (order, descending)
    assert (
        incident_queries.position_of(
            ctx, incident_queries.IncidentFilter(case_id=case.id, statuses=["confirmed"]), first.id
        )
        is None
    )


def test_setting_a_participant_to_what_it_already_is_changes_nothing(ctx, sample_case, store):
    """A repeated edit (the same role twice, as a second click or a merged file gives) is a no-op:
    no audit entry, no version bump. It used to bump the version unaudited and crash the commit."""
    _, incident = sample_case
    incidents.set_participant(ctx, incident.id, "9123453", "receiver")
    with store.read() as s:
        before = (len(list(audit.iter_entries(s))), incident_queries.get_incident(ctx, incident.id).version)
    incidents.set_participant(ctx, incident.id, "9123453", "receiver")
    with store.read() as s:
        assert (len(list(audit.iter_entries(s))), incident_queries.get_incident(ctx, incident.id).version) == before
