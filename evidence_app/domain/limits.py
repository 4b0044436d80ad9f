"""Plausible ranges and clean text: the one set of value checks used at entry and on import.

Services call these before they write, and the case-file importer calls the same ones
on every incoming record, so the only values that reach a store are values the app
itself accepts. Each refusal is a ``ValidationError`` naming the field, the value and
the range expected.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from evidence_app.domain.errors import ValidationError


@dataclass(frozen=True)
class Range:
    """A closed interval with a unit, for numbers a person or a file can type."""

    low: float
    high: float
    unit: str = ""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{_num(self.low)} to {_num(self.high)}{unit}"


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# Generous bounds: far beyond any real value, tight enough that nothing drawn or summed hangs.
RADIUS_M = Range(0.0, 1_000_000.0, "m")  # an uncertainty circle; 1,000 km is already a guess
VESSEL_LENGTH_M = Range(1.0, 600.0, "m")  # the largest hulls afloat are ~460 m
VESSEL_BEAM_M = Range(0.5, 100.0, "m")
TONNAGE = Range(0.0, 1_000_000.0, "t")
SPEED_KN = Range(0.0, 102.3, "kn")  # AIS encodes 0..102.2, 102.3 meaning "not available"
COURSE_DEG = Range(0.0, 360.0, "°")
QUANTITY = Range(0.0, 1e9)  # tonnes or barrels of cargo
DURATION_H = Range(0.0, 24.0 * 366, "h")
GSD_M = Range(0.001, 10_000.0, "m per pixel")  # 1 mm (close-range photos) to 10 km
LATITUDE = Range(-90.0, 90.0, "°")
LONGITUDE = Range(-180.0, 180.0, "°")
PIXELS = Range(0, 1_000_000)  # one image dimension
MEASURED_LENGTH_M = Range(0.0, 10_000_000.0, "m")  # a measurement drawn on an image (a coastline, a wake)

DISTANCE_M = Range(0.0, 20_000_000.0, "m")  # half the Earth's circumference
SPEED_THRESHOLD_KN = Range(0.0, 1_000.0, "kn")  # detector thresholds, not reported speeds
GRID_MINUTES = Range(1.0, 24.0 * 60, "min")  # finer steps would make a month of tracks huge
COUNT = Range(0, 1_000_000)

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_TEXT = 100_000  # characters in any one text field
MAX_NAME = 1_000  # names, titles, tags, reviewer names
MAX_JSON_DEPTH = 64  # nesting of any JSON a file brings in (real records nest 5 deep at most)
# What a database integer column holds (SQLite and PostgreSQL BIGINT): larger ones overflow at insert.
INT64 = (-(2**63), 2**63 - 1)


def check_number(value: object, rng: Range, *, field: str) -> float:
    """A finite number inside ``rng``; booleans and strings are refused, ints accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{field} must be a number, found {type(value).__name__}", field=field)
    if isinstance(value, int) and not (-(2**53) <= value <= 2**53):
        raise ValidationError(f"{field} {value} is out of range: expected {rng.describe()}", field=field)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{field} must be a finite number, found {value!r}", field=field)
    if not rng.low <= number <= rng.high:
        raise ValidationError(f"{field} {_num(number)} is out of range: expected {rng.describe()}", field=field)
    return number


def check_optional_number(value: object, rng: Range, *, field: str) -> float | None:
    return None if value is None else check_number(value, rng, field=field)


def check_int(value: object, low: int, high: int, *, field: str) -> int:
    """A whole number (not a bool, not a float) in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number, found {type(value).__name__}", field=field)
    if not low <= value <= high:
        shown = str(value) if len(str(value)) <= 30 else str(value)[:12] + "…"
        raise ValidationError(f"{field} {shown} is out of range: expected {low} to {high}", field=field)
    return value


def check_time(value: datetime, *, field: str) -> datetime:
    """An aware time between 1900 and 2200, returned in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"{field} {value.isoformat()} is out of range: expected 1900 to 2200", field=field
        ) from None
    if not EARLIEST <= utc < LATEST:
        raise ValidationError(f"{field} {utc.isoformat()} is out of range: expected 1900 to 2200", field=field)
    return utc


def check_parameters(params: object) -> None:
    """Every number of a detector's parameter set (a dataclass) inside its plausible range,
    chosen by the field's unit suffix, so no threshold can make a detector run forever."""
    import dataclasses

    for f in dataclasses.fields(params):  # type: ignore[arg-type]
        value = getattr(params, f.name)
        if f.name.endswith("_m"):
            rng = DISTANCE_M
        elif f.name.endswith("_kn"):
            rng = SPEED_THRESHOLD_KN
        elif f.name.endswith("hours"):
            rng = DURATION_H
        elif f.name.endswith("minutes"):
            rng = GRID_MINUTES
        elif isinstance(value, int) and not isinstance(value, bool):
            check_int(value, int(COUNT.low), int(COUNT.high), field=f.name)
            continue
        else:
            continue
        check_number(value, rng, field=f.name)


def check_window(start: datetime | None, end: datetime | None, *, field: str = "time window") -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(
            f"{field}: the end ({end.isoformat()}) is before the start ({start.isoformat()})", field=field
        )


_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# Unicode category Cc is exactly U+0000..U+001F and U+007F..U+009F.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: object, *, field: str, max_length: int = MAX_TEXT, multiline: bool = True) -> str:
    """Text with no NUL, no control characters (tabs and newlines allowed where multiline), no lone surrogates."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text, found {type(value).__name__}", field=field)
    if len(value) > max_length:
        raise ValidationError(f"{field} is {len(value)} characters long: at most {max_length} allowed", field=field)
    # One C-speed scan each (imports check every field of every record); the slow path only names the place.
    found = (_CONTROLS_MULTILINE if multiline else _CONTROLS).search(value) or _SURROGATE.search(value)
    if found is None:
        return value
    for index, char in enumerate(value):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise ValidationError(f"{field} has a lone surrogate at character {index + 1}", field=field)
        if unicodedata.category(char) == "Cc" and not (multiline and char in _ALLOWED_CONTROLS):
            raise ValidationError(
                f"{field} has a control character (U+{code:04X}) at character {index + 1}", field=field
            )
    return value


def check_name(value: object, *, field: str) -> str:
    """A one-line name or title: no control characters at all, at most 1,000 characters."""
    return check_text(value, field=field, max_length=MAX_NAME, multiline=False)


def check_json_value(value: object, *, field: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """A JSON value a store can hold and every reader can walk: bounded nesting, finite numbers,
    whole numbers that fit 64 bits, text and keys without lone surrogates.

    Iterative, so a hostile depth cannot exhaust the stack; the path to the first problem
    is named (``meta.image.width``).
    """
    stack: list[tuple[object, str, int]] = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise ValidationError(f"{path} is nested more than {max_depth} levels deep", field=field)
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise ValidationError(f"{path} has a key that is not text", field=field)
                    _no_surrogates(key, f"{path} key", field)
                    stack.append((child, f"{path}.{key}" if len(path) < 200 else path, depth + 1))
            else:
                stack.extend(
                    (child, f"{path}[{i}]" if len(path) < 200 else path, depth + 1) for i, child in enumerate(item)
                )
        elif isinstance(item, str):
            _no_surrogates(item, path, field)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64[0] <= item <= INT64[1]:
                raise ValidationError(f"{path} is a whole number too large to store: at most 19 digits", field=field)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValidationError(f"{path} must be a finite number, found {item!r}", field=field)
        else:
            raise ValidationError(f"{path} holds a {type(item).__name__}, not a JSON value", field=field)


def _no_surrogates(text: str, path: str, field: str) -> None:
    if _SURROGATE.search(text) is None:
        return
    for index, char in enumerate(text):
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ValidationError(f"{path} has a lone surrogate at character {index + 1}", field=field)


def printable(text: str) -> str:
    """Text safe to print on a terminal or in XML: control characters shown as ``\\xNN`` escapes.

    Tabs and newlines are kept; everything else in Unicode category Cc (ESC, BEL, NUL,
    the C1 range) and lone surrogates are escaped, so a name can neither hide itself nor
    move the cursor.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char in ("\t", "\n") or (unicodedata.category(char) != "Cc" and not 0xD800 <= code <= 0xDFFF):
            out.append(char)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


# Detector settings a person could mean. A value outside is almost surely a slip of unit
# (``--distance-m 0.5`` typed for half a kilometre) and would return nothing without a
# word, so it is refused with the range. Whole-number settings are (low, high) pairs.
DETECTION_RANGES: dict[str, Range] = {
    "max_distance_m": Range(10.0, 20_000.0, "m"),  # two hulls alongside are 10-100 m apart by AIS
    "min_hours": Range(0.25, 720.0, "h"),
    "max_speed_kn": Range(0.1, 30.0, "kn"),
    "min_shore_m": Range(0.0, 500_000.0, "m"),  # 0 turns the shore rule off
    "grid_minutes": Range(1.0, 60.0, "min"),
    "bridge_hours": Range(0.0, 48.0, "h"),
    "max_dark_hours": Range(0.0, 168.0, "h"),
    "port_radius_m": Range(0.0, 100_000.0, "m"),  # 0 turns the port and anchorage rule off
    "min_gap_hours": Range(0.25, 24.0 * 90, "h"),
    "lookback_hours": Range(0.5, 24.0 * 30, "h"),
    "max_plausible_kn": Range(5.0, 500.0, "kn"),
    "min_jump_m": Range(100.0, 1_000_000.0, "m"),
    "merge_hours": Range(0.0, 24.0 * 30, "h"),
}
DETECTION_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_missing_steps": (0, 10),
    "anchorage_min_vessels": (2, 10_000),
    "min_reports_before": (1, 10_000),
}


def check_detection_parameter(name: str, value: object, *, label: str | None = None) -> float | int:
    """A detector setting inside its plausible range (``label`` names it in the message, e.g. ``--distance-m``)."""
    shown = label or name
    try:
        if name in DETECTION_INT_RANGES:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            low, high = DETECTION_INT_RANGES[name]
            return check_int(value, low, high, field=shown)
        if name in DETECTION_RANGES:
            return check_number(value, DETECTION_RANGES[name], field=shown)
    except ValidationError as exc:  # the message names the setting already: no "field:" prefix
        error = ValidationError(exc.message, field=name)
        error.location = None
        raise error from None
    raise ValidationError(f"{shown} is not a detector setting", field=name)


def xml_text(text: str) -> str:
    """``printable`` for XML 1.0: also escapes U+FFFE and U+FFFF, which XML forbids like the controls.

    The result still needs ``&``, ``<`` and ``>`` escaped (``xml.sax.saxutils.escape``).
    """
    shown = printable(text)
    if "\ufffe" in shown or "\uffff" in shown:
        shown = shown.replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    return shown
