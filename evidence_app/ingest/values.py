"""Parsing of times and numbers shared by the CSV parsers, written for the hot path."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Accepted epoch range: 1980-01-01 .. 2100-01-01. AIS did not exist before; later is an error.
MIN_TS = 315_532_800
MAX_TS = 4_102_444_800

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DMY = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:Z|UTC)?\s*$"
)


class TimeParser:
    """Turns a time text into UTC epoch seconds (int) or raises ValueError.

    Understands ISO 8601 (``2023-01-11T00:00:00``, with or without ``Z``/offset, space
    or ``T``), epoch seconds or milliseconds, and day-first dates (``11/01/2023 00:00``,
    ``11.01.2023``); ``day_first=False`` reads slashed dates month first. Times without a
    zone are UTC. Keeps a cache because AIS files repeat each second many times.
    """

    def __init__(self, day_first: bool = True) -> None:
        self.day_first = day_first
        # Public so the CSV hot loop can look a time up without a call.
        self.cache: dict[str, int] = {}
        self._days: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        ts = self.cache.get(text)
        if ts is not None:
            return ts
        try:
            ts = self._parse(text)
        except OverflowError:  # a 400-digit epoch, or year 9999 pushed past the end by its offset
            raise ValueError(f"time {_shown(text)!r} is outside 1980-2100") from None
        if not MIN_TS <= ts < MAX_TS:
            raise ValueError(f"time {_shown(text)!r} is outside 1980-2100")
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache[text] = ts
        return ts

    def _parse(self, text: str) -> int:
        # Fast path: 'YYYY-MM-DDTHH:MM:SS' exactly (MarineCadastre and most exports).
        if len(text) == 19 and text[4] == "-" and text[10] in "T " and text[13] == ":":
            day = self._days.get(text[:10])
            if day is None:
                day = int((datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC) - _EPOCH).total_seconds())
                self._days[text[:10]] = day
            h, m, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
            if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 60):
                raise ValueError(f"time {text!r} is not a valid time of day")
            return day + h * 3600 + m * 60 + s
        stripped = text.strip()
        if not stripped:
            raise ValueError("time is empty")
        if stripped.replace(".", "", 1).isdigit():
            value = float(stripped)
            if value > 1e11:  # milliseconds
                value /= 1000.0
            return int(value)
        match = _DMY.match(stripped)
        if match:
            a, b, year, hh, mm, ss, frac = match.groups()
            day, month = (int(a), int(b)) if self.day_first else (int(b), int(a))
            dt = datetime(int(year), month, day, int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=UTC)
            return int((dt - _EPOCH).total_seconds())
        iso = stripped
        if iso.endswith(" UTC"):
            iso = iso[:-4]
        dt = datetime.fromisoformat(iso)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int((dt - _EPOCH) // timedelta(seconds=1))


def _shown(text: str) -> str:
    """A value as quoted in a message: long ones cut, so a 400-digit field stays one readable line."""
    return text if len(text) <= 40 else text[:30] + "…"


def parse_iso_utc(text: str) -> datetime:
    """An ISO time given on the command line (--base-time); naive means UTC."""
    try:
        dt = datetime.fromisoformat(text.strip().replace(" UTC", ""))
        dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        dt.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2023-01-11T00:00:00Z") from exc
    return dt


def float_or_none(text: str) -> float | None:
    """A float from a CSV field; empty or non-numeric (including nan/inf) gives None."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def clean_sog(value: float | None) -> float | None:
    """Speed over ground in knots; 102.3 means not available, negatives are impossible."""
    return value if value is not None and 0.0 <= value <= 102.2 else None


def clean_cog(value: float | None) -> float | None:
    """Course over ground in degrees; 360 means not available."""
    return value if value is not None and 0.0 <= value < 360.0 else None


def clean_heading(value: float | None) -> int | None:
    """True heading in whole degrees; 511 means not available."""
    return int(value) if value is not None and 0.0 <= value < 360.0 else None


def clean_status(value: float | None) -> int | None:
    """Navigational status 0..15 (15 is 'not defined' but is what the ship sent)."""
    return int(value) if value is not None and 0 <= value <= 15 and value == int(value) else None
