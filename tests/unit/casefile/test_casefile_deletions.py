"""Deletions travel: a detached evidence item, a removed participant, a removed tag and a deleted
annotation are gone on the other side after import; a deletion against an edit is a conflict."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from evidence_app.services import casefiles, evidence, incidents, photo_annotations, tags
from evidence_app.services.verify import verify_store
from evidence_app.storage.models import Annotation, IncidentEvidence, Participant, Tombstone


def links(ctx, incident_id: str) -> set[str]:
    with ctx.store.read() as s:
        return set(s.scalars(select(IncidentEvidence.evidence_id).where(IncidentEvidence.incident_id == incident_id)))


def vessels_of(ctx, incident_id: str) -> set[str]:
    with ctx.store.read() as s:
        return set(s.scalars(select(Participant.vessel_id).where(Participant.incident_id == incident_id)))


def hand_over(src, dst, case_id: str, path: Path):
    casefiles.export_case(src, case_id, path, with_report=False)
    return casefiles.import_case(dst, path)


def test_detach_remove_participant_untag_and_delete_annotation_travel(workstation, new_store, tmp_path: Path):
    ws, ids = workstation
    tags.tag_incident(ws, ids["inc1"], "sts")
    tags.tag_incident(ws, ids["inc1"], "night")
    field = new_store("laptop")
    hand_over(ws, field, ids["case"], tmp_path / "out.evcase")
    with field.store.read() as s:
        (note_id,) = s.scalars(select(Annotation.id).where(Annotation.evidence_id == ids["photo"]))

    evidence.detach(field, ids["inc1"], ids["ais"])
    incidents.remove_participant(field, ids["inc1"], "9216470")
    tags.untag_incident(field, ids["inc1"], "night")
    photo_annotations.delete_annotation(field, note_id)
    back = hand_over(field, ws, ids["case"], tmp_path / "back.evcase")

    assert not back.conflicts
    assert back.deleted == {"link": 1, "participant": 1, "annotation": 1}
    assert links(ws, ids["inc1"]) == {ids["photo"]}
    assert vessels_of(ws, ids["inc1"]) == {ids["chon"]}
    assert tags.tags_of_incident(ws, ids["inc1"]) == ["sts"]
    with ws.store.read() as s:
        assert s.get(Annotation, note_id) is None
        # The workstation keeps the tombstones: its next file carries the deletions on.
        assert {t.record_type for t in s.scalars(select(Tombstone))} == {"link", "participant", "annotation"}
    assert verify_store(ws.store).ok and verify_store(field.store).ok

    # The workstation's older file does not bring the deleted records back to the laptop...
    again = casefiles.import_case(field, tmp_path / "out.evcase")
    assert not again.added and not again.conflicts
    assert links(field, ids["inc1"]) == {ids["photo"]} and ids["regent"] not in vessels_of(field, ids["inc1"])
    # ...nor does its own file, nor the round trip back.
    assert not casefiles.import_case(field, tmp_path / "back.evcase").added
    assert not hand_over(ws, field, ids["case"], tmp_path / "third.evcase").added


def test_a_deletion_against_an_edit_is_listed_as_a_conflict(workstation, new_store, tmp_path: Path):
    ws, ids = workstation
    field = new_store("laptop")
    hand_over(ws, field, ids["case"], tmp_path / "out.evcase")

    evidence.detach(field, ids["inc1"], ids["photo"])  # there: detached
    evidence.set_link(ws, ids["inc1"], ids["photo"], note="hulls 8 m apart")  # here: the same link edited
    back = hand_over(field, ws, ids["case"], tmp_path / "back.evcase")

    assert [(c["record_type"], c["fields"]) for c in back.conflicts] == [("link", ["deleted"])]
    assert ids["photo"] in links(ws, ids["inc1"])  # nothing is deleted until someone decides
    (listed,) = casefiles.list_conflicts(ws)
    assert listed["deletion"] == "incoming"
    assert listed["fields"] == {"deleted": {"local": False, "incoming": True}}
    assert listed["local_record"]["note"] == "hulls 8 m apart"
    casefiles.resolve_conflict(ws, listed["id"], "take-incoming")
    assert ids["photo"] not in links(ws, ids["inc1"])
    assert verify_store(ws.store).ok


def test_an_edit_against_a_deletion_here_is_a_conflict_and_keeping_mine_holds(workstation, new_store, tmp_path: Path):
    ws, ids = workstation
    field = new_store("laptop")
    hand_over(ws, field, ids["case"], tmp_path / "out.evcase")

    incidents.set_participant(field, ids["inc1"], "9216470", "escort")  # there: role changed
    incidents.remove_participant(ws, ids["inc1"], "9216470")  # here: removed
    back = hand_over(field, ws, ids["case"], tmp_path / "back.evcase")

    assert [(c["record_type"], c["fields"]) for c in back.conflicts] == [("participant", ["deleted"])]
    assert ids["regent"] not in vessels_of(ws, ids["inc1"])
    (listed,) = casefiles.list_conflicts(ws)
    assert listed["deletion"] == "local" and listed["incoming_record"]["role"] == "escort"
    casefiles.resolve_conflict(ws, listed["id"], "keep-local")
    # The same file again: the decision holds, no new conflict.
    again = casefiles.import_case(ws, tmp_path / "back.evcase")
    assert not again.conflicts and ids["regent"] not in vessels_of(ws, ids["inc1"])


def test_taking_their_version_brings_a_record_deleted_here_back(workstation, new_store, tmp_path: Path):
    ws, ids = workstation
    field = new_store("laptop")
    hand_over(ws, field, ids["case"], tmp_path / "out.evcase")
    evidence.set_link(field, ids["inc1"], ids["photo"], relation="contradicts")
    evidence.detach(ws, ids["inc1"], ids["photo"])
    back = hand_over(field, ws, ids["case"], tmp_path / "back.evcase")
    (conflict,) = back.conflicts
    casefiles.resolve_conflict(ws, conflict["id"], "take-incoming")
    with ws.store.read() as s:
        row = s.scalar(
            select(IncidentEvidence).where(
                IncidentEvidence.incident_id == ids["inc1"], IncidentEvidence.evidence_id == ids["photo"]
            )
        )
        assert row is not None and row.relation == "contradicts"
        assert s.get(Tombstone, ("link", row.id)) is None
    assert verify_store(ws.store).ok


def test_keeping_mine_against_their_deletion_holds_when_the_same_file_comes_again(
    workstation, new_store, tmp_path: Path
):
    ws, ids = workstation
    field = new_store("laptop")
    hand_over(ws, field, ids["case"], tmp_path / "out.evcase")
    incidents.remove_participant(field, ids["inc1"], "9216470")
    incidents.set_participant(ws, ids["inc1"], "9216470", "escort")
    back = hand_over(field, ws, ids["case"], tmp_path / "back.evcase")
    (conflict,) = back.conflicts
    casefiles.resolve_conflict(ws, conflict["id"], "keep-local")
    again = casefiles.import_case(ws, tmp_path / "back.evcase")
    assert not again.conflicts and not again.deleted
    assert ids["regent"] in vessels_of(ws, ids["inc1"])


def test_a_file_that_both_holds_and_deletes_a_record_is_refused_by_name(workstation, tmp_path: Path):
    import json
    import zipfile

    import pytest

    from evidence_app.casefile.importer import _parse_records
    from evidence_app.domain.errors import UserError

    ws, ids = workstation
    good = tmp_path / "good.evcase"
    casefiles.export_case(ws, ids["case"], good, with_report=False)
    with zipfile.ZipFile(good) as zf:
        records = json.loads(zf.read("records/case.json"))
    link = records["links"][0]
    records["tombstones"] = [
        {
            "record_type": "link",
            "record_id": link["id"],
            "case_id": ids["case"],
            "record": link,
            "keys": {},
            "deleted_at": "2024-01-01T00:00:00Z",
            "deleted_by": "someone",
        }
    ]
    with pytest.raises(UserError, match="both in the file and deleted") as caught:
        _parse_records(records)
    assert "tombstones[0]" in str(caught.value)


def test_a_deletion_of_another_cases_record_is_refused_and_writes_nothing(workstation, tmp_path: Path):
    """A file about case A naming a participant of local case B in its tombstones deletes nothing."""
    from datetime import UTC, datetime

    import pytest

    from evidence_app.casefile.importer import open_case_file
    from evidence_app.casefile.merge import merge_case_file
    from evidence_app.casefile.record_dicts import store_id, to_dict
    from evidence_app.domain.errors import UserError
    from evidence_app.services import cases

    ws, ids = workstation
    other = cases.create_case(ws, "Another investigation")
    inc_b = incidents.add_incident(
        ws,
        other.id,
        start_utc=datetime(2020, 1, 1, tzinfo=UTC),
        lat=1.0,
        lon=2.0,
        participants=[incidents.ParticipantSpec("9123453", "receiver")],
    )
    with ws.store.read() as s:
        victim = to_dict(s.scalar(select(Participant).where(Participant.incident_id == inc_b.id)))
    path = tmp_path / "a.evcase"
    casefiles.export_case(ws, ids["case"], path, with_report=False)
    cf = open_case_file(path)
    try:
        cf.records.tombstones.append(
            {
                "record_type": "participant",
                "record_id": victim["id"],
                "case_id": ids["case"],
                "record": victim,
                "keys": {"vessel_imo": 9123453, "evidence_sha256": None},
                "deleted_at": "2024-01-01T00:00:00Z",
                "deleted_by": "intruder",
            }
        )
        with pytest.raises(UserError, match="not part of case") as caught, ws.store.write() as session:
            merge_case_file(session, "analyst-a", cf, store_id(session) + "-other", "import-x")
        assert victim["id"] in str(caught.value) or "tombstones" in str(caught.value)
    finally:
        cf.close()
    assert vessels_of(ws, inc_b.id) == {ids["chon"]}
