"""What the desk's attach and map rely on: images through photo import (all or nothing with plain
files), a photo's length check against one incident's vessels, and the case map kept in step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from evidence_app.domain.errors import UserError
from evidence_app.services import (
    demo,
    incident_queries,
    photo_annotations,
    photo_handle,
    photo_import,
    placement,
)
from evidence_app.services.map_data import CaseMap
from evidence_app.storage.models import AuditEntry, Evidence, IncidentEvidence


def _png(path, world=True):
    Image.new("RGB", (120, 80), (20, 60, 90)).save(path)
    if world:
        path.with_suffix(".pgw").write_text("0.0001\n0\n0\n-0.0001\n123.40005\n31.09995\n")
    return path


def _count(store, model):
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_attach_routes_images_through_photo_import(ctx, sample_case, tmp_path):
    _, incident = sample_case
    image = _png(tmp_path / "sighting.png")
    text = tmp_path / "note.txt"
    text.write_text("statement")
    steps = []
    result = photo_import.attach_files(
        ctx, incident.id, [image, text], progress=lambda d, t, m: steps.append((d, t, m))
    )
    assert len(result.attached) == 2 and result.new_files == 2
    with ctx.store.read() as s:
        photo = s.scalar(select(Evidence).where(Evidence.original_name == "sighting.png"))
        plain = s.scalar(select(Evidence).where(Evidence.original_name == "note.txt"))
        assert photo.kind == "photo" and photo.meta["image"]["width"] == 120 and photo.footprint["type"] == "Polygon"
        assert plain.kind == "document" and "image" not in (plain.meta or {})
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "photo.import")) == 1
    assert photo_handle.PhotoHandle(ctx, photo.id).pyramid is not None
    assert steps[-1][0] == steps[-1][1] and any("sighting.png" in m for _d, _t, m in steps)
    # Again: nothing new, both reported as already attached.
    again = photo_import.attach_files(ctx, incident.id, [image, text])
    assert again.attached == [] and len(again.already_linked) == 2 and again.new_files == 0


def test_a_bad_image_refuses_the_whole_attach(ctx, sample_case, tmp_path):
    _, incident = sample_case
    good = _png(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(good.read_bytes()[:100])
    text = tmp_path / "note.txt"
    text.write_text("statement")
    audit_before = _count(ctx.store, AuditEntry)
    with pytest.raises(UserError) as caught:
        photo_import.attach_files(ctx, incident.id, [text, good, bad])
    assert "bad.png" in str(caught.value)
    assert _count(ctx.store, Evidence) == 0 and _count(ctx.store, IncidentEvidence) == 0
    assert _count(ctx.store, AuditEntry) == audit_before


def test_length_check_uses_the_given_incidents_vessels(ctx, tmp_path):
    (tmp_path / "demo").mkdir()
    case_id = demo.create_demo_case(ctx, tmp_path / "demo")
    rows = {r.title: r for r in incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(case_id=case_id))}
    coal = rows["Coal transfer report, Ningbo anchorage"]
    with ctx.store.read() as s:
        photo_id = s.scalar(select(Evidence.id).where(Evidence.kind == "photo"))
    from evidence_app.services import evidence

    evidence.relink(ctx, coal.id, photo_id)  # the photo now also belongs to the coal incident
    line = [[0, 0], [172, 0]]
    everyone = {c.vessel.split(" (")[0] for c in photo_annotations.length_check(ctx, photo_id, line).comparisons}
    assert everyone == {"SONGHAE 7", "HAI RUN 16", "EAST GLORY"}
    coal_only = photo_annotations.length_check(ctx, photo_id, line, incident_id=coal.id)
    assert {c.vessel.split(" (")[0] for c in coal_only.comparisons} == {"HAI RUN 16", "EAST GLORY"}


def test_case_map_follows_filter_and_edits(ctx, tmp_path):
    (tmp_path / "demo").mkdir()
    case_id = demo.create_demo_case(ctx, tmp_path / "demo")
    case_map = CaseMap(ctx)
    case_map.load_case(case_id)
    assert len(case_map.data.incidents) == 3 and len(case_map.data.tracks) == 2
    [overlay] = case_map.data.overlays.values()
    south, west, north, east = overlay.bounds
    assert south < demo.MEET_LAT < north and west < demo.MEET_LON < east
    assert case_map("/overlay/" + overlay.id + ".png", {}).body.startswith(b"\x89PNG")
    assert case_map.apply_filter(incident_queries.IncidentFilter(case_id=case_id, statuses=["confirmed"])) == 1
    assert (
        case_map.apply_filter(incident_queries.IncidentFilter(case_id=case_id, since=datetime(2024, 5, 1, tzinfo=UTC)))
        == 2
    )
    shown = next(iter(case_map.data.incidents))
    placement.place_incident(ctx, shown, 30.0, 124.0)
    feature = case_map.refresh_incident(shown)
    assert feature["geometry"]["coordinates"] == [124.0, 30.0]
    hidden = next(i for i in case_map.all_incidents if i not in case_map.data.incidents)
    assert case_map.refresh_incident(hidden) is None  # filtered out: not drawn
    south, west, north, east = case_map.bounds()
    assert south <= 29.95 and north >= 32.4 and west <= 122.25 and east >= 124.6
