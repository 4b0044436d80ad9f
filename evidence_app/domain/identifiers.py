"""Ship identifiers: IMO numbers (with check digit), MMSI numbers and their flag hint."""

from __future__ import annotations

import re

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.mid import MID_COUNTRIES

_IMO_TEXT = re.compile(r"^\s*(?:IMO[\s:#-]*)?(\d{7})\s*$", re.IGNORECASE)


def imo_check_digit(first_six: str) -> int:
    """The IMO check digit: digits weighted 7, 6, 5, 4, 3, 2, summed, last decimal digit."""
    return sum(int(d) * w for d, w in zip(first_six, range(7, 1, -1), strict=True)) % 10


def validate_imo(value: object, *, field: str = "imo") -> int:
    """Return the IMO number as an int, or raise naming what is wrong and what was expected.

    Accepts ``9123456``, ``"9123456"`` and ``"IMO 9123456"``.
    """
    text = str(value)
    match = _IMO_TEXT.match(text)
    if not match:
        raise ValidationError(
            f"IMO number {text!r} is not valid: expected 7 digits, optionally after 'IMO'",
            field=field,
        )
    digits = match.group(1)
    expected = imo_check_digit(digits[:6])
    if int(digits[6]) != expected:
        raise ValidationError(
            f"IMO number {digits} fails its check digit: expected {expected} as the last digit"
            f" ({digits[:6]}{expected}), got {digits[6]}",
            field=field,
        )
    return int(digits)


def is_valid_imo(value: object) -> bool:
    try:
        validate_imo(value)
    except ValidationError:
        return False
    return True


def validate_mmsi(value: object, *, field: str = "mmsi") -> int:
    """Return the MMSI as an int: exactly nine digits (leading zeros allowed for coast stations)."""
    text = str(value).strip()
    if not (len(text) == 9 and text.isascii() and text.isdigit()):
        raise ValidationError(f"MMSI {text!r} is not valid: expected exactly 9 digits", field=field)
    return int(text)


def display_mmsi(mmsi: int | None, as_given: str | None = None) -> str:
    """An MMSI as people read it: nine digits, or, for one a file gave with another length,
    the digits exactly as given marked malformed (never padded into a different number)."""
    if as_given:
        return f"{as_given} (malformed)"
    return f"{mmsi:09d}" if mmsi else ""


def mmsi_mid(mmsi: int) -> int | None:
    """The Maritime Identification Digits of a ship station MMSI (first three digits)."""
    text = f"{mmsi:09d}"
    if text[0] in "234567":
        return int(text[:3])
    return None


def mmsi_flag_hint(mmsi: int) -> str | None:
    """The country the MMSI's MID is allocated to: a hint at the flag, not proof of it."""
    mid = mmsi_mid(mmsi)
    return MID_COUNTRIES.get(mid) if mid is not None else None


def parse_vessel_ref(text: str) -> tuple[str, int | str]:
    """Classify a user's vessel reference: ('imo', n), ('mmsi', n), ('number', n) or ('name', text).

    'IMO 9307839' is an IMO number (its check digit is verified); nine digits are an MMSI;
    any other run of digits is ('number', n), to be looked for as an MMSI and an IMO alike
    (files carry malformed MMSIs of seven digits, which a check digit cannot tell from an
    IMO number). Never raises for a plain number.
    """
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) != 9:
        # More than ten digits is no MMSI or IMO number (and would overflow a database integer).
        return ("number", int(stripped)) if len(stripped) <= 10 else ("name", stripped)
    if _IMO_TEXT.match(stripped) and (stripped.upper().startswith("IMO") or len(stripped) == 7):
        return "imo", validate_imo(stripped)
    if len(stripped) == 9 and stripped.isdigit():
        return "mmsi", int(stripped)
    return "name", stripped
