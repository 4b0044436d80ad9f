"""Records and located problems that every ingest parser yields, and the tally that counts them.

Positions travel in batches of columns (``PositionBatch``: numpy arrays, cheap to hand
from a reading process to the writing one) that give plain tuples (``POSITION_FIELDS``
order) where rows are needed; everything rarer (static identities, registry vessels,
events) is a small dataclass.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.ingest.identifiers import validate_imo

# The order of a position tuple; the same order as the ais_positions columns, minus the
# evidence id that the import service adds.
POSITION_FIELDS = ("mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status")
PositionRow = tuple[int, int, float, float, float | None, float | None, int | None, int | None]


class PositionBatch:
    """Positions as eight columns in ``POSITION_FIELDS`` order: int64 MMSI and time, float64
    for the rest with NaN where a value is missing (heading and status are whole numbers).

    Iterating gives ``PositionRow`` tuples with None for missing values.
    """

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[Any]) -> None:
        self.columns = tuple(columns)

    def __len__(self) -> int:
        return len(self.columns[0])

    def __iter__(self) -> Iterator[PositionRow]:
        return iter(self.rows())

    def rows(self) -> list[PositionRow]:
        """The positions as tuples of plain Python values, ready for a database driver."""
        mmsi, ts, lat, lon, sog, cog, heading, status = self.columns
        return list(
            zip(
                mmsi.tolist(),
                ts.tolist(),
                lat.tolist(),
                lon.tolist(),
                _or_none(sog),
                _or_none(cog),
                _or_none(heading, int),
                _or_none(status, int),
                strict=True,
            )
        )

    @classmethod
    def from_rows(cls, rows: Sequence[PositionRow]) -> PositionBatch:
        import numpy as np

        if not rows:
            return cls.empty()
        mmsi, ts, *rest = zip(*rows, strict=True)
        return cls(
            [
                np.array(mmsi, np.int64),
                np.array(ts, np.int64),
                *(np.array([np.nan if v is None else v for v in column], np.float64) for column in rest),
            ]
        )

    @classmethod
    def empty(cls) -> PositionBatch:
        import numpy as np

        return cls([np.zeros(0, np.int64)] * 2 + [np.zeros(0, np.float64)] * 6)

    @classmethod
    def concat(cls, batches: Sequence[PositionBatch]) -> PositionBatch:
        import numpy as np

        if len(batches) == 1:
            return batches[0]
        return cls([np.concatenate(parts) for parts in zip(*(b.columns for b in batches), strict=True)])

    def take(self, index: Any) -> PositionBatch:
        """The rows at ``index`` (a slice, a mask or positions), in that order."""
        return PositionBatch([column[index] for column in self.columns])


def _or_none(values: Any, kind: type = float) -> list[Any]:
    """A float array with NaN for missing, as a list of ``kind`` values and None."""
    import numpy as np

    missing = np.isnan(values)
    if not missing.any():
        return values.astype(np.int64).tolist() if kind is int else values.tolist()
    out = np.full(len(values), None, dtype=object)
    present = ~missing
    out[present] = values[present].astype(np.int64) if kind is int else values[present]
    return out.tolist()


# Outcomes counted in a tally that are not problems: the record was taken.
ACCEPTED = frozenset({"position", "static", "vessel", "designation", "event"})

# Human wording for each reason code, for reports.
REASONS: dict[str, str] = {
    "position": "position reports",
    "static": "static / voyage data (identity)",
    "vessel": "vessel records",
    "designation": "sanctions designations",
    "event": "events",
    "empty_payload": "empty AIS payload",
    "non_position": "AIS messages that carry no vessel position (base station, interrogation, ...)",
    "incomplete_multipart": "fragment of a multi-sentence message whose other parts are missing",
    "bad_checksum": "NMEA checksum does not match",
    "bad_sentence": "malformed NMEA sentence",
    "not_ais": "line is not an AIS sentence",
    "undecodable": "AIS payload could not be decoded",
    "no_timestamp": "no time for the message (no tag block c:, no $PGHP line, no --base-time)",
    "bad_time": "time missing or not understood",
    "bad_mmsi": "MMSI missing or not a number of at most 9 digits",
    "bad_imo": "IMO number missing or failing its check digit",
    "position_not_available": "position marked not available (lat 91 / lon 181)",
    "bad_position": "latitude or longitude missing, not a number or out of range",
    "bad_number": "a numeric field is not a number",
    "missing_field": "a required field is empty",
    "short_row": "row has fewer columns than the header",
    "not_vessel": "not a vessel (an individual, company or aircraft entry of a sanctions list)",
    "bad_record": "record not understood",
}


class Problem(NamedTuple):
    """One input unit that was not taken, with where it is and why."""

    file: str
    line: int | None
    reason: str
    detail: str = ""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        text = REASONS.get(self.reason, self.reason)
        return f"{self.location}: {text}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Tally:
    """Counts every input unit by outcome; keeps the first ``keep`` problems verbatim.

    ``read`` always equals the sum of ``outcomes``: each unit read ends in exactly one
    outcome, accepted (``ACCEPTED``) or a skip reason.
    """

    keep: int = 50
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, outcome: str, n: int = 1) -> None:
        self.outcomes[outcome] += n

    def skip(self, file: str, line: int | None, reason: str, detail: str = "") -> None:
        self.outcomes[reason] += 1
        if len(self.problems) < self.keep:
            self.problems.append(Problem(file, line, reason, detail[:200]))

    @property
    def read(self) -> int:
        return sum(self.outcomes.values())

    @property
    def accepted(self) -> dict[str, int]:
        return {k: v for k, v in self.outcomes.items() if k in ACCEPTED and v}

    @property
    def skipped(self) -> dict[str, int]:
        return {k: v for k, v in sorted(self.outcomes.items()) if k not in ACCEPTED and v}

    def merge(self, other: Tally) -> None:
        self.outcomes.update(other.outcomes)
        room = self.keep - len(self.problems)
        self.problems.extend(other.problems[: max(room, 0)])
        self.notes.extend(other.notes)


def epoch_to_datetime(ts: int | float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class IdentitySpan:
    """One identity (name / IMO / call sign under one MMSI) and when it was seen."""

    mmsi: int
    name: str
    imo: int | None
    call_sign: str
    first_seen: int  # UTC epoch seconds
    last_seen: int
    vessel_type: str = ""
    length_m: float | None = None
    beam_m: float | None = None
    source: str = ""


class IdentityAccumulator:
    """Folds static data (AIS types 5/19/24, CSV name/IMO/call sign columns) into spans.

    Called once per row on the hot path, so it keeps raw strings keyed in a dict and
    validates IMO numbers once per distinct identity in ``spans()``.
    """

    def __init__(self) -> None:
        # (mmsi, name, imo_text, call_sign) -> [first, last, type, length, beam, source]
        # Public so the CSV hot loop can update a known span without a method call.
        self.raw_spans: dict[tuple[int, str, str, str], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.raw_spans)

    def observe(
        self,
        mmsi: int,
        ts: int,
        name: str,
        imo: str,
        call_sign: str,
        vessel_type: str = "",
        length_m: float | None = None,
        beam_m: float | None = None,
        source: str = "",
    ) -> None:
        key = (mmsi, name, imo, call_sign)
        span = self.raw_spans.get(key)
        if span is None:
            self.raw_spans[key] = [ts, ts, vessel_type, length_m, beam_m, source]
            return
        if ts < span[0]:
            span[0] = ts
        elif ts > span[1]:
            span[1] = ts
        if vessel_type and not span[2]:
            span[2] = vessel_type
        if length_m and not span[3]:
            span[3] = length_m
        if beam_m and not span[4]:
            span[4] = beam_m

    def merge(self, other: IdentityAccumulator) -> None:
        """Add what another accumulator saw (the same file read in another process)."""
        for (mmsi, name, imo, call_sign), (first, last, vtype, length, beam, source) in other.raw_spans.items():
            self.observe(mmsi, first, name, imo, call_sign, vtype, length, beam, source)
            self.observe(mmsi, last, name, imo, call_sign)

    def spans(self) -> list[IdentitySpan]:
        """Distinct identities, spans with identical cleaned values merged, by MMSI then time."""
        merged: dict[tuple[int, str, int | None, str], IdentitySpan] = {}
        for (mmsi, name, imo_text, call_sign), (first, last, vtype, length, beam, source) in self.raw_spans.items():
            clean_name = clean_text(name)
            clean_cs = clean_text(call_sign)
            imo = imo_or_none(imo_text)
            if not (clean_name or clean_cs or imo):
                continue
            key = (mmsi, clean_name, imo, clean_cs)
            span = merged.get(key)
            if span is None:
                merged[key] = IdentitySpan(
                    mmsi,
                    clean_name,
                    imo,
                    clean_cs,
                    first,
                    last,
                    clean_text(vtype),
                    length or None,
                    beam or None,
                    source,
                )
            else:
                span.first_seen = min(span.first_seen, first)
                span.last_seen = max(span.last_seen, last)
                span.vessel_type = span.vessel_type or clean_text(vtype)
                span.length_m = span.length_m or length or None
                span.beam_m = span.beam_m or beam or None
        return sorted(merged.values(), key=lambda s: (s.mmsi, s.first_seen, s.name))


def clean_text(value: str) -> str:
    """AIS six-bit text pads with '@' and spaces; CSVs pad with spaces."""
    return " ".join(value.replace("@", " ").split()) if value else ""


def imo_or_none(value: str | int | None) -> int | None:
    """A valid IMO number from '9307839', 'IMO9307839' or 9307839; None when absent or invalid."""
    if value is None or value == "" or value == 0:
        return None
    try:
        imo = validate_imo(value)
    except ValidationError:
        return None
    return imo or None  # 'IMO0000000' passes the check digit but means "no IMO"


_SHIP_TYPES = (
    (20, 29, "Wing in ground"),
    (30, 30, "Fishing"),
    (31, 32, "Towing"),
    (33, 33, "Dredging"),
    (34, 34, "Diving"),
    (35, 35, "Military"),
    (36, 36, "Sailing"),
    (37, 37, "Pleasure craft"),
    (40, 49, "High-speed craft"),
    (50, 50, "Pilot"),
    (51, 51, "Search and rescue"),
    (52, 52, "Tug"),
    (53, 53, "Port tender"),
    (55, 55, "Law enforcement"),
    (58, 58, "Medical transport"),
    (60, 69, "Passenger"),
    (70, 79, "Cargo"),
    (80, 89, "Tanker"),
    (90, 99, "Other"),
)


def ais_ship_type(code: str) -> str:
    """The AIS ship-and-cargo type code as words ('80' -> 'Tanker'); other text as given."""
    text = code.strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return text
    number = int(text)
    for low, high, label in _SHIP_TYPES:
        if low <= number <= high:
            return label
    return ""


def csv_rows(reader: Any, file: str, tally: Tally) -> Iterator[list[str]]:
    """The non-blank rows of a ``csv.reader``; a malformed record is counted as skipped
    (``bad_record``, with its line) and reading goes on. ``reader.line_num`` stays valid."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            tally.skip(file, reader.line_num, "bad_record", str(exc))
            continue
        if row and row != [""]:
            yield row


def csv_header(reader: Any, file: str) -> list[str]:
    """The header row of a ``csv.reader``, or a located error saying why there is none."""
    try:
        return next(reader)
    except StopIteration:
        raise UserError("the file is empty: expected a CSV header row", location=file) from None
    except csv.Error as exc:
        raise UserError(f"the header row is not valid CSV ({exc})", location=f"{file}:1") from exc
