"""The one picture of an incident (desk detail, `incident show`): frozen, complete, read without a session."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from evidence_app.services import incident_queries, review, tags
from evidence_app.storage import audit
from evidence_app.storage.models import Designation, Vessel


def test_view_holds_everything_the_detail_and_cli_show(ctx, sample_case, tmp_path):
    _case, incident = sample_case
    with ctx.store.write() as s:
        vessel = s.scalar(select(Vessel).where(Vessel.imo == 9123453))
        s.add(Designation(vessel_id=vessel.id, authority="OFAC", program="DPRK3", reference="SDN 1"))
        audit.record(s, ctx.actor, "test.designate", "vessel", vessel.id)
    photo = tmp_path / "deck.png"
    Image.new("RGB", (8, 8), "navy").save(photo)
    from evidence_app.services import photo_import

    photo_import.attach_files(ctx, incident.id, [photo])
    review.review(ctx, incident.id, "under_review", rationale="looks right")
    tags.tag_incident(ctx, incident.id, "coal")

    view = incident_queries.incident_view(ctx, incident.id[:8])  # a prefix names it, as in the CLI

    assert view.id == incident.id and view.status == "under_review" and view.tags == ("coal",)
    by_name = {p.name: p for p in view.participants}
    assert [d.label for d in by_name["CHON MA SAN"].designations] == ["OFAC DPRK3 (SDN 1)"]
    assert by_name["NEW REGENT"].designations == () and by_name["NEW REGENT"].role == "supplier"
    assert [(e.original_name, e.grading) for e in view.evidence] == [("deck.png", "??")]
    assert [(r.from_status, r.to_status, r.rationale) for r in view.reviews] == [
        ("suspected", "under_review", "looks right")
    ]
    assert view.columns["start_utc"] == datetime(2019, 3, 11, 14, tzinfo=UTC)  # typed, for the fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.version = 99  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.columns["title"] = "changed"  # type: ignore[index]

    shown = json.loads(json.dumps(view.as_dict()))  # `incident show --json`
    assert shown["start_utc"] == "2019-03-11T14:00:00Z" and shown["version"] == view.version
    assert shown["case_title"] == "Yellow Sea 2019" and shown["tags"] == ["coal"]
    assert {p["name"]: p["designations"] for p in shown["participants"]} == {
        "CHON MA SAN": ["OFAC DPRK3"],
        "NEW REGENT": [],
    }
    assert shown["evidence"][0]["sha256"] == view.evidence[0].sha256
    assert shown["reviews"][0]["to"] == "under_review"
