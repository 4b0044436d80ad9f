"""A GeoTIFF in a user-defined projected system (ProjectedCSTypeGeoKey 32767, common in
older scenes) is placed from its GeoKeys; when a key the projection needs is missing, the
message names it."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from evidence_app.domain.errors import UserError
from evidence_app.imagery.georef import pixel_to_lonlat
from evidence_app.imagery.images import probe_image

# The keys as GDAL writes a custom Transverse Mercator on WGS 84 (no EPSG code for the
# projected system): the projection by its parameters, in GeoDoubleParams.
TM_PARAMS = {3080: 127.5, 3081: 38.0, 3082: 1_000_000.0, 3083: 2_000_000.0, 3092: 0.9996}


def geokeys(params: dict[int, float], extra: tuple[tuple[int, int], ...] = ()) -> tuple[tuple, tuple]:
    """(GeoKeyDirectory, GeoDoubleParams) for a user-defined TM system with the given parameters."""
    shorts = [
        (1024, 0, 1, 1),
        (1025, 0, 1, 1),
        (2048, 0, 1, 4326),
        (2054, 0, 1, 9102),
        (3072, 0, 1, 32767),
        (3074, 0, 1, 32767),
        (3075, 0, 1, 1),
        (3076, 0, 1, 9001),
        *((k, 0, 1, v) for k, v in extra),
    ]
    doubles = []
    for key_id, value in sorted(params.items()):
        shorts.append((key_id, 34736, 1, len(doubles)))
        doubles.append(value)
    shorts.sort()
    directory = (1, 1, 0, len(shorts), *(v for entry in shorts for v in entry))
    return directory, tuple(doubles)


def test_user_defined_transverse_mercator_is_placed(tmp_path, make_geotiff):
    directory, doubles = geokeys(TM_PARAMS)
    # 64 x 32 pixels of 30 m, top-left corner at easting 1,050,000, northing 2,120,000.
    tags = {
        33550: (30.0, 30.0, 0.0),
        33922: (0.0, 0.0, 0.0, 1_050_000.0, 2_120_000.0, 0.0),
        34735: directory,
        34736: doubles,
    }
    info = probe_image(make_geotiff(tmp_path / "old_scene.tif", tags))
    g = info.georef
    assert g is not None and g.method == "geotiff" and "+proj=tmerc" in g.crs
    to_lonlat = Transformer.from_crs(
        "+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 +datum=WGS84 +units=m +type=crs",
        "EPSG:4326",
        always_xy=True,
    )
    for px, py in ((0, 0), (64, 32), (17, 5)):
        expected = to_lonlat.transform(1_050_000.0 + px * 30, 2_120_000.0 - py * 30)
        assert pixel_to_lonlat(g, px, py) == pytest.approx(expected, abs=1e-7)
    assert g.gsd_m == pytest.approx(30.0, rel=0.01)


def test_a_missing_projection_parameter_is_named(tmp_path, make_geotiff):
    params = {k: v for k, v in TM_PARAMS.items() if k != 3080}
    directory, doubles = geokeys(params)
    tags = {
        33550: (30.0, 30.0, 0.0),
        33922: (0.0, 0.0, 0.0, 1_050_000.0, 2_120_000.0, 0.0),
        34735: directory,
        34736: doubles,
    }
    with pytest.raises(UserError, match=r"lacks ProjNatOriginLongGeoKey \(3080\)") as err:
        probe_image(make_geotiff(tmp_path / "u.tif", tags))
    assert err.value.location == "u.tif"


def test_feet_are_converted(tmp_path, make_geotiff):
    directory, doubles = geokeys({**TM_PARAMS, 3082: 1_000_000.0 / 0.3048, 3083: 2_000_000.0 / 0.3048}, extra=())
    directory = tuple(
        9002 if i >= 4 and directory[i - 3] == 3076 and (i - 4) % 4 == 3 else v for i, v in enumerate(directory)
    )
    tags = {
        33550: (30.0 / 0.3048, 30.0 / 0.3048, 0.0),
        33922: (0.0, 0.0, 0.0, 1_050_000.0 / 0.3048, 2_120_000.0 / 0.3048, 0.0),
        34735: directory,
        34736: doubles,
    }
    g = probe_image(make_geotiff(tmp_path / "feet.tif", tags)).georef
    to_lonlat = Transformer.from_crs(
        "+proj=tmerc +lat_0=38 +lon_0=127.5 +k=0.9996 +x_0=1000000 +y_0=2000000 +datum=WGS84 +units=m +type=crs",
        "EPSG:4326",
        always_xy=True,
    )
    assert pixel_to_lonlat(g, 0, 0) == pytest.approx(to_lonlat.transform(1_050_000.0, 2_120_000.0), abs=1e-7)
