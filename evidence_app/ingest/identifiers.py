"""IMO / MMSI validation for parsers: the domain rules plus the spellings files use."""

from __future__ import annotations

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.identifiers import mmsi_flag_hint, validate_mmsi
from evidence_app.domain.identifiers import validate_imo as _validate_imo


def validate_imo(value: object) -> int:
    """The domain rule, also accepting 'IMO9307839' and the '9307839.0' spreadsheets produce."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
        value = text
    return _validate_imo(value)


def mmsi_or_none(value: object) -> int | None:
    """A 9-digit MMSI (leading zeros restored when a file dropped them), or None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    try:
        return validate_mmsi(text.zfill(9) if text.isdigit() else text)
    except ValidationError:
        return None


__all__ = ["ValidationError", "mmsi_flag_hint", "mmsi_or_none", "validate_imo", "validate_mmsi"]
