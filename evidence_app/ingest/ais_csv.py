"""AIS positions from CSV: the MarineCadastre layout, or any CSV whose headers we recognise.

Columns are found by header name (see ``ALIASES``); ``mapping`` (from ``--map
FIELD=COLUMN``) names the rest. Positions come out in chunks of tuples (see
``records.POSITION_FIELDS``); identity columns (name, IMO, call sign, dimensions) feed an
``IdentityAccumulator``; every row that is not taken is counted in the ``Tally`` with its
line number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import IO

from evidence_app.domain.errors import UserError
from evidence_app.ingest.records import IdentityAccumulator, PositionRow, Tally
from evidence_app.ingest.values import (
    TimeParser,
    clean_cog,
    clean_heading,
    clean_sog,
    clean_status,
    float_or_none,
)

# Canonical field -> header spellings (compared lower-case with spaces, '_' and '-' removed).
ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "userid", "mmsinumber", "shipmmsi"),
    "time": ("time", "timestamp", "basedatetime", "datetime", "datetimeutc", "timeutc", "timestamputc",
             "ts", "date", "utc", "positiontime", "receivedtime"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "long", "longitude", "lng", "x"),
    "sog": ("sog", "speed", "speedoverground", "speedknots"),
    "cog": ("cog", "course", "courseoverground"),
    "heading": ("heading", "hdg", "trueheading"),
    "nav_status": ("status", "navstatus", "navigationalstatus", "navigationstatus"),
    "name": ("vesselname", "name", "shipname"),
    "imo": ("imo", "imonumber", "imono"),
    "call_sign": ("callsign", "call"),
    "vessel_type": ("vesseltype", "shiptype", "type", "shipandcargotype"),
    "length": ("length", "loa", "lengthm"),
    "beam": ("width", "beam", "beamm"),
}
REQUIRED = ("mmsi", "time", "lat", "lon")
FIELDS = tuple(ALIASES)


def _norm(header: str) -> str:
    return "".join(ch for ch in header.strip().strip('"').lower() if ch not in " _-")


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``['lat=Breite', 'time=Zeit']`` -> ``{'lat': 'Breite', 'time': 'Zeit'}``; UserError on nonsense."""
    mapping: dict[str, str] = {}
    for pair in pairs or ():
        field, sep, column = pair.partition("=")
        field = field.strip().lower()
        if not sep or not field or not column.strip():
            raise UserError(f"--map {pair!r}: expected FIELD=COLUMN, e.g. lat=Latitude_deg")
        mapping[field] = column.strip()
    return mapping


def resolve_columns(
    header: list[str], mapping: Mapping[str, str], fields: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...], file: str,
) -> dict[str, int]:
    """Column index per canonical field: explicit mapping first, then header aliases."""
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise UserError(
            f"--map names unknown field(s) {', '.join(unknown)}; known fields: {', '.join(fields)}",
            location=file,
        )
    normalised = [_norm(h) for h in header]
    columns: dict[str, int] = {}
    for field, column in mapping.items():
        if column in header:
            columns[field] = header.index(column)
        elif _norm(column) in normalised:
            columns[field] = normalised.index(_norm(column))
        elif column.isdigit() and int(column) < len(header):
            columns[field] = int(column)  # a column number, for files with junk headers
        else:
            raise UserError(
                f"--map {field}={column}: no column {column!r}; the header has: {', '.join(header)}",
                location=f"{file}:1",
            )
    taken = set(columns.values())
    for field, spellings in fields.items():
        if field in columns:
            continue
        for spelling in spellings:
            if spelling in normalised and normalised.index(spelling) not in taken:
                columns[field] = normalised.index(spelling)
                taken.add(columns[field])
                break
    missing = [f for f in required if f not in columns]
    if missing:
        raise UserError(
            f"cannot find column(s) for {', '.join(missing)} in the header ({', '.join(header)}); "
            f"name them with --map FIELD=COLUMN, e.g. --map {missing[0]}=<column>",
            location=f"{file}:1",
        )
    return columns


def read_ais_csv(
    stream: IO[str],
    file: str,
    tally: Tally,
    identities: IdentityAccumulator,
    mapping: Mapping[str, str] | None = None,
    day_first: bool = True,
    chunk_size: int = 50_000,
) -> Iterator[list[PositionRow]]:
    """Yield lists of position tuples from a CSV with a header row.

    Raises UserError only for a file-level problem (no header, required columns not
    found); row problems are counted in ``tally`` and the row is skipped.
    """
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise UserError("the file is empty: expected a CSV header row", location=file) from None
    except csv.Error as exc:
        raise UserError(f"the header row is not valid CSV ({exc})", location=f"{file}:1") from exc
    cols = resolve_columns(header, mapping or {}, ALIASES, REQUIRED, file)
    i_mmsi, i_time, i_lat, i_lon = cols["mmsi"], cols["time"], cols["lat"], cols["lon"]
    i_sog, i_cog, i_hdg, i_st = (cols.get(f, -1) for f in ("sog", "cog", "heading", "nav_status"))
    i_name, i_imo, i_cs = (cols.get(f, -1) for f in ("name", "imo", "call_sign"))
    i_type, i_len, i_beam = (cols.get(f, -1) for f in ("vessel_type", "length", "beam"))
    has_static = i_name >= 0 or i_imo >= 0 or i_cs >= 0
    width = max(cols.values()) + 1
    parse_time = TimeParser(day_first=day_first)
    observe = identities.observe
    spans = identities.raw_spans
    chunk: list[PositionRow] = []
    append = chunk.append
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            tally.skip(file, reader.line_num, "bad_record", str(exc))
            continue
        if len(row) < width:
            if not row or row == [""]:
                continue  # blank line: not a record
            tally.skip(file, reader.line_num, "short_row", f"{len(row)} columns, expected {len(header)}")
            continue
        try:
            mmsi = int(row[i_mmsi])
            ts = parse_time(row[i_time])
            lat = float(row[i_lat])
            lon = float(row[i_lon])
        except ValueError:
            _classify(row, i_mmsi, i_time, i_lat, i_lon, parse_time, tally, file, reader.line_num)
            continue
        if not (0 < mmsi <= 999_999_999 and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            _classify(row, i_mmsi, i_time, i_lat, i_lon, parse_time, tally, file, reader.line_num)
            continue
        sog = clean_sog(float_or_none(row[i_sog])) if i_sog >= 0 else None
        cog = clean_cog(float_or_none(row[i_cog])) if i_cog >= 0 else None
        hdg = clean_heading(float_or_none(row[i_hdg])) if i_hdg >= 0 else None
        st = clean_status(float_or_none(row[i_st])) if i_st >= 0 else None
        append((mmsi, ts, lat, lon, sog, cog, hdg, st))
        if has_static:
            key = (mmsi, row[i_name] if i_name >= 0 else "", row[i_imo] if i_imo >= 0 else "",
                   row[i_cs] if i_cs >= 0 else "")
            span = spans.get(key)
            if span is None:
                observe(mmsi, ts, key[1], key[2], key[3],
                        row[i_type] if i_type >= 0 else "",
                        _positive(row[i_len]) if i_len >= 0 else None,
                        _positive(row[i_beam]) if i_beam >= 0 else None,
                        file)
            elif ts > span[1]:  # inline IdentityAccumulator.observe for the common case
                span[1] = ts
            elif ts < span[0]:
                span[0] = ts
        if len(chunk) >= chunk_size:
            tally.add("position", len(chunk))
            yield chunk
            chunk = []
            append = chunk.append
    if chunk:
        tally.add("position", len(chunk))
        yield chunk


def _positive(text: str) -> float | None:
    value = float_or_none(text)
    return value if value is not None and value > 0 else None


def _classify(
    row: list[str], i_mmsi: int, i_time: int, i_lat: int, i_lon: int,
    parse_time: TimeParser, tally: Tally, file: str, line: int,
) -> None:
    """Why a row failed the fast path; the slow path runs only for bad rows."""
    mmsi_text = row[i_mmsi].strip()
    if not mmsi_text.isdigit() or not 0 < int(mmsi_text) <= 999_999_999:
        tally.skip(file, line, "bad_mmsi", f"MMSI {mmsi_text!r}")
        return
    try:
        parse_time(row[i_time])
    except ValueError as exc:
        tally.skip(file, line, "bad_time", str(exc))
        return
    lat, lon = float_or_none(row[i_lat]), float_or_none(row[i_lon])
    if lat == 91.0 or lon == 181.0:
        tally.skip(file, line, "position_not_available", f"lat {row[i_lat]!r} lon {row[i_lon]!r}")
        return
    tally.skip(file, line, "bad_position", f"lat {row[i_lat]!r} lon {row[i_lon]!r}")
