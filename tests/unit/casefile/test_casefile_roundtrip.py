"""Workstation -> field laptop -> workstation: every change arrives, nothing doubles, both-sided edits conflict."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.services import casefiles, evidence, incidents, review, vessels
from evidence_app.services.verify import verify_store
from evidence_app.storage.models import (
    AisPosition,
    Evidence,
    ImportedAuditEntry,
    Incident,
    IncidentEvidence,
    MergeConflict,
    ReviewEvent,
    Vessel,
)


def count(ctx, model) -> int:
    with ctx.store.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.backends
def test_field_round_trip_merges_changes_and_reports_the_conflict(workstation, new_store, png_maker, tmp_path: Path):
    ws, ids = workstation
    f1 = tmp_path / "to-field.evcase"
    casefiles.export_case(ws, ids["case"], f1, with_report=False)

    field = new_store("laptop")
    first = casefiles.import_case(field, f1)
    assert first.new_case and not first.conflicts
    assert count(field, Incident) == 2 and count(field, Evidence) == 2 and count(field, AisPosition) == 80
    assert verify_store(field.store).ok

    # In the field: a status change, a new photo, a moved position.
    new_photo = png_maker(tmp_path / "field_photo.png", (180, 40, 40))
    evidence.attach_files(field, ids["inc1"], [new_photo], kind="photo")
    review.review(field, ids["inc1"], "confirmed", rationale="hoses visible between the hulls")
    incidents.update_incident(field, ids["inc2"], lat=38.97, lon=123.05)
    f2 = tmp_path / "from-field.evcase"
    casefiles.export_case(field, ids["case"], f2, with_report=False)

    # Meanwhile at the workstation: one unrelated change, and one on the record the field moved.
    vessels.update_vessel(ws, ids["regent"], notes="Renamed in 2020 per Equasis")
    incidents.update_incident(ws, ids["inc2"], title="Night rendezvous in Korea Bay (re-dated)")

    back = casefiles.import_case(ws, f2)
    assert [c["record_type"] for c in back.conflicts] == ["incident"]
    assert back.conflicts[0]["record_id"] == ids["inc2"]
    assert "lat" in back.conflicts[0]["fields"] and "title" in back.conflicts[0]["fields"]
    with ws.store.read() as s:
        inc1 = s.get(Incident, ids["inc1"])
        inc2 = s.get(Incident, ids["inc2"])
        assert inc1.status == "confirmed"
        assert inc1.evidence_count == 3
        assert inc2.lat == 38.95 and inc2.title.endswith("(re-dated)")  # the conflict left it alone
        assert s.get(Vessel, ids["regent"]).notes == "Renamed in 2020 per Equasis"
        assert (
            s.scalar(select(func.count()).select_from(ReviewEvent).where(ReviewEvent.incident_id == ids["inc1"])) == 2
        )
        assert s.scalar(select(func.count()).select_from(ImportedAuditEntry)) > 0
    assert count(ws, Incident) == 2
    assert count(ws, Evidence) == 3  # the new photo, the two originals not doubled
    assert count(ws, IncidentEvidence) == 3
    assert count(ws, AisPosition) == 80
    report = verify_store(ws.store)
    assert report.ok, report.problems
    assert verify_store(field.store).ok

    # The same file again changes nothing and raises no new conflict.
    again = casefiles.import_case(ws, f2)
    assert not again.added and not again.updated and len(again.conflicts) == 1  # the open conflict, re-listed
    assert count(ws, MergeConflict) == 2
    open_conflicts = casefiles.list_conflicts(ws)
    assert len(open_conflicts) == 1
    assert open_conflicts[0]["fields"]["lat"] == {"local": 38.95, "incoming": 38.97}

    casefiles.resolve_conflict(ws, open_conflicts[0]["id"], "take-incoming")
    with ws.store.read() as s:
        inc2 = s.get(Incident, ids["inc2"])
        assert (inc2.lat, inc2.lon) == (38.97, 123.05)
    assert casefiles.list_conflicts(ws) == []
    assert verify_store(ws.store).ok

    # Back to the field once more: the workstation's vessel note arrives there, nothing conflicts.
    f3 = tmp_path / "to-field-2.evcase"
    casefiles.export_case(ws, ids["case"], f3, with_report=False)
    third = casefiles.import_case(field, f3)
    assert not third.conflicts, third.conflicts
    with field.store.read() as s:
        assert s.get(Vessel, ids["regent"]).notes == "Renamed in 2020 per Equasis"
    assert verify_store(field.store).ok


def test_manifest_lists_every_file_with_size_and_hash(workstation, tmp_path: Path):
    ws, ids = workstation
    out = tmp_path / "case.evcase"
    result = casefiles.export_case(ws, ids["case"], out, with_report=False)
    assert not list(tmp_path.glob(".*.part"))
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
    assert manifest["format_version"] == 2 and manifest["generator"] == "Evidence Review"
    assert manifest["case"]["caveat"] == "OFFICIAL-SENSITIVE"
    listed = {f["path"] for f in manifest["files"]}
    assert listed == names - {
        "manifest.json",
        "manifest.sig",
    }  # the signature covers the manifest, so it cannot be listed
    assert manifest["signer"]["reviewer"] == "analyst-a" and "records/attestations.json" in listed
    assert result.evidence_files == 2
    with ws.store.read() as s:
        photo = s.get(Evidence, ids["photo"])
    assert any(
        f["path"].startswith("evidence/" + photo.sha256) and f["sha256"] == photo.sha256 for f in manifest["files"]
    )


def test_only_confirmed_exports_only_confirmed_incidents(workstation, tmp_path: Path):
    ws, ids = workstation
    review.review(ws, ids["inc1"], "confirmed", rationale="hoses visible")
    out = tmp_path / "confirmed.evcase"
    casefiles.export_case(ws, ids["case"], out, only_confirmed=True, with_report=False)
    with zipfile.ZipFile(out) as zf:
        records = json.loads(zf.read("records/case.json"))
        manifest = json.loads(zf.read("manifest.json"))
    assert [i["id"] for i in records["incidents"]] == [ids["inc1"]]
    assert manifest["scope"] == "confirmed"


def test_verify_catches_an_altered_imported_audit_entry(workstation, new_store, tmp_path: Path):
    from sqlalchemy import text

    ws, ids = workstation
    out = tmp_path / "c.evcase"
    casefiles.export_case(ws, ids["case"], out, with_report=False)
    field = new_store("laptop")
    casefiles.import_case(field, out)
    assert verify_store(field.store).ok
    with field.store.write() as s:
        s.execute(text("UPDATE imported_audit_entries SET actor = 'mallory' WHERE seq = 1"))
    problems = verify_store(field.store).problems
    assert any("imported audit entry 1" in p and "altered" in p for p in problems)
