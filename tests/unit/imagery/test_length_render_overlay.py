"""Length checks on the Landsat scene, annotated copies and the Web Mercator overlay."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image
from pyproj import Geod

from evidence_app.analysis.length import check_length, pixel_length
from evidence_app.domain.annotations import normalise_points
from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.imagery.georef import pixel_to_lonlat
from evidence_app.imagery.images import probe_image
from evidence_app.imagery.overlay import overlay_png
from evidence_app.imagery.render import export_annotated_png

LANDSAT = "imagery/landsat7_bahamas_utm18n.tif"


def test_line_of_known_pixel_length_on_landsat(shared_data):
    g = probe_image(shared_data / LANDSAT).georef
    # A 3-4-5 triangle: 500 px between the ends.
    pts = [[100, 100], [400, 500]]
    check = check_length(pts, g.gsd_m)
    assert check.pixels == 500
    assert check.length_m == pytest.approx(500 * g.gsd_m)
    assert check.length_m == pytest.approx(150_000, rel=0.002)
    # The same line measured on the ellipsoid agrees to better than 0.3 %.
    (lon0, lat0), (lon1, lat1) = (pixel_to_lonlat(g, *p) for p in pts)
    assert Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2] == pytest.approx(check.length_m, rel=0.003)


def test_vessel_of_the_wrong_length_is_inconsistent():
    # 0.5 m pixels: tolerance ±1 m. A 230 px hull is 115 m.
    check = check_length([[10, 10], [240, 10]], 0.5, [("RIGHT ONE", 115.8), ("WRONG ONE", 180.0), ("NO DATA", None)])
    assert check.length_m == 115 and check.tolerance_m == 1.0
    right, wrong, unknown = check.comparisons
    assert right.consistent is True and "consistent" in right.verdict
    assert wrong.consistent is False and wrong.difference_m == -65 and "INCONSISTENT" in wrong.verdict
    assert unknown.consistent is None
    assert "115.0 m ± 1.0 m" in check.summary


def test_polyline_length_and_bad_input():
    assert pixel_length([[0, 0], [3, 4], [3, 10]]) == 11
    with pytest.raises(ValidationError, match="at least 2"):
        pixel_length([[0, 0]])
    with pytest.raises(ValidationError, match="ground sample distance"):
        check_length([[0, 0], [1, 1]], 0)


@pytest.mark.parametrize(
    ("shape", "points", "message"),
    [
        ("circle", [[0, 0]], "expected one of"),
        ("box", [[0, 0]], "expected 2"),
        ("polygon", [[0, 0], [1, 1]], "at least 3"),
        ("line", [[0, "x"], [1, 1]], "pairs"),
        ("text", [[1e9, 0]], "far outside"),
    ],
)
def test_annotation_rules(shape, points, message):
    with pytest.raises(ValidationError, match=message):
        normalise_points(shape, points, width=100, height=100)


def test_export_annotated_copy_draws_and_leaves_original(shared_data, tmp_path):
    src = shared_data / LANDSAT
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    anns = [
        {
            "shape": "box",
            "points": [[100, 100], [200, 180]],
            "label": "ship",
            "style": {"color": "#ff0000", "width": 3},
        },
        {
            "shape": "measurement",
            "points": [[300, 300], [500, 300]],
            "length_m": 60000.0,
            "style": {"color": "#00ff00"},
        },
        {"shape": "arrow", "points": [[600, 600], [520, 500]]},
        {"shape": "polygon", "points": [[50, 600], [150, 650], [100, 700]]},
        {"shape": "text", "points": [[400, 50]], "label": "Bahamas"},
    ]
    out = export_annotated_png(src, anns, tmp_path / "annotated.png")
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (791, 718)
        assert im.getpixel((150, 100)) == (255, 0, 0)  # top edge of the box
        assert im.getpixel((400, 300)) == (0, 255, 0)  # the measurement line
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_landsat_overlay_is_warped_with_transparent_collar(shared_data, tmp_path):
    info = probe_image(shared_data / LANDSAT)
    with Image.open(shared_data / LANDSAT) as src:
        ov = overlay_png(src, info.georef, tmp_path / "ov.png", nodata=info.nodata)
    assert sum(ov.leaflet_bounds, []) == pytest.approx([23.565, -78.9586, 25.5509, -76.5749], abs=1e-3)
    with Image.open(ov.path) as im:
        assert im.mode == "RGBA" and max(im.size) <= 2048
        alpha = im.getchannel("A")
        assert alpha.getpixel((0, 0)) == 0  # outside the rotated scene
        assert alpha.getpixel((im.width // 2, im.height // 2)) == 255
        # About 300 m pixels: the overlay is close to the source size.
        assert 700 < im.width < 900


def test_overlay_needs_map_georef(shared_data, tmp_path):
    info = probe_image(shared_data / "imagery/exif_gps_photo.jpg")
    with pytest.raises(UserError, match="marker"):
        overlay_png(Image.new("RGB", (4, 4)), info.georef, tmp_path / "x.png")
