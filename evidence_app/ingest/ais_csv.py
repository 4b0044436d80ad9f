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
from operator import itemgetter
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


def match_columns(
    header: list[str], mapping: Mapping[str, str], fields: Mapping[str, tuple[str, ...]], file: str,
) -> dict[str, int]:
    """Column index per canonical field found: explicit mapping first, then header aliases.

    Fields the header does not name are simply absent; ``resolve_columns`` decides which
    of them a file must have. The GUI's mapping table shows this same answer.
    """
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
    return columns


def resolve_columns(
    header: list[str], mapping: Mapping[str, str], fields: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...], file: str,
) -> dict[str, int]:
    """Column index per canonical field: explicit mapping first, then header aliases."""
    columns = match_columns(header, mapping, fields, file)
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
    time_cache = parse_time.cache
    observe = identities.observe
    spans = identities.raw_spans
    # Missing optional columns read index -1: a "" appended to each row (cheaper than a branch).
    pad = any(i < 0 for i in (i_sog, i_cog, i_hdg, i_st, i_name, i_imo, i_cs, i_type, i_len, i_beam))
    get_position = itemgetter(i_mmsi, i_time, i_lat, i_lon, i_sog, i_cog, i_hdg, i_st)
    get_identity = itemgetter(i_name, i_imo, i_cs)
    chunk: list[PositionRow] = []
    append = chunk.append
    while True:
        try:
            # The hot loop: one C-level tuple fetch, four conversions, range checks; anything
            # unusual falls to _slow_row, which decides between a record and a skip.
            for row in reader:
                if len(row) < width:
                    if not row or row == [""]:
                        continue  # blank line: not a record
                    tally.skip(file, reader.line_num, "short_row", f"{len(row)} columns, expected {len(header)}")
                    continue
                if pad:
                    row.append("")
                m, t, la, lo, s, c, h, n = get_position(row)
                try:
                    mmsi = int(m)
                    ts = time_cache.get(t)
                    if ts is None:
                        ts = parse_time(t)
                    lat = float(la)
                    lon = float(lo)
                    sog = float(s) if s else None
                    cog = float(c) if c else None
                    hdg = float(h) if h else None
                    nav = float(n) if n else None
                except ValueError:
                    record = _slow_row(row, get_position, parse_time, tally, file, reader.line_num)
                    if record is None:
                        continue
                    mmsi, ts, lat, lon, sog, cog, hdg, nav = record
                else:
                    if not (0 < mmsi <= 999_999_999 and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                        _slow_row(row, get_position, parse_time, tally, file, reader.line_num)
                        continue
                    if sog is not None and not 0.0 <= sog <= 102.2:  # 102.3: not available
                        sog = None
                    if cog is not None and not 0.0 <= cog < 360.0:  # 360: not available
                        cog = None
                    hdg = int(hdg) if hdg is not None and 0.0 <= hdg < 360.0 else None  # 511: n/a
                    nav = int(nav) if nav is not None and 0.0 <= nav <= 15.0 else None
                append((mmsi, ts, lat, lon, sog, cog, hdg, nav))
                if has_static:
                    name, imo, call_sign = get_identity(row)
                    key = (mmsi, name, imo, call_sign)
                    span = spans.get(key)
                    if span is None:
                        observe(mmsi, ts, name, imo, call_sign, row[i_type],
                                _positive(row[i_len]), _positive(row[i_beam]), file)
                    elif ts > span[1]:  # IdentityAccumulator.observe inlined for the common case
                        span[1] = ts
                    elif ts < span[0]:
                        span[0] = ts
                if len(chunk) >= chunk_size:
                    tally.add("position", len(chunk))
                    yield chunk
                    chunk = []
                    append = chunk.append
            break
        except csv.Error as exc:
            # The reader resumes at the next line after a malformed one.
            tally.skip(file, reader.line_num, "bad_record", str(exc))
    if chunk:
        tally.add("position", len(chunk))
        yield chunk


def _slow_row(
    row: list[str], get_position: itemgetter, parse_time: TimeParser, tally: Tally, file: str, line: int,
) -> PositionRow | None:
    """Field-by-field reading of a row the fast path balked at: a record, or a counted skip."""
    m, t, la, lo, s, c, h, n = get_position(row)
    mmsi_text = m.strip()
    if not mmsi_text.isdigit() or not 0 < int(mmsi_text) <= 999_999_999:
        tally.skip(file, line, "bad_mmsi", f"MMSI {m!r}")
        return None
    try:
        ts = parse_time(t)
    except ValueError as exc:
        tally.skip(file, line, "bad_time", str(exc))
        return None
    lat, lon = float_or_none(la), float_or_none(lo)
    if lat == 91.0 or lon == 181.0:
        tally.skip(file, line, "position_not_available", f"lat {la!r} lon {lo!r}")
        return None
    if lat is None or lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        tally.skip(file, line, "bad_position", f"lat {la!r} lon {lo!r}")
        return None
    # Optional fields that are not numbers are stored as missing, like sentinels.
    return (int(mmsi_text), ts, lat, lon, clean_sog(float_or_none(s)), clean_cog(float_or_none(c)),
            clean_heading(float_or_none(h)), clean_status(float_or_none(n)))


def _positive(text: str) -> float | None:
    value = float_or_none(text)
    return value if value is not None and value > 0 else None
