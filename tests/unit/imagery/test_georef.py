"""Georeferencing: real GeoTIFF and EXIF samples, synthetic tags, world files, manual placement."""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from evidence_app.domain.errors import UserError
from evidence_app.imagery import georef
from evidence_app.imagery.images import probe_image

LANDSAT = "imagery/landsat7_bahamas_utm18n.tif"
EXIF_PHOTO = "imagery/exif_gps_photo.jpg"


def test_landsat_footprint_and_gsd(shared_data):
    info = probe_image(shared_data / LANDSAT)
    g = info.georef
    assert g is not None and g.method == "geotiff" and g.crs == "EPSG:32618"
    west, south, east, north = g.bounds()
    assert west == pytest.approx(-78.96, abs=0.01)
    assert east == pytest.approx(-76.57, abs=0.01)
    assert south == pytest.approx(23.57, abs=0.01)
    assert north == pytest.approx(25.55, abs=0.01)
    assert g.gsd_m == pytest.approx(300, abs=1)
    assert info.nodata == 0
    ring = g.footprint_geojson()["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) > 5


def test_exif_gps_photo_point_and_time(shared_data):
    info = probe_image(shared_data / EXIF_PHOTO)
    g = info.georef
    assert g is not None and g.method == "exif-gps"
    assert g.point[0] == pytest.approx(43.467448, abs=1e-6)
    assert g.point[1] == pytest.approx(11.885127, abs=1e-6)
    assert g.gps_time == datetime(2008, 10, 23, 14, 27, 7, 240000, tzinfo=UTC)
    # GPS time is UTC from the satellites; the camera clock has no zone, so GPS wins.
    assert info.capture_time == g.gps_time and info.capture_time_source == "EXIF GPS"
    assert g.footprint_geojson() == {"type": "Point", "coordinates": [g.point[1], g.point[0]]}


def test_geotiff_with_unexpected_extension(shared_data, tmp_path):
    copy = tmp_path / "scene.dat"
    shutil.copyfile(shared_data / LANDSAT, copy)
    info = probe_image(copy)
    assert info.format == "TIFF" and info.georef.crs == "EPSG:32618"


def test_model_transformation_equals_tiepoint_scale(tmp_path, make_geotiff):
    tp = make_geotiff(
        tmp_path / "a.tif",
        {
            33550: (10.0, 20.0, 0.0),
            33922: (0.0, 0.0, 0.0, 500000.0, 4000000.0, 0.0),
            34735: (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32633),
        },
    )
    mt = make_geotiff(
        tmp_path / "b.tif",
        {
            34264: (10.0, 0.0, 0.0, 500000.0, 0.0, -20.0, 0.0, 4000000.0, 0, 0, 0, 0, 0, 0, 0, 1),
            34735: (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32633),
        },
    )
    a, b = probe_image(tp).georef, probe_image(mt).georef
    assert a.transform == pytest.approx(b.transform)
    assert [c for p in a.footprint for c in p] == pytest.approx([c for p in b.footprint for c in p])
    # 15° E is the central meridian of UTM 33N; 500 km easting sits on it.
    lon, lat = georef.pixel_to_lonlat(a, 0, 0)
    assert lon == pytest.approx(15.0, abs=1e-6)


def test_geographic_geotiff_and_pixel_is_point(tmp_path, make_geotiff):
    tags = {
        33550: (0.01, 0.01, 0.0),
        33922: (0.0, 0.0, 0.0, 124.0, 39.0, 0.0),
        34735: (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326),
    }
    g = probe_image(make_geotiff(tmp_path / "g.tif", tags, size=(100, 50))).georef
    assert g.crs == "EPSG:4326"
    west, south, east, north = g.bounds()
    # PixelIsPoint: the tiepoint is the centre of the first pixel, so the edge is half a pixel out.
    assert west == pytest.approx(123.995) and north == pytest.approx(39.005)
    assert east == pytest.approx(124.995) and south == pytest.approx(38.505)
    assert g.gsd_m == pytest.approx(0.01 * 111_000 * (1 + math.cos(math.radians(38.75))) / 2, rel=0.02)


def test_user_defined_projection_is_refused_clearly(tmp_path, make_geotiff):
    tags = {
        33550: (1.0, 1.0, 0.0),
        33922: (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        34735: (1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32767),
    }
    # No projection keys at all: the message names the key that would say the projection.
    with pytest.raises(UserError, match=r"user-defined projected system .* no ProjCoordTransGeoKey \(3075\)") as err:
        probe_image(make_geotiff(tmp_path / "u.tif", tags))
    assert err.value.location == "u.tif"


def test_geostationary_full_disk_is_reported_not_placed():
    # Himawari-style full disk: the corners of the square lie in space, off the Earth.
    geos = "+proj=geos +h=35785831 +lon_0=140.7 +sweep=x +ellps=WGS84 +units=m"
    half = 5_500_000.0
    size = 5500
    t = (2 * half / size, 0.0, -half, 0.0, -2 * half / size, half)
    with pytest.raises(UserError, match="cannot be reduced to WGS 84"):
        georef.build_map_georef("geotiff", size, size, geos, t)


def test_world_file_beside_png_in_degrees(tmp_path):
    img = tmp_path / "harbour.png"
    Image.new("RGB", (200, 100)).save(img)
    (tmp_path / "harbour.pgw").write_text("0.001\n0\n0\n-0.001\n125.0005\n39.9995\n")
    g = probe_image(img).georef
    assert g.method == "world-file" and g.crs == "EPSG:4326"
    assert g.bounds() == pytest.approx((125.0, 39.9, 125.2, 40.0))


def test_world_file_projected_needs_crs(tmp_path):
    img = tmp_path / "scene.jpg"
    Image.new("RGB", (100, 100)).save(img)
    (tmp_path / "SCENE.JGW").write_text("2\n0\n0\n-2\n500001\n4000001\n")
    with pytest.raises(UserError, match="no .prj"):
        probe_image(img)
    g = probe_image(img, world_file_crs="EPSG:32652").georef
    assert g.gsd_m == pytest.approx(2, rel=0.01)
    (tmp_path / "scene.prj").write_text("EPSG:32652")
    assert probe_image(img).georef.crs == "EPSG:32652"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\n0\n0\n-1\n5\n", "expected 6"),
        ("1\n0\n0\nx\n5\n6\n", "line 4"),
        ("0\n0\n0\n0\n5\n6\n", "zero pixel"),
        ("1\n0\n0\n-1\nnan\n6\n", "finite"),
    ],
)
def test_bad_world_files(text, message):
    with pytest.raises(UserError, match=message):
        georef.parse_world_file(text, location="x.tfw")


def test_exif_gps_south_west_with_bearing():
    gps = {
        1: "S",
        2: (33.0, 30.0, 0.0),
        3: "W",
        4: (70.0, 15.0, 36.0),
        16: "T",
        17: 271.5,
        29: "2024:02:29",
        7: (23.0, 59.0, 59.0),
    }
    g = georef.georef_from_exif_gps(gps, 10, 10)
    assert g.point == pytest.approx((-33.5, -70.26))
    assert g.bearing_deg == 271.5
    assert g.gps_time == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("gps", "message"),
    [
        ({1: "X", 2: (1, 0, 0), 3: "E", 4: (1, 0, 0)}, "GPSLatitudeRef"),
        ({1: "N", 2: (95, 0, 0), 3: "E", 4: (1, 0, 0)}, "outside the globe"),
        ({1: "N", 2: "abc", 3: "E", 4: (1, 0, 0)}, "GPSLatitude"),
        ({1: "N", 2: (1, 0, 0), 3: "E", 4: (1, 0, 0), 29: "2024-13-01"}, "GPSDateStamp"),
        ({1: "N", 2: (1, 0, 0), 3: "E", 4: (1, 0, 0), 17: 400}, "GPSImgDirection"),
    ],
)
def test_bad_exif_gps(gps, message):
    with pytest.raises(UserError, match=message):
        georef.parse_exif_gps(gps)


def test_manual_placement_centre_and_corners():
    g = georef.manual_georef(1000, 500, center=(39.0, 124.5), gsd_m=0.5)
    assert g.center == pytest.approx((39.0, 124.5), abs=1e-9)
    assert g.gsd_m == pytest.approx(0.5, rel=1e-3)
    corners = [(39.01, 124.49), (39.01, 124.51), (38.99, 124.51), (38.99, 124.49)]
    h = georef.manual_georef(1000, 1000, corners=corners)
    west, south, east, north = h.bounds()
    assert (west, south, east, north) == pytest.approx(
        (124.49, 38.99, 124.51, 39.01), abs=1e-5
    )  # ~1 m: an affine fit in a local plane
    with pytest.raises(UserError, match="centre"):
        georef.manual_georef(10, 10, center=(95.0, 0.0), gsd_m=1)


# Any tag soup must give a Georef, None, or a UserError: never another exception.
_numbers = st.one_of(st.integers(-70000, 70000), st.floats(allow_nan=True, allow_infinity=True))
_tag_values = st.one_of(
    st.lists(_numbers, max_size=20).map(tuple),
    _numbers,
    st.text(max_size=20),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(
    tags=st.dictionaries(st.sampled_from([33550, 33922, 34264, 34735, 34736, 34737]), _tag_values, max_size=6),
    size=st.tuples(st.integers(1, 5000), st.integers(1, 5000)),
)
def test_geotiff_tag_parser_never_crashes(tags, size):
    try:
        g = georef.georef_from_geotiff_tags(tags, *size, location="fuzz.tif")
    except UserError as exc:
        assert exc.location == "fuzz.tif" or exc.location is None
    else:
        assert g is None or g.footprint is not None


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(0, 6),
    entries=st.lists(
        st.tuples(
            st.sampled_from([1024, 1025, 2048, 2050, 3072, 4096]),
            st.sampled_from([0, 34736, 34737, 9999]),
            st.integers(0, 8),
            st.integers(0, 40000),
        ),
        max_size=6,
    ),
    doubles=st.lists(st.floats(-1e6, 1e6), max_size=5),
    ascii_params=st.text(max_size=12),
)
def test_geokey_directory_parser_structured_fuzz(count, entries, doubles, ascii_params):
    shorts = [1, 1, 0, count] + [v for e in entries for v in e]
    tags = {34735: tuple(shorts), 34736: tuple(doubles), 34737: ascii_params}
    try:
        keys = georef.parse_geokeys(tags)
    except UserError:
        return
    assert set(keys) <= {1024, 1025, 2048, 2050, 3072, 4096}
    assert len(keys) <= count
