"""Global Fishing Watch's published event files import without --map, MMSIs stay MMSIs,
and the event figures (distance, speed, duration) are kept on the incident.

The files are written here exactly as GFW publishes them: the transshipment dataset's
``encounter-events.csv`` and ``loitering-events.csv`` (plain CSV, UTC times with a space,
seven-digit MMSIs among nine-digit ones), the AIS-disabling dataset (Welch et al. 2022)
and the map's event downloads (port visits).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from evidence_app.domain.errors import NotFound
from evidence_app.services import cases, imports, vessels
from evidence_app.storage.models import Incident, Participant, Vessel
from tests.published_layouts import GFW_ENCOUNTER_COLUMNS, GFW_ENCOUNTER_EXAMPLE

ENCOUNTER_HEADER = GFW_ENCOUNTER_COLUMNS
LOITERING_HEADER = [
    "transshipment_mmsi",
    "starting_latitude",
    "starting_longitude",
    "ending_latitude",
    "ending_longitude",
    "starting_timestamp",
    "ending_timestamp",
    "median_speed_knots",
    "total_event_hours",
]
GAP_HEADER = [
    "gap_id",
    "mmsi",
    "vessel_class",
    "flag",
    "vessel_length_m",
    "vessel_tonnage_gt",
    "gap_start_timestamp",
    "gap_start_lat",
    "gap_start_lon",
    "gap_start_distance_from_shore_m",
    "gap_end_timestamp",
    "gap_end_lat",
    "gap_end_lon",
    "gap_end_distance_from_shore_m",
    "gap_hours",
]
PORT_VISIT_HEADER = [
    "type",
    "start",
    "end",
    "latitude",
    "longitude",
    "vesselId",
    "vesselName",
    "vesselFlag",
    "vesselType",
    "portVisitId",
    "portVisitFlag",
    "portVisitName",
]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def case_id(ctx) -> str:
    return cases.create_case(ctx, "GFW events").id


def incidents_of(ctx, case_id: str) -> list[Incident]:
    with ctx.store.read() as s:
        found = list(s.scalars(select(Incident).where(Incident.case_id == case_id).order_by(Incident.start_utc)))
        for inc in found:
            _ = [(p.vessel.mmsi, p.vessel.mmsi_as_given) for p in inc.participants]
        return found


def test_gfw_encounter_file_imports_without_map_and_keeps_its_figures(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "encounter-events.csv",
        ENCOUNTER_HEADER,
        [
            GFW_ENCOUNTER_EXAMPLE,
            # GFW's files hold seven-digit MMSIs: 1234567 fails the IMO check digit, 9216470 passes it.
            [1234567, 9216470, "2017-02-01 01:00:00 UTC", "2017-02-01 05:10:00 UTC", 10.5, 120.25, 4.1667, 0.4, 1.2],
        ],
    )
    report = imports.import_incidents(ctx, path, case_id)
    assert report.read == 2 and report.imported == {"event": 2} and report.skipped == {}
    first, second = incidents_of(ctx, case_id)
    assert first.title == "Encounter MMSI 412420941 / MMSI 416004485"
    assert first.metrics == {"distance_m": 36.2, "speed_kn": 0.7761, "duration_h": 6.6667}
    assert first.radius_m == 36.2  # the radius no longer shows "?"
    assert (first.lat, first.lon) == (-3.1422, 152.8911) and first.end_utc is not None
    # Both seven-digit values stay MMSIs, stored as given and flagged; neither became an IMO or a name.
    by_given = {p.vessel.mmsi_as_given: p.vessel for p in second.participants}
    assert set(by_given) == {"1234567", "9216470"}
    for given, vessel in by_given.items():
        assert vessel.mmsi == int(given) and vessel.imo is None and vessel.name == ""
    with ctx.store.read() as s:
        claimed = sorted(s.scalars(select(Participant.claimed_mmsi).where(Participant.incident_id == second.id)))
        assert claimed == [1234567, 9216470]
        assert s.scalars(select(Participant.claimed_imo).where(Participant.claimed_imo.is_not(None))).all() == []


def test_search_by_a_malformed_mmsi_finds_it_and_never_raises(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "encounter-events.csv",
        ENCOUNTER_HEADER,
        [
            [1234567, 412420941, "2017-02-01 01:00:00 UTC", "2017-02-01 05:10:00 UTC", 10.5, 120.25, 4.2, 0.4, 1.2],
        ],
    )
    imports.import_incidents(ctx, path, case_id)
    vessel = vessels.get_vessel(ctx, "1234567")  # fails the IMO check digit: used to raise
    assert vessel.mmsi == 1234567 and vessel.mmsi_as_given == "1234567"
    rows = vessels.vessel_rows(ctx, "1234567")
    assert [r.mmsi_text for r in rows] == ["1234567 (malformed)"]
    assert vessels.vessel_rows(ctx, "IMO 1234568") == []  # a bad check digit matches nothing, quietly
    with pytest.raises(NotFound):
        vessels.get_vessel(ctx, "7654321")


def test_search_by_number_looks_in_imo_and_mmsi(ctx) -> None:
    vessels.add_vessel(ctx, imo=9216470, name="NEW REGENT")
    assert vessels.get_vessel(ctx, "9216470").name == "NEW REGENT"
    assert [r.name for r in vessels.vessel_rows(ctx, "9216470")] == ["NEW REGENT"]


def test_gfw_loitering_file_makes_single_vessel_incidents(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "loitering-events.csv",
        LOITERING_HEADER,
        [
            [
                416004485,
                -3.1402,
                152.8924,
                -3.1563,
                152.9001,
                "2017-01-06 05:10:00 UTC",
                "2017-01-06 16:00:00 UTC",
                0.4326,
                10.8333,
            ],
        ],
    )
    report = imports.import_incidents(ctx, path, case_id)
    assert report.imported == {"event": 1}
    (inc,) = incidents_of(ctx, case_id)
    assert inc.title == "Loitering MMSI 416004485"
    assert (inc.lat, inc.lon) == (-3.1402, 152.8924)
    assert inc.metrics == {"speed_kn": 0.4326, "duration_h": 10.8333, "end_lat": -3.1563, "end_lon": 152.9001}
    assert len(inc.participants) == 1 and inc.participants[0].vessel.mmsi == 416004485


def test_gfw_ais_disabling_file_imports_as_gaps(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ais_disabling_events.csv",
        GAP_HEADER,
        [
            [
                "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                412331038,
                "squid_jigger",
                "CHN",
                56.2,
                712.0,
                "2018-03-02 11:45:31 UTC",
                -42.512,
                -60.871,
                371010.0,
                "2018-03-04 02:11:09 UTC",
                -44.903,
                -59.254,
                402230.0,
                38.427,
            ],
        ],
    )
    report = imports.import_incidents(ctx, path, case_id)
    assert report.imported == {"event": 1}, report.problems
    (inc,) = incidents_of(ctx, case_id)
    assert inc.title == "AIS gap MMSI 412331038"
    assert inc.metrics == {"duration_h": 38.427, "end_lat": -44.903, "end_lon": -59.254}
    assert "a1b2c3d4e5f60718293a4b5c6d7e8f90" in inc.assessment


def test_gfw_map_port_visit_download(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "port-visits.csv",
        PORT_VISIT_HEADER,
        [
            [
                "port_visit",
                "2022-05-03T08:00:00.000Z",
                "2022-05-05T17:30:00.000Z",
                39.0167,
                125.7333,
                "8c7304226-6c71-edbe-0b63-c246734b3c01",
                "CHON MA SAN",
                "PRK",
                "carrier",
                "prk-nampho",
                "PRK",
                "NAMPHO",
            ],
        ],
    )
    report = imports.import_incidents(ctx, path, case_id)
    assert report.imported == {"event": 1}, report.problems
    (inc,) = incidents_of(ctx, case_id)
    assert inc.title == "Port visit CHON MA SAN at NAMPHO"
    assert inc.participants[0].vessel.name == "CHON MA SAN"


def test_a_non_number_in_an_mmsi_column_is_counted_not_renamed(ctx, case_id, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "encounter-events.csv",
        ENCOUNTER_HEADER,
        [
            [
                "CHON MA SAN",
                416004485,
                "2017-01-06 07:40:00 UTC",
                "2017-01-06 14:20:00 UTC",
                -3.1,
                152.8,
                6.6,
                0.03,
                0.7,
            ],
            [412420941, 416004485, "2017-01-06 07:40:00 UTC", "2017-01-06 14:20:00 UTC", -3.1, 152.8, "n/a", 0.03, 0.7],
        ],
    )
    report = imports.import_incidents(ctx, path, case_id)
    assert report.read == 2 and report.skipped == {"bad_mmsi": 1, "bad_number": 1}
    assert "encounter-events.csv:2" in report.problems[0] and "not an MMSI" in report.problems[0]
    assert "duration_h" in report.problems[1]
    with ctx.store.read() as s:
        assert s.scalars(select(Vessel)).all() == []


def test_event_figures_reach_the_list_row_and_the_report(ctx, case_id, tmp_path: Path) -> None:
    from evidence_app.services import casefiles, incident_queries

    path = write_csv(
        tmp_path / "encounter-events.csv",
        ENCOUNTER_HEADER,
        [
            GFW_ENCOUNTER_EXAMPLE,
        ],
    )
    imports.import_incidents(ctx, path, case_id)
    with ctx.store.read() as s:
        (row,) = incident_queries.fetch_rows(s, incident_queries.IncidentFilter(case_id=case_id))
    assert row.metrics == {"distance_m": 36.2, "speed_kn": 0.7761, "duration_h": 6.6667} and row.radius_m == 36.2
    out = tmp_path / "report.html"
    casefiles.export_report(ctx, case_id, out, fmt="html")
    html = out.read_text(encoding="utf-8")
    for text in ("Distance between vessels (imported event)", "36 m", "0.8 kn", "6.7 h"):
        assert text in html


def test_the_desks_column_table_needs_nothing_chosen_for_gfw_files(tmp_path: Path) -> None:
    from evidence_app.ingest.columns import plan_columns

    for name, header in (
        ("encounter-events.csv", ENCOUNTER_HEADER),
        ("loitering-events.csv", LOITERING_HEADER),
        ("gaps.csv", GAP_HEADER),
        ("port-visits.csv", PORT_VISIT_HEADER),
    ):
        plan = plan_columns(write_csv(tmp_path / name, header, []), "events")
        assert plan is not None and plan.missing == [], (name, plan.columns)


def test_event_figures_and_malformed_mmsis_travel_in_case_files(ctx, case_id, tmp_path: Path, fresh_ctx) -> None:
    from evidence_app.domain.errors import UserError
    from evidence_app.services import casefiles

    path = write_csv(
        tmp_path / "encounter-events.csv",
        ENCOUNTER_HEADER,
        [[1234567, *GFW_ENCOUNTER_EXAMPLE[1:]]],  # a seven-digit MMSI, as GFW files hold
    )
    imports.import_incidents(ctx, path, case_id)
    out = tmp_path / "gfw.evcase"
    casefiles.export_case(ctx, case_id, out, with_report=False)
    with fresh_ctx() as (other, _folder):
        casefiles.import_case(other, out)
        with other.store.read() as s:
            inc = s.scalars(select(Incident)).one()
            assert inc.metrics == {"distance_m": 36.2, "speed_kn": 0.7761, "duration_h": 6.6667}
            assert {v.mmsi_as_given for v in s.scalars(select(Vessel))} == {"1234567", None}
    # A case file's record whose figures are not figures, or whose malformed MMSI is not digits, is refused.
    from evidence_app.casefile.validate import check_record_fields

    with pytest.raises(UserError, match="metrics"):
        check_record_fields(
            "incident", {"id": "9f1c0000-0000-0000-0000-000000000000", "metrics": {"distance_m": [[1]]}}, 0
        )
    with pytest.raises(UserError, match="mmsi_as_given"):
        check_record_fields("vessel", {"id": "9f1c0000-0000-0000-0000-000000000000", "mmsi_as_given": "<b>1</b>"}, 0)
