"""Antimeridian splitting, track simplification, layer GeoJSON and the data provider."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_app.domain.antimeridian import (
    crosses_antimeridian,
    split_line,
    split_polygon,
    split_ring,
    unwrap,
)
from evidence_app.domain.errors import UserError
from evidence_app.mapview.layers import Footprint, IncidentPoint, MapData, Overlay, Track
from evidence_app.mapview.mbtiles import MBTiles
from evidence_app.mapview.server import MapSite
from evidence_app.mapview.simplify import douglas_peucker


def test_line_across_the_antimeridian_is_cut_on_it() -> None:
    parts = split_line([(179.0, 10.0), (-179.0, 12.0)])
    assert parts == [[(179.0, 10.0), (180.0, 11.0)], [(-180.0, 11.0), (-179.0, 12.0)]]


def test_ring_across_the_antimeridian_becomes_two_rings() -> None:
    ring = [(178.0, 0.0), (-178.0, 0.0), (-178.0, 2.0), (178.0, 2.0), (178.0, 0.0)]
    pieces = split_ring(ring)
    assert len(pieces) == 2
    spans = sorted((min(p[0] for p in r), max(p[0] for p in r)) for r in pieces)
    assert spans == [(-180.0, -178.0), (178.0, 180.0)]
    assert all(r[0] == r[-1] and not crosses_antimeridian(r) for r in pieces)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-180, 180), st.floats(-80, 80)),
        min_size=3,
        max_size=12,
    )
)
def test_split_polygons_never_cross_and_stay_in_range(points: list[tuple[float, float]]) -> None:
    ring = [*points, points[0]]
    unwrapped = unwrap(ring)
    round_the_pole = abs(unwrapped[-1][0] - unwrapped[0][0]) > 180  # left as it is, by design
    for polygon in split_polygon([ring]):
        for part in polygon:
            assert all(-180.0 <= lon <= 180.0 for lon, _ in part)
            assert part[0] == part[-1]
            if not round_the_pole:
                assert not crosses_antimeridian(part)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=2, max_size=60), st.floats(0.001, 5))
def test_douglas_peucker_keeps_every_point_within_tolerance(points, tolerance) -> None:
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    keep = douglas_peucker(x, y, tolerance)
    assert keep[0] == 0 and keep[-1] == len(points) - 1
    for a, b in zip(keep, keep[1:], strict=False):
        dx, dy = x[b] - x[a], y[b] - y[a]
        length = np.hypot(dx, dy)
        for i in range(a + 1, b):
            d = (
                np.hypot(x[i] - x[a], y[i] - y[a])
                if length == 0
                else abs(dy * (x[i] - x[a]) - dx * (y[i] - y[a])) / length
            )
            assert d <= tolerance + 1e-9


def test_straight_track_simplifies_to_its_ends_and_keeps_times() -> None:
    n = 1000
    track = Track(
        440123456, "STRAIGHT", np.arange(n) * 60 + 1_600_000_000, np.linspace(34, 35, n), np.linspace(124, 125, n)
    )
    (feature,) = track.features(6)
    assert len(feature["geometry"]["coordinates"]) < 10
    assert feature["properties"]["t"][0] == 1_600_000_000
    assert feature["properties"]["t"][-1] == 1_600_000_000 + (n - 1) * 60
    assert len(track.features(15)[0]["geometry"]["coordinates"]) == n


def test_track_across_the_antimeridian_is_two_lines_with_aligned_times() -> None:
    track = Track(
        1,
        "DATELINE",
        np.array([0, 10, 20, 30]),
        np.array([50.0, 50.0, 50.5, 51.0]),
        np.array([179.0, 179.5, -179.5, -179.0]),
    )
    features = track.features(15)
    assert len(features) == 2
    for f in features:
        assert len(f["properties"]["t"]) == len(f["geometry"]["coordinates"])
        assert not crosses_antimeridian(f["geometry"]["coordinates"])
    assert features[0]["geometry"]["coordinates"][-1][0] == 180.0
    assert features[1]["geometry"]["coordinates"][0][0] == -180.0


def test_map_data_answers_the_page() -> None:
    data = MapData(
        [
            IncidentPoint("a", "<b>x</b>", "confirmed", 35.0, 125.0, 500, 100, None),
            IncidentPoint("b", "unplaced", "suspected", None, None),
        ],
        [Track(7, "V", np.array([0, 1, 2]), np.array([34.0, 34.1, 34.2]), np.array([124.0, 124.2, 124.1]))],
        [
            Footprint(
                "e",
                "scene",
                "photo",
                {"type": "Polygon", "coordinates": [[[179, 0], [-179, 0], [-179, 1], [179, 1], [179, 0]]]},
            )
        ],
        [Overlay("o", "photo", b"\x89PNG fake", (34.0, 124.0, 35.0, 125.0))],
    )
    incidents = json.loads(data("/data/incidents.geojson", {}).body)
    assert [f["id"] for f in incidents["features"]] == ["a"]
    assert incidents["features"][0]["properties"]["title"] == "<b>x</b>"
    assert incidents["features"][0]["properties"]["t1"] == 100
    tracks = json.loads(data("/data/tracks.geojson", {"z": "8"}).body)
    assert len(tracks["features"]) == 1
    away = json.loads(
        data("/data/tracks.geojson", {"z": "12", "west": "0", "south": "0", "east": "1", "north": "1"}).body
    )
    assert away["features"] == []
    footprints = json.loads(data("/data/footprints.geojson", {}).body)
    assert footprints["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert data("/overlay/o.png", {}).body.startswith(b"\x89PNG")
    assert data("/overlay/zzz.png", {}) is None
    assert json.loads(data("/data/overlays.json", {}).body)[0]["bounds"] == [[34.0, 124.0], [35.0, 125.0]]
    moved = data.move_incident("a", 36.0, 126.0)
    assert moved["geometry"]["coordinates"] == [126.0, 36.0]


def _make_mbtiles(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
    )
    conn.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("name", "Chart <b>"), ("format", "png"), ("minzoom", "0"), ("maxzoom", "1"), ("bounds", "120,30,130,40")],
    )
    # TMS row 0 at zoom 1 is the *bottom* row: XYZ y = 1.
    conn.execute("INSERT INTO tiles VALUES (1, 0, 0, ?)", (b"bottom-left",))
    conn.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (b"top-left",))
    conn.commit()
    conn.close()


def test_mbtiles_rows_are_flipped_and_served(tmp_path: Path) -> None:
    path = tmp_path / "chart.mbtiles"
    _make_mbtiles(path)
    tiles = MBTiles.open(path)
    assert tiles.tile(1, 0, 0) == b"top-left"
    assert tiles.tile(1, 0, 1) == b"bottom-left"
    assert tiles.tile(1, 5, 0) is None
    assert tiles.zoom_range == (0, 1) and tiles.bounds == (120.0, 30.0, 130.0, 40.0)
    site = MapSite()
    descriptor = site.add_mbtiles(tiles)
    assert descriptor["url"] == "/tiles/0/{z}/{x}/{y}"
    answer = site.handle("/tiles/0/1/0/1", {})
    assert answer.body == b"bottom-left" and answer.media_type == "image/png"
    assert "Chart" in site.page_html()


def test_a_file_that_is_not_mbtiles_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(UserError) as err:
        MBTiles.open(bad)
    assert "x.mbtiles" in str(err.value) and "MBTiles" in str(err.value)
    with pytest.raises(UserError):
        MBTiles.open(tmp_path / "missing.mbtiles")
