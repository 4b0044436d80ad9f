"""Planted truth near real coasts: every detector finds exactly the planted events, and says what it left out.

One generated MarineCadastre day (reports every 3 minutes), imported through the AIS
importer, holds:
- an open-sea meeting of exactly 2 h starting off the grid (05:03 to 07:03 within 500 m);
- an open-sea meeting of 3 h (the control: found with every rule on);
- an anchorage crowd 8 km off the Gulf of Suez coast: six ships 20-320 m apart at 0.2 kn
  for 11 h, no listed port within 19 km (only the anchorage learned from the AIS removes it);
- a meeting between small Cycladic islands, 1.6 km from the nearest one (the 1:50m
  coastline has no island there: 34 km "offshore" before);
- a meeting in a Norwegian fjord (Bjørnafjorden), 2.5 km from both shores, which the
  1:50m land polygons covered as land;
- a meeting placed inside the 1:10m land polygons (Hardangerfjord narrows), which the AIS
  puts at sea: reported as on land, not dropped silently.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evidence_app.analysis.places import Zone
from evidence_app.services import detect, imports

DAY = datetime(2023, 6, 1, tzinfo=UTC)
STEP = timedelta(minutes=3)
END = DAY + timedelta(hours=14)
KN = 1852 / 3600
R = 6_371_008.8

OPEN_SEA_2H = (25.0, -45.0)
OPEN_SEA_3H = (20.0, -35.0)
ANCHORAGE = (29.5, 32.55)
ISLANDS = (36.6, 24.9)
FJORD = (59.7, 5.55)
ON_LAND = (60.45, 6.6)


def _moved(point: tuple[float, float], bearing_deg: float, metres: float) -> tuple[float, float]:
    lat, lon = point
    b = math.radians(bearing_deg)
    return (
        lat + math.degrees(metres * math.cos(b) / R),
        lon + math.degrees(metres * math.sin(b) / R / math.cos(math.radians(lat))),
    )


def _station(mmsi: int, at: tuple[float, float], arrive: datetime, leave: datetime, bearing: float) -> list[tuple]:
    """A ship sails in at 10 kn along ``bearing``, lies at ``at`` (0.2 kn) from arrive to leave, sails on."""
    rows = []
    t = DAY
    while t <= END:
        if t < arrive:
            place, sog = _moved(at, bearing, (arrive - t).total_seconds() * 10 * KN), 10.0
        elif t <= leave:
            place, sog = _moved(at, 90, (t - arrive).total_seconds() * 0.2 * KN / 60), 0.2
        else:
            place, sog = _moved(at, bearing + 180, (t - leave).total_seconds() * 10 * KN), 10.0
        rows.append((mmsi, t, *place, sog))
        t += STEP
    return rows


def _exact_two_hours() -> list[tuple]:
    """A lies still from 04:30 to 07:30; B closes in to 499 m at 05:03, holds 150 m, is 499 m away at 07:03."""
    a, b = 301000001, 301000002
    rows = _station(a, OPEN_SEA_2H, DAY + timedelta(hours=4, minutes=30), DAY + timedelta(hours=7, minutes=30), 200)
    t = DAY
    start, end = DAY + timedelta(hours=5, minutes=3), DAY + timedelta(hours=7, minutes=3)
    while t <= END:
        if t < start:
            metres, sog = 499 + (start - t).total_seconds() * 10 * KN, 10.0
        elif t == start or t == end:
            metres, sog = 499.0, 3.0
        elif t < end:
            metres, sog = 150.0, 0.3
        else:
            metres, sog = 499 + (t - end).total_seconds() * 10 * KN, 10.0
        rows.append((b, t, *_moved(OPEN_SEA_2H, 0, metres), sog))
        t += STEP
    return rows


def _pair(first: int, at: tuple[float, float], hours: float, start_hour: float = 2.0) -> list[tuple]:
    arrive = DAY + timedelta(hours=start_hour)
    leave = arrive + timedelta(hours=hours)
    return _station(first, at, arrive, leave, 30) + _station(first + 1, _moved(at, 0, 150), arrive, leave, 250)


def _anchorage_crowd() -> list[tuple]:
    rows = []
    offsets = [(0, 0), (0, 20), (45, 120), (100, 210), (180, 320), (270, 260)]  # (bearing, metres) from the centre
    for i, (bearing, metres) in enumerate(offsets):
        rows += _station(
            401000001 + i,
            _moved(ANCHORAGE, bearing, metres),
            DAY + timedelta(hours=1),
            DAY + timedelta(hours=12),
            i * 60 + 10,
        )
    return rows


def write_planted_csv(path: Path) -> None:
    rows = (
        _exact_two_hours()
        + _pair(302000001, OPEN_SEA_3H, 3)
        + _anchorage_crowd()
        + _pair(501000001, ISLANDS, 3)
        + _pair(601000001, FJORD, 3)
        + _pair(701000001, ON_LAND, 3)
    )
    rows.sort(key=lambda r: (r[1], r[0]))
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        for mmsi, ts, la, lo, sog in rows:
            w.writerow([mmsi, ts.strftime("%Y-%m-%dT%H:%M:%S"), f"{la:.6f}", f"{lo:.6f}", sog, 0, 0, f"V{mmsi}", ""])


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    folder = tmp_path_factory.mktemp("planted")
    path = folder / "planted_ais.csv"
    write_planted_csv(path)
    store = open_store(folder / "store.sqlite", objects_dir=folder / "objects")
    ctx = Context(store, "tester")
    imports.import_ais(ctx, [path])
    yield ctx
    store.close()


def _pairs(dets) -> set[tuple[int, ...]]:
    return {d.mmsis for d in dets}


def test_encounters_are_exactly_the_two_open_sea_meetings_and_every_other_candidate_is_reported(planted):
    run = detect.run_detection(planted, "encounters")
    assert _pairs(run.detections) == {(301000001, 301000002), (302000001, 302000002)}
    reasons = {e.detection.mmsis: e.reason for e in run.excluded}
    crowd = [m for m in reasons if m[0] // 1000 == 401000]
    assert len(crowd) == 15 and all(reasons[m] == "anchorage" for m in crowd)  # every pair of six ships
    assert reasons[(501000001, 501000002)] == "near_shore"
    assert reasons[(601000001, 601000002)] == "near_shore"
    assert reasons[(701000001, 701000002)] == "on_land"
    assert len(run.excluded) == 18
    assert run.excluded_counts() == {"anchorage": 15, "near_shore": 2, "on_land": 1}
    islands = next(e for e in run.excluded if e.detection.mmsis == (501000001, 501000002))
    assert 1000 < islands.detection.metrics["shore_distance_m"] < 2500  # the 1:50m coast said 34 km
    on_land = next(e for e in run.excluded if e.reason == "on_land")
    assert "inside the coastline's land polygons" in on_land.detail
    assert run.as_dict()["excluded"][0]["reason"] in {"anchorage", "near_shore", "on_land"}


def test_a_meeting_of_exactly_two_hours_off_the_grid_has_its_window_to_the_minute(planted):
    run = detect.run_detection(planted, "encounters")
    meeting = next(d for d in run.detections if d.mmsis == (301000001, 301000002))
    assert abs((meeting.start - (DAY + timedelta(hours=5, minutes=3))).total_seconds()) < 60
    assert abs((meeting.end - (DAY + timedelta(hours=7, minutes=3))).total_seconds()) < 60
    assert meeting.metrics["duration_hours"] == pytest.approx(2.0, abs=1 / 60)
    control = next(d for d in run.detections if d.mmsis == (302000001, 302000002))
    # 150 m apart from 02:00 to 05:00; sailing in and out at 10 kn on converging courses, they
    # are within 500 m for about a minute either side.
    assert 30 <= (DAY + timedelta(hours=2) - control.start).total_seconds() <= 90
    assert 30 <= (control.end - (DAY + timedelta(hours=5))).total_seconds() <= 90
    longer = detect.run_detection(planted, "encounters", params=detect.EncounterParams(min_hours=2.05))
    assert (301000001, 301000002) not in _pairs(longer.detections)


def test_the_fjord_meeting_is_found_with_a_lower_shore_limit_at_its_true_distance(planted):
    run = detect.run_detection(planted, "encounters", params=detect.EncounterParams(min_shore_m=1000))
    fjord = next(d for d in run.detections if d.mmsis == (601000001, 601000002))
    assert 2000 < fjord.metrics["shore_distance_m"] < 3000
    assert (501000001, 501000002) in _pairs(run.detections)  # the islands meeting, 1.6 km out
    assert (701000001, 701000002) in {e.detection.mmsis for e in run.excluded if e.reason == "on_land"}
    everything = detect.run_detection(
        planted, "encounters", params=detect.EncounterParams(min_shore_m=0, port_radius_m=0)
    )
    assert len(everything.detections) == 2 + 15 + 3 and everything.excluded == []


def test_loitering_in_the_anchorage_is_left_out_and_counted(planted):
    run = detect.run_detection(planted, "loitering")
    assert run.detections == []
    assert run.excluded_counts() == {"anchorage": 6}
    kept = detect.run_detection(planted, "loitering", params=detect.LoiteringParams(port_radius_m=0))
    assert sorted(d.mmsis[0] for d in kept.detections) == [401000001 + i for i in range(6)]
    assert detect.run_detection(planted, "gaps").detections == []


def test_an_analyst_zone_removes_a_meeting_and_says_so(planted):
    zone = Zone("survey area", -36, 19, -34, 21)
    run = detect.run_detection(planted, "encounters", zones=[zone])
    assert _pairs(run.detections) == {(301000001, 301000002)}
    left = [e for e in run.excluded if e.reason == "zone"]
    assert [e.detection.mmsis for e in left] == [(302000001, 302000002)] and "survey area" in left[0].detail
    assert run.query["exclusion_zones"] == [{"name": "survey area", "bbox": [-36, 19, -34, 21]}]
