"""Detectors on generated tracks: encounters, gaps, loitering and identity checks find what was planted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_app.analysis.detection import Detection
from evidence_app.analysis.encounters import EncounterParams, detect_encounters
from evidence_app.analysis.gaps import GapParams, detect_gaps
from evidence_app.analysis.identity import (
    IdentityRecord,
    SpoofingParams,
    detect_jumps,
    identity_changes,
)
from evidence_app.analysis.loitering import LoiteringParams, detect_loitering
from evidence_app.analysis.tracks import prepare_tracks

T0 = 1_700_000_400  # a multiple of 600 s: grid steps fall on whole 10 minutes
H = 3600
SEA = (30.0, -40.0)  # mid-Atlantic, far from any coast
NM_DEG = 1 / 60  # one nautical mile of latitude, in degrees


def leg(mmsi, t_start, t_end, start, end, step=180, sog=None):
    """Rows (mmsi, ts, lat, lon, sog) along a straight line from start to end, every ``step`` seconds."""
    ts = np.arange(t_start, t_end + 1, step)
    f = (ts - t_start) / max(t_end - t_start, 1)
    lat = start[0] + (end[0] - start[0]) * f
    lon = start[1] + (end[1] - start[1]) * f
    if sog is None:
        km = math.hypot((end[0] - start[0]) * 111.2, (end[1] - start[1]) * 111.2 * math.cos(math.radians(start[0])))
        sog = km / 1.852 / max((t_end - t_start) / H, 1e-9)
    return [(mmsi, int(t), float(a), float(o), float(sog)) for t, a, o in zip(ts, lat, lon, strict=True)]


def tracks_of(rows, **kw):
    arr = list(zip(*rows, strict=True))
    return prepare_tracks(*arr, **kw)


def meeting(mmsi_a=111000001, mmsi_b=222000002, at=SEA, hours=3.0, t_meet=T0 + 5 * H):
    """Vessel A steams in, waits with B for ``hours``, both leave; B drifts 150 m from A."""
    lat, lon = at
    t_end = t_meet + int(hours * H)
    rows = []
    rows += leg(mmsi_a, T0, t_meet, (lat - 0.8, lon - 0.5), at)
    rows += leg(mmsi_a, t_meet, t_end, at, (lat + 0.002, lon), sog=0.3)[1:]
    rows += leg(mmsi_a, t_end, t_end + 5 * H, (lat + 0.002, lon), (lat + 0.9, lon + 0.4))[1:]
    b_at = (lat + 0.00135, lon)
    rows += leg(mmsi_b, T0, t_meet, (lat + 0.7, lon + 0.9), b_at)
    rows += leg(mmsi_b, t_meet, t_end, b_at, (b_at[0] + 0.002, lon), sog=0.4)[1:]
    rows += leg(mmsi_b, t_end, t_end + 5 * H, (b_at[0] + 0.002, lon), (lat - 0.9, lon + 0.8))[1:]
    return rows, t_meet, t_end


def test_two_vessels_meeting_three_hours_at_sea_give_one_encounter_with_the_right_window():
    rows, t_meet, t_end = meeting()
    found = detect_encounters(tracks_of(rows))
    assert len(found) == 1
    enc = found[0]
    assert enc.kind == "encounter" and enc.mmsis == (111000001, 222000002)
    # Approaching at ~10 kn, they are within 500 m only in the last minutes before t_meet.
    assert t_meet - 20 * 60 <= enc.start_ts <= t_meet
    assert t_end <= enc.end_ts <= t_end + 20 * 60
    assert 140 <= enc.metrics["min_distance_m"] <= 160
    assert abs(enc.lat - SEA[0]) < 0.01 and abs(enc.lon - SEA[1]) < 0.01
    assert all(v < 2 for v in enc.metrics["median_speed_kn"].values())
    assert enc.parameters["max_distance_m"] == 500 and enc.parameters["detector"] == "encounter"
    assert enc.metrics["shore_distance_m"] > 100_000


def test_a_meeting_shorter_than_the_minimum_is_not_an_encounter():
    rows, *_ = meeting(hours=1.5)
    assert detect_encounters(tracks_of(rows)) == []
    assert len(detect_encounters(tracks_of(rows), EncounterParams(min_hours=1.0))) == 1


def test_a_vessel_passing_at_speed_is_not_an_encounter():
    rows, t_meet, t_end = meeting()
    lat, lon = SEA
    # A third ship steams right through the meeting point at 12 kn.
    passer = leg(333000003, t_meet, t_meet + 4 * H, (lat - 0.4, lon), (lat + 0.4, lon), step=60)
    found = detect_encounters(tracks_of(rows + passer))
    assert [d.mmsis for d in found] == [(111000001, 222000002)]
    only_passer = leg(111000001, T0, T0 + 4 * H, (lat, lon - 0.5), (lat, lon + 0.5), step=60)
    anchored = leg(444000004, T0, T0 + 4 * H, SEA, SEA, sog=0.0)
    assert detect_encounters(tracks_of(only_passer + anchored)) == []


def test_vessels_far_apart_or_near_the_coast_are_not_encounters():
    rows, *_ = meeting(at=(36.0, -5.6))  # Strait of Gibraltar: a few km from land on both sides
    assert detect_encounters(tracks_of(rows)) == []
    assert len(detect_encounters(tracks_of(rows), EncounterParams(min_shore_m=0))) == 1


def test_a_receiver_dark_while_alongside_is_still_in_the_encounter():
    rows, t_meet, t_end = meeting(hours=5)
    dark = [r for r in rows if not (r[0] == 222000002 and t_meet + 600 <= r[1] <= t_end - 1800)]
    found = detect_encounters(tracks_of(dark))
    assert len(found) == 1
    assert found[0].metrics["max_silence_hours"]["222000002"] >= 4.0
    assert found[0].hours >= 5


def test_encounter_across_the_antimeridian():
    rows, t_meet, t_end = meeting(at=(30.0, 179.9995))
    # Put B on the other side of the line: same place, longitude written negative.
    rows = [(m, t, la, (lo - 360 if lo > 180 else lo)) + (s,) for m, t, la, lo, s in rows]
    rows = [(m, t, la, (lo - 360 if m == 222000002 and lo > 179.9995 else lo), s) for m, t, la, lo, s in rows]
    moved = [(m, t, la, lo + 0.001 if m == 222000002 else lo, s) for m, t, la, lo, s in rows]
    moved = [(m, t, la, lo - 360 if lo > 180 else lo, s) for m, t, la, lo, s in moved]
    assert any(r[3] < 0 for r in moved if r[0] == 222000002)
    found = detect_encounters(tracks_of(moved), EncounterParams(min_shore_m=0))
    assert len(found) == 1
    assert abs(abs(found[0].lon) - 180) < 0.01
    assert found[0].metrics["min_distance_m"] < 250


def test_sentinels_duplicates_and_a_gps_spike_do_not_break_the_encounter():
    rows, t_meet, t_end = meeting()
    noisy = list(rows)
    noisy.append((111000001, t_meet + H, 91.0, 181.0, 102.3))  # AIS "not available" sentinels
    noisy.append((111000001, t_meet + H + 30, float("nan"), 0.0, 1.0))
    noisy.append((222000002, t_meet + 2 * H + 50, SEA[0] + 3, SEA[1], 0.2))  # 180 nm spike, one report
    noisy += [r for r in rows if r[0] == 222000002 and t_meet < r[1] < t_meet + H]  # identical timestamps
    tracks = tracks_of(noisy)
    assert tracks.clean.bad_position == 2 and tracks.clean.spikes == 1 and tracks.clean.duplicate_time > 10
    found = detect_encounters(tracks)
    assert len(found) == 1 and found[0].mmsis == (111000001, 222000002)
    assert detect_encounters(prepare_tracks([], [], [], [])) == []


def test_a_vessel_going_dark_ten_hours_is_one_gap():
    lat, lon = SEA
    rows = leg(555000005, T0, T0 + 6 * H, (lat, lon), (lat + 0.5, lon), step=300)
    rows += leg(555000005, T0 + 16 * H, T0 + 20 * H, (lat + 0.9, lon), (lat + 1.2, lon), step=300)
    found = detect_gaps(tracks_of(rows))
    assert len(found) == 1
    gap = found[0]
    assert (gap.start_ts, gap.end_ts) == (T0 + 6 * H, T0 + 16 * H)
    assert gap.metrics["gap_hours"] == 10
    assert abs(gap.lat - (lat + 0.5)) < 1e-6 and abs(gap.metrics["end_lat"] - (lat + 0.9)) < 1e-6
    assert gap.metrics["implausible_jump"] is False and 2 < gap.metrics["implied_speed_kn"] < 3
    # A jump of 20 degrees in 10 hours is no voyage: flagged.
    far = leg(555000005, T0, T0 + 6 * H, (lat, lon), (lat + 0.5, lon), step=300)
    far += leg(555000005, T0 + 16 * H, T0 + 17 * H, (lat + 20, lon), (lat + 20.1, lon), step=300)
    assert detect_gaps(tracks_of(far))[0].metrics["implausible_jump"] is True


def test_a_vessel_that_always_reports_rarely_has_no_gap():
    lat, lon = SEA
    sparse = leg(555000005, T0, T0 + 80 * H, (lat, lon), (lat + 2, lon), step=7 * H)
    assert detect_gaps(tracks_of(sparse)) == []
    assert len(detect_gaps(tracks_of(sparse), GapParams(min_reports_before=1))) > 5


def test_loitering_at_sea_but_not_a_transit():
    lat, lon = SEA
    rows = leg(666000006, T0, T0 + 3 * H, (lat - 0.3, lon), (lat, lon))
    rows += leg(666000006, T0 + 3 * H, T0 + 8 * H, (lat, lon), (lat + 0.01, lon + 0.01), sog=0.8)[1:]
    rows += leg(666000006, T0 + 8 * H, T0 + 10 * H, (lat + 0.01, lon + 0.01), (lat + 0.3, lon))[1:]
    found = detect_loitering(tracks_of(rows))
    assert len(found) == 1
    event = found[0]
    assert (event.start_ts, event.end_ts) == (T0 + 3 * H + 180, T0 + 8 * H)
    assert event.metrics["radius_m"] < 1000 and event.metrics["median_speed_kn"] == 0.8
    assert detect_loitering(tracks_of(rows), LoiteringParams(min_hours=6)) == []
    transit = leg(666000006, T0, T0 + 10 * H, (lat, lon), (lat + 1.5, lon))
    assert detect_loitering(tracks_of(transit)) == []


def test_one_mmsi_in_two_places_at_once_is_a_spoofing_flag():
    lat, lon = SEA
    a = leg(777000007, T0, T0 + 2 * H, (lat, lon), (lat + 0.1, lon), step=120)
    b = leg(777000007, T0 + 60, T0 + 2 * H + 60, (lat + 5, lon), (lat + 5.1, lon), step=120)
    same_second = [(777000007, T0 + 5 * H, lat, lon, 1.0), (777000007, T0 + 5 * H, lat + 1, lon, 1.0)]
    tracks = tracks_of(a + b + same_second, dedupe=False, drop_spikes=False)
    found = detect_jumps(tracks)
    assert len(found) == 1
    assert found[0].metrics["jumps"] > 100 and found[0].metrics["simultaneous"] == 1
    assert found[0].metrics["max_distance_m"] > 500_000
    honest = leg(777000007, T0, T0 + 10 * H, (lat, lon), (lat + 2, lon), step=120)
    assert detect_jumps(tracks_of(honest, dedupe=False, drop_spikes=False), SpoofingParams()) == []


def test_identity_changes_and_a_shared_mmsi():
    recs = [
        IdentityRecord(
            "hull-1",
            name="OCEAN BREEZE 8",
            flag="Sierra Leone",
            mmsi=667001234,
            imo=9147368,
            first_seen=100,
            last_seen=200,
        ),
        IdentityRecord(
            "hull-1", name="SONGHAE 7", flag="North Korea", mmsi=445127000, imo=9147368, first_seen=300, last_seen=None
        ),
        IdentityRecord("hull-2", name="OTHER", flag="Panama", mmsi=667001234, first_seen=150, last_seen=250),
    ]
    found = identity_changes(recs)
    change = next(d for d in found if "changed" in d.metrics)
    assert change.metrics["changed"] == {
        "name": ["OCEAN BREEZE 8", "SONGHAE 7"],
        "flag": ["Sierra Leone", "North Korea"],
        "mmsi": [667001234, 445127000],
    }
    assert (change.start_ts, change.end_ts) == (200, 300)
    shared = next(d for d in found if "shared_mmsi" in d.metrics)
    assert shared.mmsis == (667001234,) and (shared.start_ts, shared.end_ts) == (150, 200)
    assert identity_changes(recs[:1]) == []


# ---------------------------------------------------------------- properties

offsets = st.tuples(st.floats(-0.003, 0.003), st.floats(-0.003, 0.003))


@settings(max_examples=25, deadline=None)
@given(offset=offsets, hours=st.floats(0.5, 6.0), swap=st.booleans(), seed=st.integers(0, 1000))
def test_encounters_do_not_depend_on_vessel_order_or_row_order(offset, hours, swap, seed):
    rows, *_ = meeting(hours=hours)
    rows = [
        (m, t, la + (offset[0] if m == 222000002 else 0), lo + (offset[1] if m == 222000002 else 0), s)
        for m, t, la, lo, s in rows
    ]
    params = EncounterParams(min_shore_m=0)
    base = detect_encounters(tracks_of(rows), params)
    relabel = {111000001: 222000002, 222000002: 111000001} if swap else {}
    shuffled = [(relabel.get(m, m), t, la, lo, s) for m, t, la, lo, s in rows]
    np.random.default_rng(seed).shuffle(shuffled)
    other = detect_encounters(tracks_of(shuffled), params)
    assert [(d.start_ts, d.end_ts, d.metrics["min_distance_m"], round(d.lat, 6)) for d in base] == [
        (d.start_ts, d.end_ts, d.metrics["min_distance_m"], round(d.lat, 6)) for d in other
    ]
    assert all(d.mmsis == (111000001, 222000002) for d in other)


@settings(max_examples=20, deadline=None)
@given(steps=st.integers(-10_000, 10_000), hours=st.floats(1.0, 6.0))
def test_shifting_all_times_by_whole_grid_steps_shifts_the_results(steps, hours):
    shift = steps * 600
    rows, *_ = meeting(hours=hours)
    moved = [(m, t + shift, la, lo, s) for m, t, la, lo, s in rows]
    params = EncounterParams(min_shore_m=0)

    def key(found: list[Detection], by: int = 0):
        return [(d.kind, d.start_ts + by, d.end_ts + by, d.mmsis, d.metrics["min_distance_m"]) for d in found]

    assert key(detect_encounters(tracks_of(rows), params), shift) == key(detect_encounters(tracks_of(moved), params))
    gap_rows = [r for r in rows if not (T0 + 6 * H < r[1] < T0 + 13 * H)]
    g1 = detect_gaps(tracks_of(gap_rows))
    g2 = detect_gaps(tracks_of([(m, t + shift, la, lo, s) for m, t, la, lo, s in gap_rows]))
    assert [(d.start_ts + shift, d.end_ts + shift, d.mmsis) for d in g1] == [
        (d.start_ts, d.end_ts, d.mmsis) for d in g2
    ]


@pytest.mark.parametrize("n_other", [0, 50])
def test_bystanders_do_not_change_the_result(n_other):
    rows, *_ = meeting()
    rng = np.random.default_rng(3)
    for i in range(n_other):
        la, lo = SEA[0] + rng.uniform(-2, 2), SEA[1] + rng.uniform(-2, 2)
        rows += leg(
            900000000 + i, T0, T0 + 12 * H, (la, lo), (la + rng.uniform(-1, 1), lo + rng.uniform(-1, 1)), step=600
        )
    found = [d for d in detect_encounters(tracks_of(rows)) if d.mmsis == (111000001, 222000002)]
    assert len(found) == 1
