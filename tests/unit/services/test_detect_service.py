"""Detections over the store: sample data, the demo case, and incidents created once, with their report."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.analysis.encounters import EncounterParams
from evidence_app.domain.errors import Cancelled, ValidationError
from evidence_app.domain.progress import CancelToken
from evidence_app.services import cases, demo, detect, imports
from evidence_app.storage.models import AuditEntry, Evidence, Incident, IncidentEvidence, Vessel

START = datetime(2023, 6, 1, tzinfo=UTC)
SEA = (30.0, -40.0)


def _write_meeting_csv(path: Path, *, with_passer: bool = True) -> None:
    """Two vessels wait 150 m apart for 3 h at sea, 06:00–09:00; a third passes at speed; a fourth goes dark 10 h."""
    rows = []
    t = START
    while t <= START + timedelta(hours=16):
        hours = (t - START).total_seconds() / 3600
        lat, lon = SEA
        if 6 <= hours <= 9:
            a, b, sog = (lat, lon), (lat + 0.00135, lon), 0.3
        else:
            off = (hours - 6) * 0.1 if hours < 6 else (hours - 9) * 0.1
            a, b, sog = (lat + off, lon), (lat - off, lon + 0.00135), 6.0
        rows.append((111000001, t, *a, sog))
        rows.append((222000002, t, *b, sog))
        if with_passer:
            rows.append((333000003, t, lat + 0.3 - hours * 0.04, lon, 14.0))
        if not 3 <= hours <= 13:
            rows.append((444000004, t, lat + 1 + hours * 0.01, lon + 1, 5.0))
        t += timedelta(minutes=5)
    names = {111000001: "ALPHA", 222000002: "BRAVO", 333000003: "CHARLIE", 444000004: "DELTA"}
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        for mmsi, ts, la, lo, sog in rows:
            w.writerow([mmsi, ts.strftime("%Y-%m-%dT%H:%M:%S"), round(la, 6), round(lo, 6), sog, 0, 0, names[mmsi], ""])


@pytest.fixture
def meeting_store(ctx, tmp_path):
    path = tmp_path / "meeting_ais.csv"
    _write_meeting_csv(path)
    imports.import_ais(ctx, [path])
    return ctx


def test_encounters_gaps_and_loitering_from_the_store(meeting_store):
    ctx = meeting_store
    run = detect.run_detection(ctx, "encounters")
    assert [d.mmsis for d in run.detections] == [(111000001, 222000002)]
    enc = run.detections[0]
    assert START + timedelta(hours=5, minutes=50) <= enc.start <= START + timedelta(hours=6)
    assert START + timedelta(hours=9) <= enc.end <= START + timedelta(hours=9, minutes=10)
    assert run.positions == 3 * 193 + 72 and run.vessels == 4  # 5-minute reports over 16 h; DELTA dark 10 h
    gaps = detect.run_detection(ctx, "gaps").detections
    assert [(g.mmsis, round(g.hours)) for g in gaps] == [((444000004,), 10)]
    loiter = detect.run_detection(ctx, "loitering", params=detect.LoiteringParams(min_hours=2)).detections
    assert sorted(d.mmsis for d in loiter) == [(111000001,), (222000002,)]


def test_window_box_and_vessel_filters(meeting_store):
    ctx = meeting_store
    assert detect.run_detection(ctx, "encounters", until=START + timedelta(hours=4)).detections == []
    assert len(detect.run_detection(ctx, "encounters", since=START + timedelta(hours=8)).detections) == 1
    assert detect.run_detection(ctx, "encounters", bbox=(10, 10, 20, 20)).detections == []
    assert len(detect.run_detection(ctx, "encounters", bbox=(-41, 29, -39, 31)).detections) == 1
    assert detect.run_detection(ctx, "encounters", vessels=["CHARLIE"]).detections == []
    assert len(detect.run_detection(ctx, "encounters", vessels=["222000002"]).detections) == 1
    assert detect.run_detection(ctx, "gaps", vessels=["ALPHA"]).detections == []
    with pytest.raises(ValidationError):
        detect.run_detection(ctx, "rendezvous")
    with pytest.raises(ValidationError):
        detect.run_detection(ctx, "encounters", params=detect.GapParams())
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        detect.run_detection(ctx, "encounters", cancel=token)


def test_create_incidents_once_with_report_and_sources(meeting_store):
    ctx = meeting_store
    case = cases.create_case(ctx, "Atlantic test")
    run = detect.run_detection(ctx, "encounters", params=EncounterParams(max_distance_m=400))
    gaps = detect.run_detection(ctx, "gaps").detections
    result = detect.create_incidents_from_detections(ctx, case.id, run.detections + gaps)
    assert len(result.created) == 2 and result.existing == []
    with ctx.store.read() as session:
        incident = session.get(Incident, result.created[0])
        assert incident.status == "suspected" and incident.position_method == "AIS encounter detection"
        assert {p.vessel.name for p in incident.participants} == {"ALPHA", "BRAVO"}
        assert 140 <= incident.radius_m <= 160
        assert incident.indicators == []  # 3 h slow is under the 4 h loitering minimum; nobody went dark
        links = session.scalars(select(IncidentEvidence).where(IncidentEvidence.incident_id == incident.id)).all()
        kinds = sorted(link.evidence.kind for link in links)
        assert kinds == ["ais", "document"] and all(link.relation == "supports" for link in links)
        report = next(link.evidence for link in links if link.evidence.kind == "document")
        assert report.meta["detection"]["max_distance_m"] == 400
        assert report.meta["source_evidence_ids"] == [
            next(link.evidence_id for link in links if link.evidence.kind == "ais")
        ]
        stored = json.loads(ctx.store.objects.path_for(report.sha256).read_bytes())
        assert stored["detection"]["mmsis"] == [111000001, 222000002]
        assert stored["detection"]["parameters"]["min_hours"] == 2.0
        gap_incident = session.get(Incident, result.created[1])
        assert gap_incident.indicators == ["ais_off"] and {p.vessel.mmsi for p in gap_incident.participants} == {
            444000004
        }
        n_audit = session.scalar(select(func.count()).select_from(AuditEntry))
        n_evidence = session.scalar(select(func.count()).select_from(Evidence))
    again = detect.create_incidents_from_detections(
        ctx, case.id, detect.run_detection(ctx, "encounters").detections + gaps
    )
    assert again.created == [] and [e["incident_id"] for e in again.existing] == result.created
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 2
        assert session.scalar(select(func.count()).select_from(Evidence)) == n_evidence
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == n_audit + 1  # the run itself is audited


def test_creating_incidents_is_all_or_nothing(meeting_store, monkeypatch):
    ctx = meeting_store
    case = cases.create_case(ctx, "Atlantic test")
    dets = detect.run_detection(ctx, "encounters").detections + detect.run_detection(ctx, "gaps").detections
    calls = []

    def broken_title(det, names):
        calls.append(det.kind)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return "x"

    monkeypatch.setattr(detect, "_title", broken_title)
    with pytest.raises(RuntimeError):
        detect.create_incidents_from_detections(ctx, case.id, dets)
    with ctx.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
        assert session.scalar(select(func.count()).select_from(Evidence).where(Evidence.kind == "document")) == 0


def test_unknown_mmsi_becomes_a_vessel_and_identity_checks_run(meeting_store):
    ctx = meeting_store
    with ctx.store.write() as session:
        session.query(Vessel).filter(Vessel.mmsi == 444000004).delete()
    case = cases.create_case(ctx, "c")
    gaps = detect.run_detection(ctx, "gaps").detections
    result = detect.create_incidents_from_detections(ctx, case.id, gaps)
    assert result.vessels_created == 1
    assert detect.run_detection(ctx, "identity").detections == []


def test_the_demo_tankers_meeting_is_detected(ctx, tmp_path):
    case_id = demo.create_demo_case(ctx, tmp_path)
    run = detect.run_detection(ctx, "encounters")
    pair = tuple(sorted((demo.RECEIVER["mmsi"], demo.SUPPLIER["mmsi"])))
    found = [d for d in run.detections if d.mmsis == pair]
    assert len(found) == 1
    enc = found[0]
    meet = datetime(2024, 5, 14, 23, 40, tzinfo=UTC)
    assert abs((enc.start - meet).total_seconds()) <= 1800
    assert enc.hours >= 6
    assert abs(enc.lat - demo.MEET_LAT) < 0.02 and abs(enc.lon - demo.MEET_LON) < 0.02
    assert enc.metrics["max_silence_hours"][str(demo.RECEIVER["mmsi"])] > 5
    # The analyst already recorded this transfer: detection does not add it a second time.
    result = detect.create_incidents_from_detections(ctx, case_id, [enc])
    assert result.created == [] and result.existing[0]["title"] == "STS transfer east of Zhoushan"
    other = cases.create_case(ctx, "fresh")
    made = detect.create_incidents_from_detections(ctx, other.id, [enc])
    with ctx.store.read() as session:
        assert session.get(Incident, made.created[0]).indicators == ["ais_off", "loitering"]
    identity = detect.run_detection(ctx, "identity").detections
    assert any(
        d.kind == "identity_change" and d.metrics.get("changed", {}).get("name") == ["OCEAN BREEZE 8", "SONGHAE 7"]
        for d in identity
    )


def test_sample_marinecadastre_data_runs_through_every_detector(ctx, shared_data):
    imports.import_ais(ctx, [shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv"])
    for kind in detect.KINDS:
        run = detect.run_detection(ctx, kind)
        assert run.positions > 900 or kind == "identity"
        assert isinstance(run.detections, list)
        json.dumps(run.as_dict())
    # One row per vessel: no pair can stay together two hours, nobody can go dark.
    assert detect.run_detection(ctx, "encounters").detections == []
    assert detect.run_detection(ctx, "gaps").detections == []


def test_a_dismissed_detection_is_hidden_audited_and_never_created_again(meeting_store):
    from evidence_app.services import incident_queries, review
    from evidence_app.storage import audit

    ctx = meeting_store
    case = cases.create_case(ctx, "Triage")
    encounter = detect.run_detection(ctx, "encounters").detections
    [made] = detect.create_incidents_from_detections(ctx, case.id, encounter).created
    with pytest.raises(ValidationError, match="unknown dismissal reason"):
        review.dismiss_detection(ctx, made, "weather")
    review.dismiss_detection(ctx, made, "anchorage", note="both waiting at the outer anchorage")

    default = incident_queries.IncidentFilter(case_id=case.id)
    assert [r.id for r in incident_queries.list_incidents(ctx, default)] == []  # hidden by default
    asked = incident_queries.IncidentFilter(case_id=case.id, statuses=["dismissed"])
    assert [r.id for r in incident_queries.list_incidents(ctx, asked)] == [made]
    with ctx.store.read() as session:
        [entry] = [e for e in audit.iter_entries(session) if e.entity_id == made and "dismissed" in e.payload]
    assert entry.actor == "analyst-a" and "anchorage: both waiting" in entry.payload

    # A later run over the same vessels and an overlapping window: nothing new.
    later = detect.run_detection(ctx, "encounters", since=START + timedelta(hours=7)).detections
    again = detect.create_incidents_from_detections(ctx, case.id, later)
    assert again.created == [] and [e["incident_id"] for e in again.existing] == [made]
    assert incident_queries.get_incident(ctx, made).status == "dismissed"
    # Restoring needs a rationale, and brings it back to the list.
    with pytest.raises(ValidationError, match="restoring a dismissed detection needs a rationale"):
        review.review(ctx, made, "suspected")
    review.review(ctx, made, "suspected", rationale="the anchorage polygon was wrong")
    assert [r.id for r in incident_queries.list_incidents(ctx, default)] == [made]
