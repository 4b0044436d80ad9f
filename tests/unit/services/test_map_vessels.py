"""The desk map's vessel data: each incident carries its participants' MMSIs (the page highlights
their vessels), and a vessel's track is found in the case or read in for "Show track on map"."""

from __future__ import annotations

from evidence_app.mapview.layers import incidents_columns
from evidence_app.services import cases, demo, incidents
from evidence_app.services.map_data import CaseMap

RECEIVER, SUPPLIER = 445127000, 352004567  # the demo's tankers with AIS


def test_incidents_carry_their_participants_mmsis(ctx, tmp_path):
    case_id = demo.create_demo_case(ctx, tmp_path)
    case_map = CaseMap(ctx)
    case_map.load_case(case_id)
    by_title = {p.title: p for p in case_map.all_incidents.values()}
    transfer = by_title["STS transfer east of Zhoushan"]
    assert {RECEIVER, SUPPLIER} <= set(transfer.mmsis)
    columns = incidents_columns([transfer])
    assert columns["mmsis"] == [list(transfer.mmsis)]
    # Re-read after an edit: the participants come along.
    incidents.update_incident(ctx, transfer.id, title="Renamed")
    case_map.refresh_incident(transfer.id)
    assert case_map.all_incidents[transfer.id].title == "Renamed"
    assert case_map.all_incidents[transfer.id].mmsis == transfer.mmsis


def test_track_of_finds_the_case_track_or_reads_one_in(ctx, tmp_path):
    demo.create_demo_case(ctx, tmp_path)
    other = cases.create_case(ctx, "No vessels")
    case_map = CaseMap(ctx)
    case_map.load_case(other.id)
    assert case_map.data.tracks == []
    track = case_map.track_of(SUPPLIER)  # a vessel outside this case: read from the store
    assert track is not None and track.mmsi == SUPPLIER and len(track.lat) > 100
    assert case_map.track_of(SUPPLIER) is track and case_map.data.tracks == [track]
    assert case_map.track_of(999999999) is None
