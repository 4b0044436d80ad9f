"""Distance to the real coast: Natural Earth 1:10m edges with its small islands, on land reported, checked against geodesics."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from evidence_app.analysis import shore

ROOT = Path(__file__).resolve().parents[3]


def _reference_tool():
    spec = importlib.util.spec_from_file_location(
        "measure_coast_accuracy", ROOT / "tools" / "measure_coast_accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_meeting_among_small_islands_is_near_the_shore_not_34_km_out():
    fix = shore.shore_fix(36.6, 24.9)  # between Cycladic islets the 1:50m coastline did not have
    assert not fix.on_land and 1000 < fix.distance_m < 2500
    assert fix.as_metrics() == {"shore_distance_m": round(fix.distance_m)}


def test_a_fjord_is_water_with_both_shores_a_few_kilometres_off():
    fix = shore.shore_fix(59.7, 5.55)  # Bjørnafjorden: land in the 1:50m polygons
    assert not fix.on_land and 2000 < fix.distance_m < 3000


def test_a_point_inside_the_land_polygons_is_on_land_with_its_distance_inland():
    fix = shore.shore_fix(60.45, 6.6)
    assert fix.on_land and 0 < fix.distance_m < 1000
    assert fix.as_metrics()["on_land_by_coastline"] is True
    assert shore.distance_from_shore_m(60.45, 6.6) == 0.0
    assert shore.on_land(0.0, 20.0)  # the Congo basin
    assert not shore.on_land(30.0, -40.0)


def test_mid_ocean_is_capped_and_the_antimeridian_is_seamless():
    assert shore.shore_fix(30.0, -40.0).distance_m == 200_000
    east, west = shore.shore_fix(-16.6, 179.999), shore.shore_fix(-16.6, -179.999)
    assert abs(east.distance_m - west.distance_m) < 300  # 220 m apart, either side of ±180°


def test_distance_is_to_the_edge_not_the_nearest_vertex():
    coast = shore._coast()
    # The longest coastline edge away from the poles: its midpoint's nearest vertex is half an edge away.
    a, b = coast.coords[:-1], coast.coords[1:]
    same_piece = np.ones(len(a), dtype=bool)
    same_piece[coast.offsets[1:-1] - 1] = False
    length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]) * same_piece * (np.abs(a[:, 1]) < 60)
    i = int(np.argmax(length))
    lon, lat = (a[i] + b[i]) / 2
    fix = shore.shore_fix(float(lat), float(lon))
    half_edge_m = length[i] / 2 * 111_000 * math.cos(math.radians(lat))
    assert half_edge_m > 2000 and fix.distance_m < 300


def test_agrees_with_the_wgs84_geodesic_to_a_metre_or_two():
    import shapely

    tool = _reference_tool()
    coast = shore._coast()
    for lat, lon in ((36.6, 24.9), (59.7, 5.55), (51.0, 1.6), (-33.95, 18.3)):
        fix = shore.shore_fix(lat, lon)
        boxes = [coast.pieces.query(shapely.box(*b)) for b in shore._box_queries(lat, lon, 2 * fix.distance_m + 5000)]
        reference = tool.reference_m(lat, lon, coast.coords, coast.offsets, np.unique(np.concatenate(boxes)))
        assert fix.distance_m == pytest.approx(reference, abs=2.0, rel=0.002)
