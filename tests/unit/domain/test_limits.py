"""Plausible ranges and clean text: every refusal names the field and what was expected."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.timeparse import parse_utc


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308, -1.0, 10**20, True, "5"])
def test_a_radius_must_be_a_finite_number_in_range(value):
    with pytest.raises(ValidationError) as caught:
        limits.check_number(value, limits.RADIUS_M, field="radius_m")
    assert caught.value.field == "radius_m"


def test_the_range_is_named_in_the_message():
    with pytest.raises(ValidationError, match=r"radius_m 2e\+06 is out of range: expected 0 to 1e\+06 m"):
        limits.check_number(2e6, limits.RADIUS_M, field="radius_m")


def test_times_past_9999_with_an_offset_are_refused_not_crashed():
    with pytest.raises(ValidationError, match="out of range: expected 1900 to 2200"):
        parse_utc("9999-12-31T23:00-05:00")
    with pytest.raises(ValidationError, match="out of range"):
        parse_utc("1066-10-14T09:00Z")
    assert parse_utc("2019-03-11T14:00+09:00") == datetime(2019, 3, 11, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tanker\x00", "control character \\(U\\+0000\\)"),
        ("a\x1b[2Jb", "control character \\(U\\+001B\\)"),
        ("x\ud800y", "lone surrogate"),
        ("n" * 1001, "at most 1000"),
        ("two\nlines", "control character \\(U\\+000A\\)"),
    ],
)
def test_names_refuse_controls_surrogates_and_floods(text, message):
    with pytest.raises(ValidationError, match=message):
        limits.check_name(text, field="title")


def test_multiline_text_keeps_newlines_and_tabs():
    assert limits.check_text("line 1\n\tline 2", field="summary") == "line 1\n\tline 2"


@given(st.text())
def test_printable_output_has_no_control_characters(text):
    shown = limits.printable(text)
    for char in shown:
        assert char in "\t\n" or unicodedata.category(char) not in ("Cc", "Cs")
