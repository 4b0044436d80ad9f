"""Header auto-detection as data: the GUI's mapping table shows what the parsers would pick."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence_app.domain.errors import UserError
from evidence_app.ingest import ais_csv
from evidence_app.ingest.columns import detect_columns, plan_columns


def test_marinecadastre_header_is_fully_detected(shared_data):
    plan = plan_columns(shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv", "ais")
    assert plan is not None and plan.missing == []
    assert plan.columns["mmsi"] == "MMSI" and plan.columns["time"] == "BaseDateTime"
    assert plan.columns["lat"] == "LAT" and plan.columns["beam"] == "Width" and plan.columns["nav_status"] == "Status"


def test_nmea_has_no_column_plan(shared_data):
    assert plan_columns(shared_data / "ais" / "nmea_aegean_sample.txt", "ais") is None


def test_unknown_columns_are_reported_missing_and_a_mapping_fills_them(tmp_path: Path):
    f = tmp_path / "positions.csv.gz"
    f.write_bytes(gzip.compress(b"Schiff,Zeit,Breite,Laenge,Fahrt\n211000000,2023-01-01T00:00:00,54.1,10.2,3.4\n"))
    plan = plan_columns(f, "ais")
    assert plan is not None and plan.header == ["Schiff", "Zeit", "Breite", "Laenge", "Fahrt"]
    assert plan.missing == ["mmsi", "time", "lat", "lon"]
    chosen = detect_columns(
        plan.header, "ais", {"mmsi": "Schiff", "time": "Zeit", "lat": "Breite", "lon": "Laenge", "sog": "Fahrt"}
    )
    assert {k: v for k, v in chosen.items() if v} == {
        "mmsi": "Schiff",
        "time": "Zeit",
        "lat": "Breite",
        "lon": "Laenge",
        "sog": "Fahrt",
    }


def test_events_and_registry_plans(tmp_path: Path):
    ev = tmp_path / "encounters.csv"
    ev.write_text("start_time,end_time,mean_lat,mean_lon,vessel_1,vessel_2,event_id\n")
    plan = plan_columns(ev, "events")
    assert plan is not None and plan.missing == []
    assert plan.columns["vessel_a"] == "vessel_1" and plan.columns["id"] == "event_id"
    reg = tmp_path / "registry.csv"
    reg.write_text("IMO number,Ship name,Flag state,Registered owner\n")
    plan = plan_columns(reg, "vessels")
    assert plan is not None and plan.mapping() == {
        "imo": "IMO number",
        "name": "Ship name",
        "flag": "Flag state",
        "owner": "Registered owner",
    }
    geo = tmp_path / "events.geojson"
    geo.write_text('{"type": "FeatureCollection", "features": []}')
    assert plan_columns(geo, "events") is None


def test_mapping_to_a_missing_column_is_refused():
    with pytest.raises(UserError, match="no column 'Nope'"):
        detect_columns(["a", "b"], "ais", {"lat": "Nope"})


@given(
    st.lists(
        st.sampled_from(["MMSI", "time", "Lat", "longitude", "SOG", "x", "y", "junk", "IMO", "name"]),
        min_size=1,
        max_size=8,
    )
)
def test_detection_agrees_with_the_parser(header):
    """Whatever the header, the plan names exactly the columns the parser resolves."""
    plan = detect_columns(header, "ais")
    resolved = ais_csv.match_columns(header, {}, ais_csv.ALIASES, "f.csv")
    assert {f: header[i] for f, i in resolved.items()} == {f: c for f, c in plan.items() if c}
