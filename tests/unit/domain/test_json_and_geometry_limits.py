"""JSON held in records and footprint geometry: what an import accepts, and the message for what it refuses."""

from __future__ import annotations

import math

import pytest

from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.geo import validate_geometry


def test_json_nested_past_the_limit_is_refused_without_exhausting_the_stack():
    deep: list = []
    for _ in range(200_000):  # far past Python's recursion limit: the walk is iterative
        deep = [deep]
    with pytest.raises(ValidationError, match=r"^meta: meta(\[0\])+ is nested more than 64 levels deep$"):
        limits.check_json_value(deep, field="meta")


def test_json_at_the_limit_is_accepted():
    value: dict = {}
    for _ in range(limits.MAX_JSON_DEPTH - 1):
        value = {"x": value}
    limits.check_json_value(value, field="meta")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": math.nan}, r"meta\.a must be a finite number, found nan"),
        ({"a": [1, math.inf]}, r"meta\.a\[1\] must be a finite number, found inf"),
        ({"a": 10**20}, r"meta\.a is a whole number too large to store"),
        ({"a\ud800": 1}, r"meta key has a lone surrogate at character 2"),
        ({"a": "x\udfff"}, r"meta\.a has a lone surrogate at character 2"),
    ],
)
def test_json_values_a_store_cannot_hold_are_named_by_path(value, message):
    with pytest.raises(ValidationError, match=message):
        limits.check_json_value(value, field="meta")


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [123.9, 36.5]},
        {"type": "Polygon", "coordinates": [[[123.9, 36.5], [124.0, 36.5], [124.0, 36.6], [123.9, 36.5]]]},
        {"type": "MultiLineString", "coordinates": [[[123.9, 36.5], [124.0, 36.6]], [[-180, 0], [180, 0.5, 12.0]]]},
    ],
)
def test_footprints_the_app_writes_are_accepted(geometry):
    assert validate_geometry(geometry) is geometry


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ([[36.5, 123.9]], r"must be a GeoJSON geometry object, found list"),
        ({"type": "Circle", "coordinates": [0, 0]}, r"type 'Circle': expected one of Point"),
        ({"type": "Point", "coordinates": ["123.9", "36.5"]}, r"expected \[longitude, latitude\] numbers"),
        ({"type": "Point", "coordinates": [True, 36.5]}, r"expected \[longitude, latitude\] numbers"),
        ({"type": "Point", "coordinates": [36.5, 123.9]}, r"position \[36.5, 123.9\] is out of range"),
        ({"type": "LineString", "coordinates": [[1, 2]]}, r"needs at least two positions"),
        ({"type": "Polygon", "coordinates": [[1, 2], [3, 4]]}, r"nested lists of \[lon, lat\] pairs"),
    ],
)
def test_footprints_of_the_wrong_shape_are_refused(geometry, message):
    with pytest.raises(ValidationError, match=message):
        validate_geometry(geometry)
