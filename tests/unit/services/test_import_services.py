"""Import services: counts, identity history, re-import by hash, all-or-nothing, track query."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.domain.errors import UserError
from evidence_app.services import imports
from evidence_app.storage.models import (
    AisPosition,
    AuditEntry,
    Designation,
    Evidence,
    Incident,
    Participant,
    Vessel,
    VesselIdentity,
)

BASE = datetime(2023, 1, 11, tzinfo=UTC)


def count(ctx, model) -> int:
    with ctx.store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.backends
def test_marinecadastre_import_and_reimport(ctx, shared_data: Path) -> None:
    path = shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv"
    audit_before = count(ctx, AuditEntry)
    report = imports.import_ais(ctx, [path])
    assert report.read == 1000 and report.imported == {"position": 1000} and report.skipped == {}
    assert count(ctx, AisPosition) == 1000
    with ctx.store.read() as s:
        ev = s.scalars(select(Evidence)).one()
        assert ev.kind == "ais" and ev.meta["import"]["positions"] == 1000
        assert s.scalar(select(func.count()).select_from(AisPosition).where(AisPosition.evidence_id == ev.id)) == 1000
        vessel = s.scalar(select(Vessel).where(Vessel.imo == 9307839))
        assert vessel.name == "MSC NAISHA III" and vessel.vessel_type == "Cargo" and vessel.length_m == 208.0
        ident = s.scalars(select(VesselIdentity).where(VesselIdentity.vessel_id == vessel.id)).one()
        assert ident.first_seen == datetime(2023, 1, 11, 0, 0, 0, tzinfo=UTC) and ident.evidence_id == ev.id
    # One evidence entry + one import entry, not one per row.
    assert count(ctx, AuditEntry) - audit_before == 2
    again = imports.import_ais(ctx, [path])
    assert again.already_imported == [path.name] and again.read == 0
    assert count(ctx, AisPosition) == 1000


def test_nmea_needs_base_time_and_nothing_lands_when_refused(ctx, shared_data: Path) -> None:
    path = shared_data / "ais" / "nmea_aegean_sample.txt"
    with pytest.raises(UserError, match="--base-time"):
        imports.import_ais(ctx, [path])
    assert count(ctx, Evidence) == 0 and count(ctx, AisPosition) == 0
    report = imports.import_ais(ctx, [path], base_time=BASE)
    assert report.read == 898 and report.imported == {"position": 758, "static": 2}
    assert report.skipped["empty_payload"] == 100 and report.skipped["non_position"] == 14
    assert report.read == sum(report.imported.values()) + sum(report.skipped.values())
    assert count(ctx, AisPosition) == 758


def test_identity_history_records_rename(ctx, tmp_path: Path) -> None:
    header = "MMSI,BaseDateTime,LAT,LON,VesselName,IMO,CallSign\n"
    a = tmp_path / "a.csv"
    a.write_text(header + "636021061,2023-01-11T00:00:00,1,1,OLD NAME,IMO9307839,5LCB4\n")
    b = tmp_path / "b.csv"
    b.write_text(
        header + "636021061,2023-02-11T00:00:00,1,1,NEW NAME,IMO9307839,5LCB4\n"
        "636021061,2023-02-12T00:00:00,1,1,NEW NAME,IMO9307839,5LCB4\n"
    )
    imports.import_ais(ctx, [a])
    imports.import_ais(ctx, [b])
    with ctx.store.read() as s:
        vessel = s.scalars(select(Vessel)).one()
        names = [
            (i.name, i.first_seen.day, i.last_seen.day)
            for i in s.scalars(select(VesselIdentity).order_by(VesselIdentity.first_seen))
        ]
    assert names == [("OLD NAME", 11, 11), ("NEW NAME", 11, 12)] and vessel.name == "OLD NAME"


@pytest.mark.backends
def test_failing_second_file_rolls_back_the_first(ctx, tmp_path: Path, shared_data: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n")
    with pytest.raises(UserError, match="bad.csv: cannot tell the format"):
        imports.import_ais(ctx, [shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv", bad])
    assert count(ctx, AisPosition) == 0 and count(ctx, Evidence) == 0 and count(ctx, Vessel) == 0


def test_track_query(ctx, shared_data: Path) -> None:
    imports.import_ais(ctx, [shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv"])
    track = imports.vessel_track(ctx, 636021061, BASE, datetime(2023, 1, 12, tzinfo=UTC))
    assert track == [(1673395200, 26.09241, -80.04806, 8.8, 272.7, 270, 8)]
    assert (
        imports.vessel_track(ctx, 636021061, datetime(2023, 1, 12, tzinfo=UTC), datetime(2023, 1, 13, tzinfo=UTC)) == []
    )


def test_ofac_registry_import(ctx, tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(
        '36111,"CHON MA SAN","vessel","DPRK3","-0-","HMYF5","Crude Oil Tanker","-0-","-0-",'
        '"Korea, North","-0-","IMO 8660313; Linked To: X."\n'
        '36112,"SOMEONE","individual","DPRK2","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\n'
    )
    report = imports.import_vessels(ctx, sdn)
    assert report.read == 2 and report.imported == {"vessel": 1} and report.skipped == {"not_vessel": 1}
    assert report.created["designations"] == 1
    with ctx.store.read() as s:
        d = s.scalars(select(Designation)).one()
        assert d.authority == "OFAC" and d.program == "DPRK3" and d.vessel.imo == 8660313
    assert imports.import_vessels(ctx, sdn).already_imported == ["sdn.csv"]
    assert count(ctx, Designation) == 1


def test_incident_import(ctx, sample_case, tmp_path: Path) -> None:
    case_id = sample_case[0].id
    events = tmp_path / "enc.csv"
    events.write_text(
        "start,end,lat,lon,vessel_1,vessel_2\n"
        "2019-03-11T14:00:00Z,2019-03-11T18:00:00Z,36.5,123.9,IMO 9123453,352001234\n"
        "2019-03-12T14:00:00Z,,36.5,123.9,445999000,NEW SHIP\n"
        "bad,,36.5,123.9,1,2\n"
    )
    before = count(ctx, Incident)
    report = imports.import_incidents(ctx, events, case_id)
    assert report.read == 3 and report.imported == {"event": 2} and report.skipped == {"bad_time": 1}
    assert count(ctx, Incident) == before + 2 and report.created["vessels"] == 2
    with ctx.store.read() as s:
        new = s.scalars(select(Incident).where(Incident.position_method.like("imported%"))).all()
        assert {i.status for i in new} == {"suspected"}
        assert (
            s.scalar(
                select(func.count()).select_from(Participant).where(Participant.incident_id.in_([i.id for i in new]))
            )
            == 4
        )
