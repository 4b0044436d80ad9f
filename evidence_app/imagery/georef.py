"""Georeferencing of photos without GDAL: GeoTIFF tags, world files and EXIF GPS.

Everything here is pure apart from reading a world file or ``.prj`` beside an image.
Results are a ``Georef``: an affine pixel→map transform with its CRS (when the image
is a map), or a single camera point (EXIF GPS), plus a WGS 84 footprint and a ground
sample distance in metres.

Pixel coordinates follow the image convention used throughout the app: (x, y) with
(0, 0) the top-left *corner* of the top-left pixel, x to the right, y downward.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import UserError

# TIFF tag numbers of the GeoTIFF specification (OGC 19-008r4).
TAG_MODEL_PIXEL_SCALE = 33550
TAG_MODEL_TIEPOINT = 33922
TAG_MODEL_TRANSFORMATION = 34264
TAG_GEO_KEY_DIRECTORY = 34735
TAG_GEO_DOUBLE_PARAMS = 34736
TAG_GEO_ASCII_PARAMS = 34737
TAG_GDAL_NODATA = 42113

# GeoKey ids we use.
KEY_MODEL_TYPE = 1024  # 1 projected, 2 geographic, 3 geocentric
KEY_RASTER_TYPE = 1025  # 1 PixelIsArea, 2 PixelIsPoint
KEY_GEOGRAPHIC_TYPE = 2048
KEY_GEODETIC_DATUM = 2050
KEY_PROJECTED_CS_TYPE = 3072
USER_DEFINED = 32767

WORLD_FILE_SUFFIXES = (".tfw", ".jgw", ".pgw", ".wld", ".j2w", ".tifw", ".tiffw", ".jpgw", ".jpegw", ".pngw")

# EXIF GPS IFD tag numbers.
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
GPS_ALT_REF, GPS_ALT, GPS_TIME, GPS_IMG_DIR_REF, GPS_IMG_DIR, GPS_DATE = 5, 6, 7, 16, 17, 29

Affine = tuple[float, float, float, float, float, float]
"""(a, b, c, d, e, f): X = a·x + b·y + c, Y = d·x + e·y + f, pixel corner convention."""


@dataclass(frozen=True)
class Georef:
    """Where an image is on Earth, as far as its file says."""

    method: str  # "geotiff", "world-file", "exif-gps", "manual"
    width: int
    height: int
    crs: str | None = None  # "EPSG:32618", or a PROJ/WKT string from a .prj
    transform: Affine | None = None
    point: tuple[float, float] | None = None  # (lat, lon) of the camera, EXIF GPS
    bearing_deg: float | None = None  # direction the camera looked, EXIF GPS
    altitude_m: float | None = None
    gps_time: datetime | None = None
    footprint: list[tuple[float, float]] | None = None  # closed ring of (lon, lat)
    gsd_m: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_footprint(self) -> bool:
        return self.footprint is not None

    @property
    def center(self) -> tuple[float, float] | None:
        """(lat, lon) of the image centre, or of the camera for a GPS-only photo."""
        if self.transform is not None and self.crs is not None:
            lon, lat = pixel_to_lonlat(self, self.width / 2, self.height / 2)
            return lat, lon
        return self.point

    def footprint_geojson(self) -> dict[str, Any] | None:
        if self.footprint is not None:
            return {"type": "Polygon", "coordinates": [[list(p) for p in self.footprint]]}
        if self.point is not None:
            return {"type": "Point", "coordinates": [self.point[1], self.point[0]]}
        return None

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the footprint in degrees."""
        if self.footprint is None:
            return None
        lons = [p[0] for p in self.footprint]
        lats = [p[1] for p in self.footprint]
        return min(lons), min(lats), max(lons), max(lats)

    def to_meta(self) -> dict[str, Any]:
        """A JSON-safe summary for the evidence row's metadata."""
        return {
            "method": self.method,
            "crs": self.crs,
            "transform": list(self.transform) if self.transform else None,
            "point": list(self.point) if self.point else None,
            "bearing_deg": self.bearing_deg,
            "altitude_m": self.altitude_m,
            "gps_time": self.gps_time.isoformat() if self.gps_time else None,
            "gsd_m": self.gsd_m,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- affine


def apply_affine(t: Affine, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = t
    return a * x + b * y + c, d * x + e * y + f


def invert_affine(t: Affine) -> Affine:
    a, b, c, d, e, f = t
    det = a * e - b * d
    if det == 0 or not math.isfinite(det):
        raise UserError("the georeferencing transform is degenerate (zero pixel size)")
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f)


# --------------------------------------------------------------------------- GeoTIFF


def _floats(value: Any, tag: str, location: str | None) -> list[float]:
    if isinstance(value, int | float):
        value = (value,)
    try:
        out = [float(v) for v in value]
    except (TypeError, ValueError):
        raise UserError(f"{tag} holds {value!r}, expected a list of numbers", location=location) from None
    if not all(math.isfinite(v) for v in out):
        raise UserError(f"{tag} holds a non-finite number ({out})", location=location)
    return out


def parse_geokeys(tags: Mapping[int, Any], location: str | None = None) -> dict[int, Any]:
    """Decode the GeoKeyDirectory (tag 34735) into {key id: value}.

    Values are ints (stored in the directory), floats/tuples (from GeoDoubleParams) or
    strings (from GeoAsciiParams, with the ``|`` terminator removed).
    """
    raw = tags.get(TAG_GEO_KEY_DIRECTORY)
    if raw is None:
        return {}
    if isinstance(raw, int):
        raw = (raw,)
    try:
        shorts = [int(v) for v in raw]
    except (TypeError, ValueError, OverflowError):
        raise UserError(f"GeoKeyDirectory holds {raw!r}, expected 16-bit integers", location=location) from None
    if len(shorts) < 4:
        raise UserError(
            f"GeoKeyDirectory has {len(shorts)} values, expected at least a 4-value header", location=location
        )
    version, _rev, _minor, count = shorts[:4]
    if version != 1:
        raise UserError(f"GeoKeyDirectory version is {version}, expected 1", location=location)
    if len(shorts) < 4 + 4 * count:
        raise UserError(
            f"GeoKeyDirectory declares {count} keys but holds only {(len(shorts) - 4) // 4}", location=location
        )
    doubles_raw = tags.get(TAG_GEO_DOUBLE_PARAMS, ())
    doubles = _floats(doubles_raw, "GeoDoubleParams", location) if doubles_raw != () else []
    ascii_raw = tags.get(TAG_GEO_ASCII_PARAMS, "")
    ascii_params = ascii_raw if isinstance(ascii_raw, str) else ""
    keys: dict[int, Any] = {}
    for i in range(count):
        key_id, where, n, value = shorts[4 + 4 * i : 8 + 4 * i]
        if where == 0:
            keys[key_id] = value
        elif where == TAG_GEO_DOUBLE_PARAMS:
            if value < 0 or n < 1 or value + n > len(doubles):
                raise UserError(f"GeoKey {key_id} points outside GeoDoubleParams", location=location)
            chunk = doubles[value : value + n]
            keys[key_id] = chunk[0] if n == 1 else tuple(chunk)
        elif where == TAG_GEO_ASCII_PARAMS:
            if value < 0 or n < 0 or value + n > len(ascii_params):
                raise UserError(f"GeoKey {key_id} points outside GeoAsciiParams", location=location)
            keys[key_id] = ascii_params[value : value + n].rstrip("|\x00")
        else:
            # A key stored in some other tag: legal, but none we need.
            keys[key_id] = None
    return keys


def geokeys_to_crs(keys: Mapping[int, Any], location: str | None = None) -> str:
    """The CRS named by the GeoKeys, as "EPSG:n"."""
    model = keys.get(KEY_MODEL_TYPE)
    projected = keys.get(KEY_PROJECTED_CS_TYPE)
    geographic = keys.get(KEY_GEOGRAPHIC_TYPE)
    if model == 3:
        raise UserError(
            "GeoTIFF uses a geocentric model (ModelType 3); only projected and geographic are supported",
            location=location,
        )
    if model == 1 or (model is None and projected is not None):
        if isinstance(projected, int) and 1024 <= projected < USER_DEFINED:
            return f"EPSG:{projected}"
        # A user-defined projected system (common in older scenes): built from its keys.
        return user_defined_projected_crs(keys, location)
    if model == 2 or (model is None and geographic is not None):
        if isinstance(geographic, int) and 1024 <= geographic < USER_DEFINED:
            return f"EPSG:{geographic}"
        if keys.get(KEY_GEODETIC_DATUM) == 6326:
            return "EPSG:4326"
        raise UserError(
            f"GeoTIFF has a user-defined geographic system (GeographicTypeGeoKey={geographic!r}) "
            "that is not WGS 84 — place this photo by hand",
            location=location,
        )
    raise UserError(f"GeoTIFF GeoKeys name no coordinate system (ModelType={model!r})", location=location)


# GeoKeys of a user-defined projected system (GeoTIFF 1.0 section 6.3.3).
KEY_GT_CITATION = 1026
KEY_GEOG_ELLIPSOID = 2056
KEY_GEOG_SEMI_MAJOR = 2057
KEY_GEOG_SEMI_MINOR = 2058
KEY_GEOG_INV_FLATTENING = 2059
KEY_GEOG_PRIME_MERIDIAN_LONG = 2061
KEY_PCS_CITATION = 3073
KEY_PROJECTION = 3074
KEY_PROJ_COORD_TRANS = 3075
KEY_PROJ_LINEAR_UNITS = 3076
KEY_PROJ_LINEAR_UNIT_SIZE = 3077
GEOKEY_NAMES = {
    3078: "ProjStdParallel1GeoKey",
    3079: "ProjStdParallel2GeoKey",
    3080: "ProjNatOriginLongGeoKey",
    3081: "ProjNatOriginLatGeoKey",
    3082: "ProjFalseEastingGeoKey",
    3083: "ProjFalseNorthingGeoKey",
    3084: "ProjFalseOriginLongGeoKey",
    3085: "ProjFalseOriginLatGeoKey",
    3086: "ProjFalseOriginEastingGeoKey",
    3087: "ProjFalseOriginNorthingGeoKey",
    3088: "ProjCenterLongGeoKey",
    3089: "ProjCenterLatGeoKey",
    3090: "ProjCenterEastingGeoKey",
    3091: "ProjCenterNorthingGeoKey",
    3092: "ProjScaleAtNatOriginGeoKey",
    3093: "ProjScaleAtCenterGeoKey",
    3094: "ProjAzimuthAngleGeoKey",
    3095: "ProjStraightVertPoleLongGeoKey",
    KEY_PROJ_COORD_TRANS: "ProjCoordTransGeoKey",
    KEY_GEOGRAPHIC_TYPE: "GeographicTypeGeoKey",
    KEY_GEOG_SEMI_MAJOR: "GeogSemiMajorAxisGeoKey",
}
# ProjCoordTransGeoKey -> (name, PROJ projection, [(PROJ parameter, key ids in order of preference, default)]).
# A parameter without a default is required: when none of its keys is present the file is
# refused naming the first key.
_REQ = None
_COORD_TRANSFORMS: dict[int, tuple[str, str, list[tuple[str, tuple[int, ...], float | None]]]] = {
    1: (
        "Transverse Mercator",
        "tmerc",
        [
            ("lat_0", (3081,), 0.0),
            ("lon_0", (3080,), _REQ),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    27: (
        "Transverse Mercator (south oriented)",
        "tmerc +axis=wsu",
        [
            ("lat_0", (3081,), 0.0),
            ("lon_0", (3080,), _REQ),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    3: (
        "Oblique Mercator",
        "omerc",
        [
            ("lat_0", (3089, 3081), _REQ),
            ("lonc", (3088, 3080), _REQ),
            ("alpha", (3094,), _REQ),
            ("k_0", (3093, 3092), 1.0),
            ("x_0", (3090, 3082), 0.0),
            ("y_0", (3091, 3083), 0.0),
        ],
    ),
    7: (
        "Mercator",
        "merc",
        [
            ("lon_0", (3080,), _REQ),
            ("lat_ts", (3078,), 0.0),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    8: (
        "Lambert Conformal Conic (2SP)",
        "lcc",
        [
            ("lat_1", (3078,), _REQ),
            ("lat_2", (3079,), _REQ),
            ("lat_0", (3085, 3081), 0.0),
            ("lon_0", (3084, 3080), _REQ),
            ("x_0", (3086, 3082), 0.0),
            ("y_0", (3087, 3083), 0.0),
        ],
    ),
    9: (
        "Lambert Conformal Conic (1SP)",
        "lcc",
        [
            ("lat_1", (3081,), _REQ),
            ("lat_0", (3081,), _REQ),
            ("lon_0", (3080,), _REQ),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    10: (
        "Lambert Azimuthal Equal Area",
        "laea",
        [
            ("lat_0", (3089, 3081), _REQ),
            ("lon_0", (3088, 3080), _REQ),
            ("x_0", (3082, 3090), 0.0),
            ("y_0", (3083, 3091), 0.0),
        ],
    ),
    11: (
        "Albers Equal Area",
        "aea",
        [
            ("lat_1", (3078,), _REQ),
            ("lat_2", (3079,), _REQ),
            ("lat_0", (3081, 3085), 0.0),
            ("lon_0", (3080, 3084), _REQ),
            ("x_0", (3082, 3086), 0.0),
            ("y_0", (3083, 3087), 0.0),
        ],
    ),
    12: (
        "Azimuthal Equidistant",
        "aeqd",
        [
            ("lat_0", (3089, 3081), _REQ),
            ("lon_0", (3088, 3080), _REQ),
            ("x_0", (3082, 3090), 0.0),
            ("y_0", (3083, 3091), 0.0),
        ],
    ),
    13: (
        "Equidistant Conic",
        "eqdc",
        [
            ("lat_1", (3078,), _REQ),
            ("lat_2", (3079,), _REQ),
            ("lat_0", (3081, 3085), 0.0),
            ("lon_0", (3080, 3084), _REQ),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    14: (
        "Stereographic",
        "stere",
        [
            ("lat_0", (3089, 3081), _REQ),
            ("lon_0", (3088, 3080), _REQ),
            ("k_0", (3092, 3093), 1.0),
            ("x_0", (3082, 3090), 0.0),
            ("y_0", (3083, 3091), 0.0),
        ],
    ),
    15: (
        "Polar Stereographic",
        "stere",
        [
            ("lat_ts", (3081,), _REQ),
            ("lon_0", (3095, 3080), _REQ),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    16: (
        "Oblique Stereographic",
        "sterea",
        [
            ("lat_0", (3081,), _REQ),
            ("lon_0", (3080,), _REQ),
            ("k_0", (3092,), 1.0),
            ("x_0", (3082,), 0.0),
            ("y_0", (3083,), 0.0),
        ],
    ),
    17: (
        "Equirectangular",
        "eqc",
        [("lat_ts", (3081, 3078), 0.0), ("lon_0", (3080, 3088), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)],
    ),
    18: (
        "Cassini-Soldner",
        "cass",
        [("lat_0", (3081,), _REQ), ("lon_0", (3080,), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)],
    ),
    19: (
        "Gnomonic",
        "gnom",
        [("lat_0", (3089, 3081), _REQ), ("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)],
    ),
    20: ("Miller Cylindrical", "mill", [("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)]),
    21: (
        "Orthographic",
        "ortho",
        [("lat_0", (3089, 3081), _REQ), ("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)],
    ),
    22: (
        "Polyconic",
        "poly",
        [("lat_0", (3081,), _REQ), ("lon_0", (3080,), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)],
    ),
    23: ("Robinson", "robin", [("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)]),
    24: ("Sinusoidal", "sinu", [("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)]),
    25: ("Van der Grinten", "vandg", [("lon_0", (3088, 3080), _REQ), ("x_0", (3082,), 0.0), ("y_0", (3083,), 0.0)]),
}
# ProjLinearUnitsGeoKey codes (EPSG units) -> metres per unit.
_LINEAR_UNITS = {
    9001: 1.0,
    9002: 0.3048,
    9003: 1200 / 3937,
    9005: 0.3047972654,
    9014: 1.8288,
    9030: 1852.0,
    9036: 1000.0,
    9040: 0.914398415,
    9041: 0.3047994715386762,
    9042: 20.11669506,
    9043: 0.201166195,
}


def _key_name(key_id: int) -> str:
    return f"{GEOKEY_NAMES.get(key_id, 'GeoKey')} ({key_id})"


def _esri_pe_wkt(keys: Mapping[int, Any]) -> str | None:
    """The WKT GDAL writes into a citation ("ESRI PE String = PROJCS[...]") for systems GeoKeys cannot express."""
    for key_id in (KEY_PCS_CITATION, KEY_GT_CITATION):
        text = keys.get(key_id)
        if isinstance(text, str) and "ESRI PE String" in text and "PROJCS[" in text:
            return text[text.index("PROJCS[") :]
    return None


def _geodetic_proj(keys: Mapping[int, Any], location: str | None) -> str:
    """The PROJ parameters of the projected system's geographic base (datum or ellipsoid)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    geographic = keys.get(KEY_GEOGRAPHIC_TYPE)
    if isinstance(geographic, int) and 1024 <= geographic < USER_DEFINED:
        try:
            base = CRS.from_epsg(geographic)
        except CRSError:
            raise UserError(
                f"GeographicTypeGeoKey is {geographic}, which is no known EPSG geographic system", location=location
            ) from None
        if geographic == 4326:
            return "+datum=WGS84"
        ellipsoid = base.ellipsoid
        assert ellipsoid is not None
        with warnings.catch_warnings():  # PROJ warns that a PROJ string may lose detail: we take only towgs84
            warnings.simplefilter("ignore", UserWarning)
            towgs84 = [t for t in (base.to_proj4() or "").split() if t.startswith("+towgs84=")]
        return f"+a={ellipsoid.semi_major_metre!r} +rf={ellipsoid.inverse_flattening!r} " + " ".join(towgs84)
    if keys.get(KEY_GEODETIC_DATUM) == 6326 or keys.get(KEY_GEOG_ELLIPSOID) == 7030:
        return "+datum=WGS84"
    ellipsoid_code = keys.get(KEY_GEOG_ELLIPSOID)
    if isinstance(ellipsoid_code, int) and 7000 <= ellipsoid_code < USER_DEFINED:
        from pyproj.crs import Ellipsoid

        try:
            ellipsoid = Ellipsoid.from_epsg(ellipsoid_code)
        except CRSError:
            raise UserError(
                f"GeogEllipsoidGeoKey is {ellipsoid_code}, which is no known EPSG ellipsoid", location=location
            ) from None
        return f"+a={ellipsoid.semi_major_metre!r} +rf={ellipsoid.inverse_flattening or 0.0!r}"
    a = keys.get(KEY_GEOG_SEMI_MAJOR)
    if isinstance(a, float) and a > 0:
        inv_f, b = keys.get(KEY_GEOG_INV_FLATTENING), keys.get(KEY_GEOG_SEMI_MINOR)
        if isinstance(inv_f, float) and inv_f > 0:
            return f"+a={a!r} +rf={inv_f!r}"
        if isinstance(b, float) and b > 0:
            return f"+a={a!r} +b={b!r}"
        return f"+a={a!r} +b={a!r}"
    raise UserError(
        "GeoTIFF has a user-defined projected system without a geographic base: expected "
        "GeographicTypeGeoKey (2048), GeogGeodeticDatumGeoKey (2050), GeogEllipsoidGeoKey (2056) or "
        "GeogSemiMajorAxisGeoKey (2057)",
        location=location,
    )


def user_defined_projected_crs(keys: Mapping[int, Any], location: str | None = None) -> str:
    """A PROJ string for a user-defined projected system (ProjectedCSTypeGeoKey 32767), read
    from its GeoKeys: the coordinate transformation, its parameters, the linear unit and the
    geographic base. A WKT that GDAL left in a citation is used as it is. A missing key is
    named in the error."""
    wkt = _esri_pe_wkt(keys)
    if wkt is not None:
        return wkt
    projection = keys.get(KEY_PROJECTION)
    unit = keys.get(KEY_PROJ_LINEAR_UNITS, 9001)
    metres = keys.get(KEY_PROJ_LINEAR_UNIT_SIZE) if unit == USER_DEFINED else _LINEAR_UNITS.get(unit)
    if not isinstance(metres, float | int) or not metres > 0:
        raise UserError(
            f"ProjLinearUnitsGeoKey (3076) is {unit!r}: expected an EPSG linear unit "
            "(9001 metre, 9002 foot, 9003 US survey foot...) or 32767 with ProjLinearUnitSizeGeoKey (3077)",
            location=location,
        )
    units = f"+to_meter={float(metres)!r}"
    if isinstance(projection, int) and 10000 <= projection < USER_DEFINED:
        # An EPSG-coded conversion (e.g. 16018: UTM zone 18N) on a user-defined base.
        from pyproj.crs import CoordinateOperation
        from pyproj.exceptions import CRSError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                conversion = CoordinateOperation.from_epsg(projection).to_proj4()
        except CRSError:
            raise UserError(
                f"ProjectionGeoKey (3074) is {projection}, which is no known EPSG conversion", location=location
            ) from None
        steps = [t for t in conversion.split() if not t.startswith(("+type=", "+no_defs", "+step", "+inv", "+units"))]
        return " ".join([*steps, _geodetic_proj(keys, location), units, "+no_defs", "+type=crs"])
    transform = keys.get(KEY_PROJ_COORD_TRANS)
    if transform not in _COORD_TRANSFORMS:
        known = ", ".join(f"{code} {name}" for code, (name, _p, _a) in sorted(_COORD_TRANSFORMS.items()))
        if transform is None:
            raise UserError(
                f"GeoTIFF has a user-defined projected system (ProjectedCSTypeGeoKey "
                f"{keys.get(KEY_PROJECTED_CS_TYPE)!r}) but no {_key_name(KEY_PROJ_COORD_TRANS)} naming its "
                f"projection, and no ProjectionGeoKey (3074); expected one of: {known}",
                location=location,
            )
        raise UserError(
            f"ProjCoordTransGeoKey (3075) is {transform!r}, a projection this reader does not know; "
            f"expected one of: {known}",
            location=location,
        )
    name, proj, params = _COORD_TRANSFORMS[transform]
    parts = [f"+proj={proj}"]
    for parameter, key_ids, default in params:
        value = next((keys[k] for k in key_ids if isinstance(keys.get(k), float | int)), None)
        if value is None:
            if default is None:
                raise UserError(
                    f"GeoTIFF's user-defined {name} projection lacks {_key_name(key_ids[0])}", location=location
                )
            value = default
        if not math.isfinite(float(value)):
            raise UserError(f"{_key_name(key_ids[0])} is {value}, expected a finite number", location=location)
        if parameter in ("x_0", "y_0"):
            value = float(value) * float(metres)  # false easting/northing are in the projection's unit
        parts.append(f"+{parameter}={float(value)!r}")
    return " ".join([*parts, _geodetic_proj(keys, location), units, "+no_defs", "+type=crs"])


def geotiff_transform(tags: Mapping[int, Any], keys: Mapping[int, Any], location: str | None = None) -> Affine | None:
    """The pixel-corner affine transform from ModelTransformation or tiepoints + scale."""
    point_convention = keys.get(KEY_RASTER_TYPE) == 2
    t: Affine | None = None
    if TAG_MODEL_TRANSFORMATION in tags:
        m = _floats(tags[TAG_MODEL_TRANSFORMATION], "ModelTransformation", location)
        if len(m) != 16:
            raise UserError(f"ModelTransformation has {len(m)} values, expected 16", location=location)
        t = (m[0], m[1], m[3], m[4], m[5], m[7])
    elif TAG_MODEL_TIEPOINT in tags:
        tp = _floats(tags[TAG_MODEL_TIEPOINT], "ModelTiepoint", location)
        if len(tp) < 6 or len(tp) % 6:
            raise UserError(f"ModelTiepoint has {len(tp)} values, expected a multiple of 6", location=location)
        if TAG_MODEL_PIXEL_SCALE in tags:
            sc = _floats(tags[TAG_MODEL_PIXEL_SCALE], "ModelPixelScale", location)
            if len(sc) < 2:
                raise UserError(f"ModelPixelScale has {len(sc)} values, expected 3", location=location)
            sx, sy = sc[0], sc[1]
            if sx <= 0 or sy <= 0:
                raise UserError(f"ModelPixelScale is ({sx}, {sy}), expected positive sizes", location=location)
            i, j, _k, x0, y0, _z = tp[:6]
            t = (sx, 0.0, x0 - i * sx, 0.0, -sy, y0 + j * sy)
        else:
            t = _fit_tiepoints(tp, location)
    if t is None:
        return None
    if point_convention:
        # PixelIsPoint: the tiepoint names the pixel centre, so the corner is half a pixel up-left.
        a, b, c, d, e, f = t
        t = (a, b, c - (a + b) / 2, d, e, f - (d + e) / 2)
    if t[0] * t[4] - t[1] * t[3] == 0:
        raise UserError("GeoTIFF transform is degenerate (zero pixel size)", location=location)
    return t


def _fit_tiepoints(tp: Sequence[float], location: str | None) -> Affine:
    """Least-squares affine through three or more tiepoints (no ModelPixelScale)."""
    import numpy as np

    pts = np.asarray(tp, dtype=float).reshape(-1, 6)
    if len(pts) < 3:
        raise UserError(
            f"GeoTIFF has {len(pts)} tiepoint(s) and no ModelPixelScale; at least 3 are needed", location=location
        )
    design = np.column_stack([pts[:, 0], pts[:, 1], np.ones(len(pts))])
    if np.linalg.matrix_rank(design) < 3:
        raise UserError("GeoTIFF tiepoints are collinear; cannot derive a transform", location=location)
    (a, b, c), *_ = np.linalg.lstsq(design, pts[:, 3], rcond=None)
    (d, e, f), *_ = np.linalg.lstsq(design, pts[:, 4], rcond=None)
    return float(a), float(b), float(c), float(d), float(e), float(f)


def georef_from_geotiff_tags(
    tags: Mapping[int, Any], width: int, height: int, location: str | None = None
) -> Georef | None:
    """Georef from a TIFF's tag dict (Pillow ``tag_v2``); None when it carries no GeoTIFF tags."""
    if not any(t in tags for t in (TAG_MODEL_TRANSFORMATION, TAG_MODEL_TIEPOINT, TAG_GEO_KEY_DIRECTORY)):
        return None
    keys = parse_geokeys(tags, location)
    transform = geotiff_transform(tags, keys, location)
    if transform is None:
        raise UserError("GeoTIFF has GeoKeys but neither ModelTiepoint nor ModelTransformation", location=location)
    crs = geokeys_to_crs(keys, location)
    return build_map_georef("geotiff", width, height, crs, transform, location=location)


# --------------------------------------------------------------------------- world files


def find_world_file(image_path: Path) -> Path | None:
    """The world file beside an image (.tfw .jgw .pgw .wld ...), matched case-insensitively."""
    folder = image_path.parent
    stem = image_path.stem.lower()
    wanted = {stem + s for s in WORLD_FILE_SUFFIXES} | {image_path.name.lower() + "w", stem + ".wld"}
    try:
        for entry in folder.iterdir():
            if entry.name.lower() in wanted and entry.is_file():
                return entry
    except OSError:
        return None
    return None


def parse_world_file(text: str, location: str | None = None) -> Affine:
    """Six numbers A D B E C F (pixel size, rotations, centre of the top-left pixel) → corner affine."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) != 6:
        raise UserError(f"world file has {len(lines)} non-empty lines, expected 6 numbers", location=location)
    values = []
    for n, ln in enumerate(lines, start=1):
        try:
            v = float(ln)
        except ValueError:
            raise UserError(f"line {n} is {ln!r}, expected a number", location=location) from None
        if not math.isfinite(v):
            raise UserError(f"line {n} is {ln!r}, expected a finite number", location=location)
        values.append(v)
    a, d, b, e, c, f = values
    if a * e - b * d == 0:
        raise UserError("world file gives a zero pixel size", location=location)
    # World files name the centre of the top-left pixel; shift to its corner.
    return a, b, c - (a + b) / 2, d, e, f - (d + e) / 2


def georef_from_world_file(image_path: Path, width: int, height: int, crs: str | None = None) -> Georef | None:
    """Georef from a world file beside the image, its CRS from a ``.prj``, ``crs``, or degrees."""
    wf = find_world_file(image_path)
    if wf is None:
        return None
    try:
        text = wf.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read world file: {exc.strerror}", location=str(wf)) from None
    transform = parse_world_file(text, location=wf.name)
    notes: list[str] = [f"world file {wf.name}"]
    if crs is None:
        prj = next((p for p in wf.parent.iterdir() if p.name.lower() == image_path.stem.lower() + ".prj"), None)
        if prj is not None:
            crs = prj.read_text(encoding="utf-8", errors="replace").strip()
            notes.append(f"CRS from {prj.name}")
    if crs is None:
        a, _b, c, _d, e, f = transform
        x1, y1 = apply_affine(transform, width, height)
        if (
            all(-180.5 <= v <= 180.5 for v in (c, x1))
            and all(-90.5 <= v <= 90.5 for v in (f, y1))
            and abs(a) < 1
            and abs(e) < 1
        ):
            crs = "EPSG:4326"
            notes.append("no .prj: coordinates look like degrees, assumed WGS 84")
        else:
            raise UserError(
                "world file gives projected coordinates but there is no .prj beside it; "
                "name the coordinate system (e.g. EPSG:32618)",
                location=wf.name,
            )
    g = build_map_georef("world-file", width, height, crs, transform, location=wf.name)
    return Georef(**{**g.__dict__, "notes": notes + g.notes})


# --------------------------------------------------------------------------- footprint


def crs_transformer(crs: str, location: str | None = None):  # type: ignore[no-untyped-def]
    """The cached pyproj transformer from WGS 84 to ``crs``; a bad CRS is a UserError naming ``location``."""
    try:
        return _cached_transformer(crs)
    except UserError as exc:
        raise UserError(exc.message, location=location) from None


_per_thread = threading.local()


def _cached_transformer(crs: str):  # type: ignore[no-untyped-def]
    """A transformer from ``crs`` to WGS 84, cached per thread.

    Building one costs milliseconds and the viewer converts on every mouse move, so they
    are cached; but a pyproj Transformer must not be used by two threads at once (seen
    here: a segfault when an import worker and the map's worker shared one), so each
    thread keeps its own.
    """
    cache: dict[str, object] = getattr(_per_thread, "transformers", None) or {}
    _per_thread.transformers = cache
    found = cache.get(crs)
    if found is None:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError

        try:
            src = CRS.from_user_input(crs)
        except CRSError:
            raise UserError(f"unknown coordinate system {crs[:80]!r}") from None
        if len(cache) >= 32:
            cache.clear()
        found = cache[crs] = Transformer.from_crs(src, CRS.from_epsg(4326), always_xy=True)
    return found


def pixel_to_lonlat(g: Georef, x: float, y: float) -> tuple[float, float]:
    """(lon, lat) in WGS 84 of an image pixel position; needs a map georef."""
    if g.transform is None or g.crs is None:
        raise UserError("this photo has no map georeferencing")
    mx, my = apply_affine(g.transform, x, y)
    lon, lat = crs_transformer(g.crs).transform(mx, my)
    return float(lon), float(lat)


def edge_points(width: int, height: int, per_side: int = 16) -> list[tuple[float, float]]:
    """Pixel positions around the image border, clockwise from the top-left corner, ring closed."""
    pts: list[tuple[float, float]] = []
    for i in range(per_side):
        pts.append((width * i / per_side, 0.0))
    for i in range(per_side):
        pts.append((float(width), height * i / per_side))
    for i in range(per_side):
        pts.append((width * (1 - i / per_side), float(height)))
    for i in range(per_side):
        pts.append((0.0, height * (1 - i / per_side)))
    pts.append(pts[0])
    return pts


def build_map_georef(
    method: str, width: int, height: int, crs: str, transform: Affine, *, location: str | None = None
) -> Georef:
    """Footprint (WGS 84 ring from corners and edge points) and GSD for an affine georef.

    Raises a UserError when the projection cannot be reduced to WGS 84 bounds, such as a
    geostationary full disk whose corners lie off the Earth.
    """
    from pyproj import Geod

    if width <= 0 or height <= 0:
        raise UserError(f"image size is {width}×{height}, expected positive", location=location)
    tr = crs_transformer(crs, location)
    ring_px = edge_points(width, height)
    xs, ys = zip(*(apply_affine(transform, x, y) for x, y in ring_px), strict=True)
    lons, lats = tr.transform(xs, ys)
    lons, lats = list(map(float, lons)), list(map(float, lats))
    bad = [
        i for i, (lo, la) in enumerate(zip(lons, lats, strict=True)) if not (math.isfinite(lo) and math.isfinite(la))
    ]
    if bad:
        raise UserError(
            f"{len(bad)} of {len(lons)} border points of the image do not fall on the Earth in {crs[:60]}; "
            "the image (a full-disk or off-planet view?) cannot be reduced to WGS 84 bounds — "
            "place it by hand or crop it",
            location=location,
        )
    if any(abs(la) > 90 for la in lats):
        raise UserError("footprint reaches beyond the poles; georeferencing is not usable", location=location)
    notes: list[str] = []
    if max(lons) - min(lons) > 180:
        notes.append("footprint crosses the antimeridian")
    # Ground sample distance: geodesic size of one pixel at the image centre, both axes averaged.
    geod = Geod(ellps="WGS84")
    cx, cy = width / 2, height / 2
    samples = [apply_affine(transform, px, py) for px, py in ((cx, cy), (cx + 1, cy), (cx, cy + 1))]
    slon, slat = tr.transform([s[0] for s in samples], [s[1] for s in samples])
    _, _, dx = geod.inv(slon[0], slat[0], slon[1], slat[1])
    _, _, dy = geod.inv(slon[0], slat[0], slon[2], slat[2])
    if not (math.isfinite(dx) and math.isfinite(dy)) or dx <= 0 or dy <= 0:
        raise UserError("cannot compute a ground sample distance at the image centre", location=location)
    footprint = list(zip(lons, lats, strict=True))
    footprint[-1] = footprint[0]
    return Georef(
        method=method,
        width=width,
        height=height,
        crs=crs,
        transform=transform,
        footprint=footprint,
        gsd_m=(dx + dy) / 2,
        notes=notes,
    )


def manual_georef(
    width: int,
    height: int,
    *,
    center: tuple[float, float] | None = None,
    gsd_m: float | None = None,
    rotation_deg: float = 0.0,
    corners: Sequence[tuple[float, float]] | None = None,
) -> Georef:
    """Place an image by hand: centre (lat, lon) + metres per pixel (+ rotation), or 3–4 corner (lat, lon).

    Corners are given top-left, top-right, bottom-right[, bottom-left]. The result is a
    local azimuthal-equidistant frame around the centre, fine for the small areas a photo covers.
    """
    if corners is not None:
        import numpy as np

        if len(corners) not in (3, 4):
            raise UserError(
                f"{len(corners)} corners given, expected 3 or 4 (top-left, top-right, bottom-right[, bottom-left])"
            )
        for lat, lon in corners:
            _check_latlon(lat, lon, "corner")
        lat0 = sum(c[0] for c in corners) / len(corners)
        lon0 = sum(c[1] for c in corners) / len(corners)
        crs = _aeqd(lat0, lon0)
        from pyproj import Transformer

        fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        px = [(0, 0), (width, 0), (width, height), (0, height)][: len(corners)]
        tp: list[float] = []
        for (x, y), (lat, lon) in zip(px, corners, strict=True):
            mx, my = fwd.transform(lon, lat)
            tp += [x, y, 0, mx, my, 0]
        t = _fit_tiepoints(tp, None)
        if not np.isfinite(t).all():
            raise UserError("corners do not define a usable placement")
        return build_map_georef("manual", width, height, crs, t)
    if center is None or gsd_m is None:
        raise UserError("placing by hand needs a centre and metres per pixel, or the corners")
    lat, lon = center
    _check_latlon(lat, lon, "centre")
    if not (math.isfinite(gsd_m) and gsd_m > 0):
        raise UserError(f"metres per pixel is {gsd_m}, expected a positive number", location="gsd")
    r = math.radians(rotation_deg)
    a, b = gsd_m * math.cos(r), gsd_m * math.sin(r)
    d, e = gsd_m * math.sin(r), -gsd_m * math.cos(r)
    c = -(a * width / 2 + b * height / 2)
    f = -(d * width / 2 + e * height / 2)
    return build_map_georef("manual", width, height, _aeqd(lat, lon), (a, b, c, d, e, f))


def _aeqd(lat: float, lon: float) -> str:
    return f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +datum=WGS84 +units=m +no_defs"


def _check_latlon(lat: float, lon: float, what: str) -> None:
    if not (math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180):
        raise UserError(f"{what} ({lat}, {lon}) is not a valid latitude/longitude", location=what)


# --------------------------------------------------------------------------- EXIF GPS


def _rational(v: Any, field_name: str) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        raise UserError(f"EXIF {field_name} holds {v!r}, expected a number", location=field_name) from None
    if not math.isfinite(x):
        raise UserError(f"EXIF {field_name} holds {v!r}, expected a finite number", location=field_name)
    return x


def _dms(v: Any, field_name: str) -> float:
    if isinstance(v, int | float) or not hasattr(v, "__len__"):
        return _rational(v, field_name)
    parts = [_rational(p, field_name) for p in v]
    if not 1 <= len(parts) <= 3:
        raise UserError(
            f"EXIF {field_name} has {len(parts)} parts, expected degrees, minutes, seconds", location=field_name
        )
    parts += [0.0] * (3 - len(parts))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def _ref(v: Any) -> str:
    if isinstance(v, bytes):
        v = v.decode("ascii", "replace")
    return str(v or "").strip("\x00 ").upper()


def parse_exif_gps(gps: Mapping[int, Any]) -> dict[str, Any] | None:
    """Decode an EXIF GPS IFD: lat, lon, altitude, image direction and UTC time. None without a position."""
    if GPS_LAT not in gps or GPS_LON not in gps:
        return None
    lat = _dms(gps[GPS_LAT], "GPSLatitude")
    lon = _dms(gps[GPS_LON], "GPSLongitude")
    lat_ref, lon_ref = _ref(gps.get(GPS_LAT_REF, "N")), _ref(gps.get(GPS_LON_REF, "E"))
    if lat_ref not in ("N", "S", ""):
        raise UserError(f"EXIF GPSLatitudeRef is {lat_ref!r}, expected N or S", location="GPSLatitudeRef")
    if lon_ref not in ("E", "W", ""):
        raise UserError(f"EXIF GPSLongitudeRef is {lon_ref!r}, expected E or W", location="GPSLongitudeRef")
    lat = -lat if lat_ref == "S" else lat
    lon = -lon if lon_ref == "W" else lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UserError(f"EXIF GPS position ({lat:.6f}, {lon:.6f}) is outside the globe", location="GPSLatitude")
    out: dict[str, Any] = {
        "lat": lat,
        "lon": lon,
        "altitude_m": None,
        "bearing_deg": None,
        "bearing_ref": None,
        "time": None,
    }
    if GPS_ALT in gps:
        try:
            alt = _rational(gps[GPS_ALT], "GPSAltitude")
            ref = gps.get(GPS_ALT_REF, 0)
            below = (ref[:1] == b"\x01") if isinstance(ref, bytes) else ref == 1
            out["altitude_m"] = -alt if below else alt
        except UserError:
            pass  # altitude is a nicety; a bad one should not stop the placement
    if GPS_IMG_DIR in gps:
        bearing = _rational(gps[GPS_IMG_DIR], "GPSImgDirection")
        if not 0 <= bearing <= 360:
            raise UserError(f"EXIF GPSImgDirection is {bearing}, expected 0–360 degrees", location="GPSImgDirection")
        out["bearing_deg"] = bearing % 360
        ref = _ref(gps.get(GPS_IMG_DIR_REF, ""))
        out["bearing_ref"] = "magnetic" if ref == "M" else "true"
    out["time"] = parse_gps_time(gps.get(GPS_DATE), gps.get(GPS_TIME))
    return out


def parse_gps_time(date_stamp: Any, time_stamp: Any) -> datetime | None:
    """GPSDateStamp "YYYY:MM:DD" + GPSTimeStamp (h, m, s) → UTC datetime, or None when absent/blank."""
    if not date_stamp:
        return None
    ds = _ref(date_stamp)
    if not ds:
        return None
    try:
        day = datetime.strptime(ds, "%Y:%m:%d").replace(tzinfo=UTC)
    except ValueError:
        raise UserError(f"EXIF GPSDateStamp is {ds!r}, expected YYYY:MM:DD", location="GPSDateStamp") from None
    if time_stamp is None:
        return day
    h, m, s = (list(time_stamp) + [0, 0, 0])[:3] if hasattr(time_stamp, "__len__") else (time_stamp, 0, 0)
    hh, mm, ss = _rational(h, "GPSTimeStamp"), _rational(m, "GPSTimeStamp"), _rational(s, "GPSTimeStamp")
    if not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 61):
        raise UserError(f"EXIF GPSTimeStamp is {hh}:{mm}:{ss}, expected a time of day", location="GPSTimeStamp")
    from datetime import timedelta

    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


def georef_from_exif_gps(gps: Mapping[int, Any], width: int, height: int) -> Georef | None:
    info = parse_exif_gps(gps)
    if info is None:
        return None
    return Georef(
        method="exif-gps",
        width=width,
        height=height,
        point=(info["lat"], info["lon"]),
        bearing_deg=info["bearing_deg"],
        altitude_m=info["altitude_m"],
        gps_time=info["time"],
        notes=[f"bearing is {info['bearing_ref']} north"] if info["bearing_ref"] else [],
    )
