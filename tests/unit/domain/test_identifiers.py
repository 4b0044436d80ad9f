"""IMO and MMSI validation, including property-based checks of the check digit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.identifiers import (
    imo_check_digit,
    mmsi_flag_hint,
    parse_vessel_ref,
    validate_imo,
    validate_mmsi,
)


def test_known_imo_numbers_pass():
    assert validate_imo("9074729") == 9074729  # the worked example of the IMO scheme
    assert validate_imo("IMO 9216470") == 9216470


def test_wrong_check_digit_names_expected_digit():
    with pytest.raises(ValidationError) as err:
        validate_imo("9123456")
    assert "expected 3" in str(err.value)
    assert err.value.field == "imo"


@given(st.integers(min_value=0, max_value=999_999))
def test_every_six_digit_prefix_has_exactly_one_valid_imo(prefix):
    six = f"{prefix:06d}"
    valid = [d for d in range(10) if _ok(six + str(d))]
    assert valid == [imo_check_digit(six)]


def _ok(text):
    try:
        validate_imo(text)
    except ValidationError:
        return False
    return True


@given(st.text(max_size=20))
def test_imo_validator_never_raises_anything_but_validation_error(text):
    try:
        value = validate_imo(text)
    except ValidationError:
        return
    assert 1_000_000 <= value <= 9_999_999 or value < 1_000_000


@given(st.text(max_size=12))
def test_mmsi_accepts_only_nine_ascii_digits(text):
    try:
        value = validate_mmsi(text)
    except ValidationError:
        assert not (len(text.strip()) == 9 and text.strip().isascii() and text.strip().isdigit())
        return
    assert 0 <= value <= 999_999_999


def test_mmsi_flag_hint_from_mid():
    assert mmsi_flag_hint(445123000) == "North Korea"
    assert mmsi_flag_hint(352001234) == "Panama"
    assert mmsi_flag_hint(412000000) == "China"
    assert mmsi_flag_hint(111222333) is None  # SAR aircraft range, no country


def test_vessel_reference_kinds():
    # A bare number that is not nine digits is looked for as IMO and MMSI alike (malformed
    # MMSIs have seven digits too); it never raises, even when it fails the IMO check digit.
    assert parse_vessel_ref("9216470") == ("number", 9216470)
    assert parse_vessel_ref("1234567") == ("number", 1234567)
    assert parse_vessel_ref("IMO 9216470") == ("imo", 9216470)
    assert parse_vessel_ref("445123000") == ("mmsi", 445123000)
    assert parse_vessel_ref("Chon Ma San") == ("name", "Chon Ma San")
