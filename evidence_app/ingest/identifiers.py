"""IMO / MMSI validation for parsers: the domain rules, reached through one import point."""

from __future__ import annotations

from evidence_app.domain.errors import ValidationError

try:
    from evidence_app.domain.identifiers import mmsi_flag_hint, validate_mmsi
    from evidence_app.domain.identifiers import validate_imo as _validate_imo
except ImportError:  # pragma: no cover - the domain module is landing on main; same contract
    def _validate_imo(value: object) -> int:
        text = str(value).strip()
        if not (len(text) == 7 and text.isdigit()):
            raise ValidationError(f"IMO number {value!r} is not 7 digits", field="imo")
        digits = [int(c) for c in text]
        if sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 != digits[6]:
            raise ValidationError(f"IMO number {value!r} fails its check digit", field="imo")
        return int(text)

    def validate_mmsi(value: object) -> int:
        text = str(value).strip()
        if not (len(text) == 9 and text.isdigit()):
            raise ValidationError(f"MMSI {value!r} is not 9 digits", field="mmsi")
        return int(text)

    def mmsi_flag_hint(mmsi: int) -> str | None:
        return None


def validate_imo(value: object) -> int:
    """Accept the 'IMO 9307839' spellings registries and MarineCadastre use, then the domain rule."""
    if isinstance(value, str):
        text = value.strip()
        if text[:3].upper() == "IMO":
            text = text[3:].strip(" :")
        if text.endswith(".0"):  # spreadsheets turn 9307839 into 9307839.0
            text = text[:-2]
        value = text
    return _validate_imo(value)


def mmsi_or_none(value: object) -> int | None:
    """A 9-digit MMSI, or None when absent or invalid."""
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
