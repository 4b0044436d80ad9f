"""Vessel registries (CSV, JSON, OFAC SDN) and event files (CSV, GeoJSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_app.domain.errors import UserError
from evidence_app.ingest.events import VesselRef, parse_vessel_ref, read_events
from evidence_app.ingest.parsed import Tally
from evidence_app.ingest.registry import read_vessels, sniff_registry_format
from evidence_app.ingest.sources import Member

OFAC = (
    '36111,"CHON MA SAN","vessel","DPRK3","-0-","HMYF5","Crude Oil Tanker","-0-","-0-","Korea, North",'
    '"-0-","Vessel Registration Identification IMO 8660313; MMSI 445...; Linked To: KOREA ..."\n'
    '36112,"KIM JONG UN","individual","DPRK2","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\n'
    '36113,"NO IMO SHIP","vessel","DPRK3","-0-","-0-","Cargo","-0-","-0-","-0-","-0-","Linked To: X."\n'
    '36114,"BAD IMO","vessel","DPRK3","-0-","-0-","Cargo","-0-","-0-","-0-","-0-","IMO 8660314;"\n'
    "\x1a\n"
)


def write(tmp_path: Path, name: str, text: str) -> Member:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Member(path)


def test_ofac_sdn_vessels_become_designations(tmp_path: Path) -> None:
    member = write(tmp_path, "sdn.csv", OFAC)
    assert sniff_registry_format(member) == "ofac-sdn"
    tally = Tally()
    (vessel,) = read_vessels(member, tally)
    assert vessel.imo == 8660313 and vessel.name == "CHON MA SAN" and vessel.flag == "Korea, North"
    assert vessel.call_sign == "HMYF5" and vessel.vessel_type == "Crude Oil Tanker"
    assert vessel.designation is not None and vessel.designation.authority == "OFAC"
    assert vessel.designation.program == "DPRK3" and vessel.designation.reference == "SDN 36111"
    # A vessel with neither IMO number nor MMSI is a listed problem; the individual is only
    # counted as "not a vessel" (it is not a problem with the file).
    assert tally.read == 4 and tally.skipped == {"not_vessel": 1, "missing_field": 1, "bad_imo": 1}
    assert [p.location for p in tally.problems] == ["sdn.csv:3", "sdn.csv:4"]


def test_registry_csv_with_headers(tmp_path: Path) -> None:
    member = write(
        tmp_path,
        "reg.csv",
        (
            "IMO Number,MMSI,Vessel Name,Flag,Ship Type,LOA,Registered Owner\n"
            "9307839,636021061,MSC NAISHA III,Liberia,Container,208.0,MSC\n"
            "IMO 9203588,,ASIAN DYNASTY,Panama,Bulk,199,\n"
            "1234568,,BAD CHECK,,,,\n"
            ",,NO IDS,,,,\n"
        ),
    )
    tally = Tally()
    vessels = read_vessels(member, tally)
    assert [(v.imo, v.mmsi, v.name, v.length_m) for v in vessels] == [
        (9307839, 636021061, "MSC NAISHA III", 208.0),
        (9203588, None, "ASIAN DYNASTY", 199.0),
    ]
    assert vessels[0].owner == "MSC" and vessels[0].flag == "Liberia"
    assert tally.skipped == {"bad_imo": 1, "missing_field": 1}


def test_registry_csv_without_identifier_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no IMO or MMSI column"):
        read_vessels(write(tmp_path, "r.csv", "name,flag\nA,B\n"), Tally())


def test_registry_json(tmp_path: Path) -> None:
    member = write(
        tmp_path,
        "reg.json",
        json.dumps(
            {"vessels": [{"imo": 9307839, "name": "A", "length": 100}, {"mmsi": "636021061"}, "junk", {"imo": "x"}]}
        ),
    )
    tally = Tally()
    vessels = read_vessels(member, tally)
    assert [(v.imo, v.mmsi) for v in vessels] == [(9307839, None), (None, 636021061)]
    assert tally.skipped == {"bad_record": 1, "bad_imo": 1} and tally.read == 4


def test_vessel_refs() -> None:
    assert parse_vessel_ref("636021061") == VesselRef(mmsi=636021061)
    assert parse_vessel_ref("IMO 9307839") == VesselRef(imo=9307839)
    assert parse_vessel_ref("9307839") == VesselRef(imo=9307839)
    assert parse_vessel_ref("  Chon Ma San ") == VesselRef(name="Chon Ma San")
    assert parse_vessel_ref("") is None and parse_vessel_ref("IMO 1234568") is None


def test_events_csv(tmp_path: Path) -> None:
    member = write(
        tmp_path,
        "enc.csv",
        (
            "start_time,end_time,mean_latitude,mean_longitude,mmsi_1,mmsi_2,type\n"
            "2023-01-11T00:00:00Z,2023-01-11T06:00:00Z,38.9,124.1,636021061,IMO 9307839,encounter\n"
            "2023-01-11T00:00:00Z,2023-01-10T06:00:00Z,38.9,124.1,636021061,445000000,encounter\n"
            "2023-01-11T00:00:00Z,,91,124.1,636021061,445000000,encounter\n"
        ),
    )
    tally = Tally()
    (event,) = read_events(member, tally)
    assert event.start.isoformat() == "2023-01-11T00:00:00+00:00"
    assert event.end is not None and event.end.hour == 6
    assert event.vessel_a == VesselRef(mmsi=636021061) and event.vessel_b == VesselRef(imo=9307839)
    assert event.title == "encounter" and (event.lat, event.lon) == (38.9, 124.1)
    assert tally.skipped == {"bad_time": 1, "bad_position": 1}


def test_events_csv_with_map(tmp_path: Path) -> None:
    text = "when,y_deg,x_deg,ship1,ship2\n11/01/2023 03:00,38.9,124.1,636021061,445000000\n"
    member = write(tmp_path, "e.csv", text)
    with pytest.raises(UserError, match="--map"):
        read_events(member, Tally())
    (event,) = read_events(
        member, Tally(), {"start": "when", "lat": "y_deg", "lon": "x_deg", "vessel_a": "ship1", "vessel_b": "ship2"}
    )
    assert event.start.day == 11 and event.start.month == 1 and event.start.hour == 3


def test_events_geojson(tmp_path: Path) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [124.1, 38.9]},
                "properties": {
                    "start": "2023-01-11T00:00:00Z",
                    "end": "2023-01-11T02:00:00Z",
                    "vessel_1": "636021061",
                    "vessel_2": "445000000",
                    "note": "from GFW",
                },
            },
            {"type": "Feature", "geometry": None, "properties": None},
        ],
    }
    tally = Tally()
    (event,) = read_events(write(tmp_path, "e.geojson", json.dumps(fc)), tally)
    assert (event.lat, event.lon) == (38.9, 124.1) and event.extra.get("note") == "from GFW"
    assert tally.read == 2 and tally.problems[0].location == "e.geojson:2"


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(max_size=15), max_size=14), max_size=6))
def test_malformed_registry_and_event_rows(tmp_path: Path, rows: list[list[str]]) -> None:
    import csv
    import io

    for header, reader in (
        (["imo", "mmsi", "name", "flag", "type", "length", "owner"], read_vessels),
        (["start", "end", "lat", "lon", "vessel_a", "vessel_b"], read_events),
    ):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        member = write(tmp_path, "f.csv", out.getvalue())
        tally = Tally()
        records = reader(member, tally)
        assert sum(tally.accepted.values()) == len(records)
        assert all(p.line is not None for p in tally.problems)
    ofac = io.StringIO()
    csv.writer(ofac).writerows(rows)
    tally = Tally()
    from evidence_app.ingest.registry import _read_ofac

    _read_ofac(write(tmp_path, "s.csv", ofac.getvalue()), tally)
