"""Parsing the times users type: ISO 8601 with or without offset (no offset means UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from evidence_app.domain.errors import ValidationError


def parse_utc(text: str, *, field: str = "time") -> datetime:
    """Parse ``2019-03-11T14:00Z``, ``2019-03-11 14:00+09:00`` or ``2019-03-11``; return aware UTC."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValidationError(
            f"time {text!r} is not valid: expected ISO 8601 such as 2019-03-11T14:00Z", field=field
        ) from None
    from evidence_app.domain.limits import check_time

    return check_time(value, field=field)


def format_utc(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
