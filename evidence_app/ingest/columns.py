"""Which CSV column each import field comes from: the header auto-detection behind ``--map``, as data.

The GUI's import dialog shows this as its column-mapping table, prefilled with exactly
what the parsers would choose (``match_columns`` is the parsers' own matcher), and hands
the user's choices back as the same ``FIELD=COLUMN`` mapping the command line takes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evidence_app.domain.errors import UserError
from evidence_app.ingest import ais_csv, events, registry
from evidence_app.ingest.sources import head, members, sniff_ais_format

# Import kind -> (field -> header spellings, fields a file must have).
KINDS: dict[str, tuple[Mapping[str, tuple[str, ...]], tuple[str, ...]]] = {
    "ais": (ais_csv.ALIASES, ais_csv.REQUIRED),
    "vessels": (registry.FIELDS, ()),
    "events": (events.FIELDS, events.REQUIRED),
}


@dataclass
class ColumnPlan:
    """A CSV file's header and the column auto-detection picked for each field (None: not found)."""

    kind: str
    file: str
    header: list[str]
    columns: dict[str, str | None] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        """Required fields no column was found for: the user must name them."""
        # An event's first vessel may be named by its name column alone (GFW map downloads).
        return [
            f
            for f in self.required
            if not self.columns.get(f)
            and not (self.kind == "events" and f == "vessel_a" and self.columns.get("name_a"))
        ]

    def mapping(self) -> dict[str, str]:
        """The choices as a ``--map`` mapping (field -> column name)."""
        return {f: c for f, c in self.columns.items() if c}


def detect_columns(
    header: list[str], kind: str, mapping: Mapping[str, str] | None = None, file: str = ""
) -> dict[str, str | None]:
    """Field -> column name (or None) as the parser for ``kind`` would resolve ``header``."""
    if kind not in KINDS:
        raise UserError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    fields, _required = KINDS[kind]
    found = ais_csv.match_columns(header, mapping or {}, fields, file)
    return {f: (header[found[f]] if f in found else None) for f in fields}


def _is_csv(path: Path, kind: str, fmt: str) -> bool:
    """Whether ``path`` is a CSV with a header row for this import (NMEA, JSON and OFAC have none)."""
    if fmt not in ("auto", "csv", "marinecadastre"):
        return False
    member = members(path)[0]
    if kind == "ais":
        return fmt != "auto" or sniff_ais_format(head(member), member.name) != "nmea"
    if kind == "vessels":
        return fmt == "csv" or registry.sniff_registry_format(member) == "csv"
    text = head(member, 4096).lstrip()
    return not (member.name.lower().endswith((".geojson", ".json")) or text.startswith(("{", "[")))


def read_header(path: str | Path) -> list[str]:
    """The first row of the (first logical file in the) file, as the csv module reads it."""
    member = members(path)[0]
    first = head(member, 64 * 1024).splitlines()
    lines = [line for line in first if line.strip()]
    if not lines:
        raise UserError("the file is empty: expected a CSV header row", location=member.name)
    try:
        return next(csv.reader([lines[0]]))
    except csv.Error as exc:
        raise UserError(f"the header row is not valid CSV ({exc})", location=f"{member.name}:1") from exc


def plan_columns(path: str | Path, kind: str, fmt: str = "auto") -> ColumnPlan | None:
    """The header and detected columns of a CSV file for ``kind``; None when the file is not a CSV."""
    path = Path(path)
    if not _is_csv(path, kind, fmt):
        return None
    header = read_header(path)
    _fields, required = KINDS[kind]
    return ColumnPlan(kind, path.name, header, detect_columns(header, kind, file=path.name), required)
