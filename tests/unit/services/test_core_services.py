"""Services: cases, vessels, incidents, attaching evidence, review, tags and verify."""

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from evidence_app.domain.errors import Cancelled, NotFound, ValidationError
from evidence_app.domain.progress import CancelToken
from evidence_app.services import cases, evidence, incident_queries, incidents, review, tags, vessels
from evidence_app.services.context import Context
from evidence_app.services.verify import verify_store
from evidence_app.storage import audit
from evidence_app.storage.models import AuditEntry, Evidence, IncidentEvidence


def actions(store):
    with store.read() as session:
        return [e.action for e in audit.iter_entries(session)]


@pytest.mark.backends
def test_sample_case_is_audited(ctx, sample_case):
    assert actions(ctx.store) == ["case.create", "vessel.create", "vessel.create", "incident.create"]
    _, incident = sample_case
    rows = incident_queries.list_incidents(ctx)
    assert [r.vessels for r in rows] == ["CHON MA SAN, NEW REGENT"]


def test_duplicate_imo_is_refused(ctx, sample_case):
    with pytest.raises(ValidationError, match="already exists"):
        vessels.add_vessel(ctx, imo=9123453, name="OTHER")


def test_vessel_needs_an_identifier(ctx):
    with pytest.raises(ValidationError, match="at least a name or observed markings, an IMO number or an MMSI"):
        vessels.add_vessel(ctx, flag="Togo")


def test_mmsi_gives_flag_hint(ctx):
    v = vessels.add_vessel(ctx, mmsi=445999000)
    assert v.flag == "North Korea"


def test_incident_window_and_position_are_checked(ctx, sample_case):
    case, incident = sample_case
    with pytest.raises(ValidationError, match="before start"):
        incidents.add_incident(
            ctx, case.id, start_utc=datetime(2019, 3, 2, tzinfo=UTC), end_utc=datetime(2019, 3, 1, tzinfo=UTC)
        )
    with pytest.raises(ValidationError, match="latitude 95"):
        incidents.update_incident(ctx, incident.id, lat=95.0)
    with pytest.raises(NotFound):
        incidents.add_incident(
            ctx,
            case.id,
            start_utc=datetime(2019, 3, 2, tzinfo=UTC),
            participants=[incidents.ParticipantSpec("9999993", "supplier")],
        )
    assert len(incident_queries.list_incidents(ctx)) == 1  # nothing half-written


def test_update_returns_diff_and_bumps_version(ctx, sample_case):
    _, incident = sample_case
    diff = incidents.update_incident(ctx, incident.id, title="Renamed", radius_m=500)
    assert diff == {"title": ["STS south of Dalian", "Renamed"]}
    assert incident_queries.get_incident(ctx, incident.id).version == 2
    assert incidents.update_incident(ctx, incident.id, title="Renamed") == {}
    assert actions(ctx.store)[-1] == "incident.update"


@pytest.mark.backends
def test_attach_same_file_twice_is_stored_once(ctx, sample_case, shared_data, tmp_path):
    case, incident = sample_case
    other = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 4, 1, tzinfo=UTC), lat=37.0, lon=124.0)
    photo = shared_data / "imagery" / "exif_gps_photo.jpg"
    copy = tmp_path / "renamed.jpg"
    shutil.copy(photo, copy)
    first = evidence.attach_files(ctx, incident.id, [photo])
    again = evidence.attach_files(ctx, incident.id, [copy])
    third = evidence.attach_files(ctx, other.id, [photo])
    assert len(first.attached) == 1 and again.already_linked == first.attached
    assert third.attached == first.attached
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 1
        assert session.scalar(select(func.count()).select_from(IncidentEvidence)) == 2
        ev = session.scalars(select(Evidence)).one()
        assert ev.kind == "photo" and ev.media_type == "image/jpeg"
    assert len(list(ctx.store.objects.iter_objects())) == 1
    assert incident_queries.get_incident(ctx, incident.id).evidence_count == 1


@pytest.mark.backends
def test_cancelled_attach_writes_nothing(ctx, sample_case, tmp_path):
    _, incident = sample_case
    files = []
    for i in range(3):
        f = tmp_path / f"f{i}.bin"
        f.write_bytes(bytes([i]) * 2_000_000)
        files.append(f)
    token = CancelToken()

    def progress(done, total, message=""):
        if message.startswith("3/"):
            token.cancel()

    before = actions(ctx.store)
    with pytest.raises(Cancelled):
        evidence.attach_files(ctx, incident.id, files, progress=progress, cancel=token)
    assert actions(ctx.store) == before
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert verify_store(ctx.store).ok


def test_attach_missing_file_writes_nothing(ctx, sample_case, tmp_path):
    _, incident = sample_case
    good = tmp_path / "good.txt"
    good.write_text("ok")
    with pytest.raises(Exception, match="missing.txt"):
        evidence.attach_files(ctx, incident.id, [good, tmp_path / "missing.txt"])
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0


@pytest.mark.backends
def test_confirm_flow_with_rules(ctx, sample_case, shared_data):
    _, incident = sample_case
    with pytest.raises(ValidationError, match="supporting evidence"):
        review.review(ctx, incident.id, "confirmed", rationale="looks right")
    evidence.attach_files(ctx, incident.id, [shared_data / "imagery" / "exif_gps_photo.jpg"])
    n_before = len(actions(ctx.store))
    with pytest.raises(ValidationError, match="needs a rationale"):
        review.review(ctx, incident.id, "confirmed")
    assert len(actions(ctx.store)) == n_before  # the implied 'under review' step was rolled back too
    events = review.review(ctx, incident.id, "confirmed", rationale="hulls alongside")
    assert [(e.from_status, e.to_status) for e in events] == [
        ("suspected", "under_review"),
        ("under_review", "confirmed"),
    ]
    assert incident_queries.get_incident(ctx, incident.id).status == "confirmed"
    with pytest.raises(ValidationError, match="re-opening"):
        review.review(ctx, incident.id, "under_review")
    review.review(ctx, incident.id, "under_review", rationale="new imagery contradicts")
    assert [e.to_status for e in review.history(ctx, incident.id)] == ["under_review", "confirmed", "under_review"]


@pytest.mark.backends
def test_four_eyes(ctx, shared_data):
    case = cases.create_case(ctx, "Four eyes", four_eyes=True)
    inc = incidents.add_incident(ctx, case.id, start_utc=datetime(2020, 1, 1, tzinfo=UTC), lat=30, lon=125)
    evidence.attach_files(ctx, inc.id, [shared_data / "imagery" / "exif_gps_photo.jpg"])
    review.review(ctx, inc.id, "confirmed", rationale="alongside", reviewer="alice")
    assert incident_queries.get_incident(ctx, inc.id).status == "under_review"
    waiting = incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(awaiting_reviewer="bob"))
    assert [r.id for r in waiting] == [inc.id]
    assert incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(awaiting_reviewer="alice")) == []
    with pytest.raises(ValidationError, match="different reviewer"):
        review.review(ctx, inc.id, "confirmed", rationale="again", reviewer="alice")
    review.review(ctx, inc.id, "confirmed", rationale="agree", reviewer="bob")
    assert incident_queries.get_incident(ctx, inc.id).status == "confirmed"


@pytest.mark.backends
def test_filters(ctx, sample_case):
    case, incident = sample_case
    other_case = cases.create_case(ctx, "Other")
    far = incidents.add_incident(
        ctx, other_case.id, start_utc=datetime(2021, 6, 1, tzinfo=UTC), lat=-10, lon=179.5, title="Pacific coal"
    )
    tags.tag_incident(ctx, far.id, " Coal ")

    def ids(**kw):
        return [r.id for r in incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(**kw))]

    assert ids(case_id=case.id[:8]) == [incident.id]
    assert ids(vessel="9216470") == [incident.id]
    assert ids(vessel="445123000") == [incident.id]
    assert ids(vessel="regent") == [incident.id]
    assert ids(since=datetime(2020, 1, 1, tzinfo=UTC)) == [far.id]
    assert ids(until=datetime(2020, 1, 1, tzinfo=UTC)) == [incident.id]
    assert ids(bbox=(170, -20, -170, 0)) == [far.id]  # across the antimeridian
    assert ids(bbox=(120, 30, 130, 40)) == [incident.id]
    assert ids(text="coal") == [far.id]
    assert ids(tags=["coal"]) == [far.id]
    assert ids(statuses=["suspected"], descending=True) == [far.id, incident.id]
    assert tags.all_tags(ctx) == ["coal"]
    assert incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(tags=["coal"]))[0].tags == "coal"


def test_verify_names_a_changed_file(ctx, sample_case, shared_data):
    _, incident = sample_case
    evidence.attach_files(ctx, incident.id, [shared_data / "imagery" / "exif_gps_photo.jpg"])
    assert verify_store(ctx.store).ok
    with ctx.store.read() as session:
        ev = session.scalars(select(Evidence)).one()
    path = ctx.store.objects.path_for(ev.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify_store(ctx.store)
    assert not report.ok
    assert ev.id in report.problems[0] and "exif_gps_photo.jpg" in report.problems[0]


def test_actor_is_recorded(store):
    alice = Context(store, "alice")
    cases.create_case(alice, "By alice")
    with store.read() as session:
        assert session.scalars(select(AuditEntry.actor)).all() == ["alice"]


@pytest.mark.backends
def test_text_filter_ignores_case_and_treats_wildcards_literally(ctx, sample_case):
    case, incident = sample_case
    incidents.update_incident(ctx, incident.id, assessment="100% match on hull form")
    other = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 5, 1, tzinfo=UTC), title="Dalian_North")

    def ids(text):
        return [r.id for r in incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(text=text))]

    assert ids("DALIAN") == [incident.id, other.id]
    assert ids("100%") == [incident.id]
    assert ids("dalia_") == []  # "_" is not a wildcard (else it would match "Dalian")
    assert ids("an_n") == [other.id]


def test_bad_relation_is_refused_by_name(ctx, sample_case, tmp_path):
    _, incident = sample_case
    f = tmp_path / "note.txt"
    f.write_text("x")
    with pytest.raises(ValidationError) as err:
        evidence.attach_files(ctx, incident.id, [f], relation="maybe")
    assert err.value.field == "relation" and "expected supports or contradicts" in str(err.value)
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
