"""AIS positions from CSV: the MarineCadastre layout, or any CSV whose headers we recognise.

Columns are found by header name (see ``ALIASES``); ``mapping`` (from ``--map
FIELD=COLUMN``) names the rest. Positions come out in chunks of tuples (see
``parsed.POSITION_FIELDS``); identity columns (name, IMO, call sign, dimensions) feed an
``IdentityAccumulator``; every row that is not taken is counted in the ``Tally`` with its
line number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import IO, Any

from evidence_app.domain.errors import UserError
from evidence_app.ingest.csv_blocks import (
    EMPTY,
    halves,
    is_plain,
    line_blocks,
    read_columns,
    read_header,
    row_lines,
)
from evidence_app.ingest.parsed import IdentityAccumulator, PositionBatch, PositionRow, Tally
from evidence_app.ingest.values import (
    MAX_TS,
    MIN_TS,
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
    "time": (
        "time",
        "timestamp",
        "basedatetime",
        "datetime",
        "datetimeutc",
        "timeutc",
        "timestamputc",
        "ts",
        "date",
        "utc",
        "positiontime",
        "receivedtime",
    ),
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
    # Satellite-AIS providers' decoded layout (Spire / exactEarth): one row per message, of
    # the type in Message_ID; dimensions as the four distances from the antenna.
    "message_type": ("messageid", "msgid", "messagetype", "msgtype", "aismessagetype"),
    "to_bow": ("dimensiontobow", "tobow"),
    "to_stern": ("dimensiontostern", "tostern"),
    "to_port": ("dimensiontoport", "toport"),
    "to_starboard": ("dimensiontostarboard", "tostarboard"),
}
# AIS message types that carry a vessel position, and those that carry only static data
# (the NMEA reader's split; 19 carries both). Rows of any other type are not positions.
POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})
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
    header: list[str],
    mapping: Mapping[str, str],
    fields: Mapping[str, tuple[str, ...]],
    file: str,
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
    header: list[str],
    mapping: Mapping[str, str],
    fields: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    file: str,
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
    stream: IO[str] | IO[bytes],
    file: str,
    tally: Tally,
    identities: IdentityAccumulator,
    mapping: Mapping[str, str] | None = None,
    day_first: bool = True,
    chunk_size: int = 50_000,
) -> Iterator[PositionBatch]:
    """Yield batches of positions, in file order, from a CSV with a header row.

    ``stream`` is binary (the fast way) or text. Raises UserError only for a file-level
    problem (no header, required columns not found); row problems are counted in
    ``tally`` and the row is skipped.
    """
    header, rest = read_header(stream, file)
    reader = _AisCsvReader(
        resolve_columns(header, mapping or {}, ALIASES, REQUIRED, file), len(header), file, tally, identities, day_first
    )
    pending: list[PositionBatch] = []
    count = 0
    for line, block in line_blocks(stream, rest):
        batch = reader.block(line, block)
        if len(batch):
            pending.append(batch)
            count += len(batch)
        while count >= chunk_size:
            whole = PositionBatch.concat(pending)
            chunk, rest_of = whole.take(slice(0, chunk_size)), whole.take(slice(chunk_size, None))
            tally.add("position", len(chunk))
            yield chunk
            pending, count = ([rest_of] if len(rest_of) else []), len(rest_of)
    if count:
        tally.add("position", count)
        yield PositionBatch.concat(pending)


# The numpy type each field is read as: whole numbers, floats (empty reads as infinity),
# or bytes of a fixed width (a value filling the width may be cut short: that row is odd).
_DTYPES = {
    "mmsi": "i8",
    "time": "S32",
    "lat": "f8",
    "lon": "f8",
    "sog": "f8",
    "cog": "f8",
    "heading": "f8",
    "nav_status": "f8",
    "name": "S40",
    "imo": "S16",
    "call_sign": "S16",
    "vessel_type": "S32",
    "length": "f8",
    "beam": "f8",
    "message_type": "f8",
    "to_bow": "f8",
    "to_stern": "f8",
    "to_port": "f8",
    "to_starboard": "f8",
}
_TEXT = ("name", "imo", "call_sign", "vessel_type")


class _AisCsvReader:
    """Turns blocks of lines into position tuples: plain rows column-wise, odd rows one by one.

    The row-by-row reading (``_row``) is the definition of what a row means; the
    column-wise one takes only rows whose every wanted field has a form it converts to the
    very same values, and hands it every other row.
    """

    def __init__(
        self,
        cols: dict[str, int],
        n_columns: int,
        file: str,
        tally: Tally,
        identities: IdentityAccumulator,
        day_first: bool,
    ) -> None:
        self.cols, self.file, self.tally, self.identities = cols, file, tally, identities
        self.n_columns = n_columns
        self.width = max(cols.values()) + 1
        self.parse_time = TimeParser(day_first=day_first)
        self.has_static = any(f in cols for f in ("name", "imo", "call_sign"))
        self.typed = "message_type" in cols
        # numpy reads each wanted column once; two fields naming one column (an odd --map)
        # must agree on its type, or every row is read one by one.
        self.usecols = sorted(set(cols.values()))
        self.slot = {field: f"f{self.usecols.index(i)}" for field, i in cols.items()}
        types = [{_DTYPES[f] for f, i in cols.items() if i == c} for c in self.usecols]
        self.dtypes = [t.pop() for t in types] if all(len(t) == 1 for t in types) else None
        # Identity raw key bytes -> the span list held by the accumulator.
        self._known_keys: dict[bytes, list[Any]] = {}

    # -- blocks -------------------------------------------------------------------------

    def block(self, line: int, block: bytes) -> PositionBatch:
        if self.dtypes is not None and is_plain(block):
            table = read_columns(block, self.usecols, self.dtypes)
            if table is not None:
                return self._columns(line, block, table)
        parts = halves(block)
        if parts is None:
            return PositionBatch.from_rows([record for _line, record in self._rows(line, row_lines(block))])
        first, second = parts
        return PositionBatch.concat([self.block(line, first), self.block(line + first.count(b"\n"), second)])

    def _columns(self, line: int, block: bytes, table: Any) -> PositionBatch:
        import numpy as np

        n = len(table)
        cols = self.cols
        get = {field: table[slot] for field, slot in self.slot.items()}
        odd = np.zeros(n, bool)
        for field in cols:
            if _DTYPES[field][0] == "S":
                column = get[field] = np.ascontiguousarray(get[field])
                odd |= column.view(np.uint8).reshape(n, -1)[:, -1] != 0  # filled its width: maybe cut
                if field in _TEXT:
                    column[column == EMPTY] = b""
        mmsi = get["mmsi"]
        odd |= (mmsi <= 0) | (mmsi > 999_999_999)
        ts, ok = _times(get["time"])
        odd |= ~ok
        lat, lon = get["lat"], get["lon"]
        # NaN and infinity (an empty field) fail these comparisons: the row reader decides.
        odd |= ~((lat >= -90.0) & (lat <= 90.0) & (lon >= -180.0) & (lon <= 180.0))
        if self.typed:  # only plain position messages (or rows of no stated type) are read column-wise
            kind = get["message_type"]
            odd |= ~(np.isin(kind, (1, 2, 3, 18, 27)) | np.isinf(kind))
        good = ~odd
        missing = np.full(int(good.sum()), np.nan)
        sog, cog, hdg, nav = (get[f][good] if f in cols else missing for f in ("sog", "cog", "heading", "nav_status"))
        with np.errstate(invalid="ignore"):
            sog = np.where((sog >= 0.0) & (sog <= 102.2), sog, np.nan)  # 102.3: not available
            cog = np.where((cog >= 0.0) & (cog < 360.0), cog, np.nan)  # 360: not available
            hdg = np.where((hdg >= 0.0) & (hdg < 360.0), np.trunc(hdg), np.nan)  # 511: not available
            nav = np.where((nav >= 0.0) & (nav <= 15.0) & (nav == np.trunc(nav)), nav, np.nan)
        mmsi_g, ts_g = mmsi[good], ts[good]
        batch = PositionBatch([mmsi_g, ts_g, lat[good], lon[good], sog, cog, hdg, nav])
        if self.has_static and len(batch):
            texts = {f: get[f][good] if f in cols else np.zeros(len(batch), "S1") for f in _TEXT}
            length, beam = (get[f][good] if f in cols else missing for f in ("length", "beam"))
            if "length" not in cols and "to_bow" in cols and "to_stern" in cols:
                length = _span(get["to_bow"][good], get["to_stern"][good])
            if "beam" not in cols and "to_port" in cols and "to_starboard" in cols:
                beam = _span(get["to_port"][good], get["to_starboard"][good])
            self._observe_identities(mmsi_g, ts_g, texts, length, beam)
        if not odd.any():
            return batch
        # Odd rows, read one by one, then put back in file order.
        odd_index = np.flatnonzero(odd)
        ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
        starts = np.concatenate(([0], ends[:-1] + 1))
        taken = []
        for index, start, end in zip(
            odd_index.tolist(), starts[odd_index].tolist(), ends[odd_index].tolist(), strict=True
        ):
            taken.extend(self._rows(line + index, [block[start : end + 1].decode("utf-8", "replace")]))
        if not taken:
            return batch
        all_lines = np.concatenate((line + np.flatnonzero(good), np.array([ln for ln, _r in taken], np.int64)))
        combined = PositionBatch.concat([batch, PositionBatch.from_rows([record for _ln, record in taken])])
        return combined.take(np.argsort(all_lines, kind="stable"))

    def _observe_identities(self, mmsi: Any, ts: Any, texts: dict[str, Any], length: Any, beam: Any) -> None:
        """Fold each distinct (MMSI, name, IMO, call sign) of a block into the accumulator at once."""
        import numpy as np

        n = len(mmsi)
        parts = [mmsi.astype(np.int64).view(np.uint8).reshape(n, 8)]
        parts += [texts[f].view(np.uint8).reshape(n, -1) for f in ("name", "imo", "call_sign")]
        width = sum(part.shape[1] for part in parts)
        parts.append(np.zeros((n, -width % 8), np.uint8))
        keys = np.concatenate(parts, axis=1)  # one row of bytes per position, zero-padded fields
        unique, first, inverse = np.unique(_row_hashes(keys), return_index=True, return_inverse=True)
        if not (keys == keys[first[inverse]]).all():  # two identities share a hash: group exactly
            exact = np.ascontiguousarray(keys).view(f"S{keys.shape[1]}").ravel()
            unique, first, inverse = np.unique(exact, return_index=True, return_inverse=True)
        lows = np.full(len(unique), np.iinfo(np.int64).max)
        highs = np.full(len(unique), np.iinfo(np.int64).min)
        np.minimum.at(lows, inverse, ts)
        np.maximum.at(highs, inverse, ts)
        # As the row way does: each of type, length and beam comes from the first row of
        # the identity that has one, here or in an earlier block.
        rows = np.arange(n)
        length, beam = np.broadcast_to(length, n), np.broadcast_to(beam, n)
        fill = []
        for slot, known_value in (
            (2, texts["vessel_type"] != b""),
            (3, (length > 0) & (length < np.inf)),
            (4, (beam > 0) & (beam < np.inf)),
        ):
            first_known = np.full(len(unique), n)
            np.minimum.at(first_known, inverse[known_value], rows[known_value])
            fill.append((slot, first_known.tolist()))
        values = {
            2: lambda j: texts["vessel_type"][j].decode("utf-8", "replace"),
            3: lambda j: float(length[j]),
            4: lambda j: float(beam[j]),
        }
        known = self._known_keys
        first_l, lows_l, highs_l = first.tolist(), lows.tolist(), highs.tolist()
        # In order of first appearance, as the row way meets them (not in hash order).
        for group in np.argsort(first, kind="stable").tolist():
            i, low, high = first_l[group], lows_l[group], highs_l[group]
            key = keys[i].tobytes()
            span = known.get(key)
            if span is None:
                name, imo, call_sign = (texts[f][i].decode("utf-8", "replace") for f in _TEXT[:3])
                identity = (int(mmsi[i]), name, imo, call_sign)
                self.identities.observe(identity[0], low, name, imo, call_sign, source=self.file)
                span = known[key] = self.identities.raw_spans[identity]
            if low < span[0]:
                span[0] = low
            if high > span[1]:
                span[1] = high
            for slot, first_known in fill:
                if not span[slot] and first_known[group] < n:
                    span[slot] = values[slot](first_known[group])

    # -- rows -----------------------------------------------------------------------------

    def _rows(self, line: int, lines: list[str]) -> list[tuple[int, PositionRow]]:
        """Records with their line numbers from CSV lines read one by one; the rest counted."""
        reader = csv.reader(lines)
        out = []
        while True:
            try:
                for row in reader:
                    record = self._row(row, line - 1 + reader.line_num)
                    if record is not None:
                        out.append((line - 1 + reader.line_num, record))
                return out
            except csv.Error as exc:
                # The reader resumes at the next line after a malformed one.
                self.tally.skip(self.file, line - 1 + reader.line_num, "bad_record", str(exc))

    def _observe(self, row: list[str], mmsi_text: str, ts: int) -> None:
        """Record a row's static data (name, IMO, call sign, type, dimensions) as an identity."""
        cols = self.cols

        def field(name: str) -> str:
            return row[cols[name]] if name in cols else ""

        length, beam = _positive(field("length")), _positive(field("beam"))
        if length is None and "to_bow" in cols:
            length = _positive_sum(field("to_bow"), field("to_stern"))
        if beam is None and "to_port" in cols:
            beam = _positive_sum(field("to_port"), field("to_starboard"))
        self.identities.observe(
            int(mmsi_text),
            ts,
            field("name"),
            field("imo"),
            field("call_sign"),
            field("vessel_type"),
            length,
            beam,
            self.file,
        )

    def _row(self, row: list[str], line: int) -> PositionRow | None:
        """Field-by-field reading of one row: a record (identity observed), or a counted skip."""
        file, tally = self.file, self.tally
        if len(row) < self.width:
            if row and row != [""]:  # a blank line is not a record
                tally.skip(file, line, "short_row", f"{len(row)} columns, expected {self.n_columns}")
            return None
        cols = self.cols

        def field(name: str) -> str:
            return row[cols[name]] if name in cols else ""

        m, t, la, lo = field("mmsi"), field("time"), field("lat"), field("lon")
        mmsi_text = m.strip().removeprefix("+")
        if not (mmsi_text.isascii() and mmsi_text.isdigit()) or not 0 < int(mmsi_text) <= 999_999_999:
            tally.skip(file, line, "bad_mmsi", f"MMSI {m!r}")
            return None
        try:
            ts = self.parse_time(t)
        except ValueError as exc:
            tally.skip(file, line, "bad_time", str(exc))
            return None
        msg_type = None
        if self.typed:
            kind = float_or_none(field("message_type"))
            msg_type = int(kind) if kind is not None and kind == int(kind) else None
            if msg_type in STATIC_TYPES:
                self._observe(row, mmsi_text, ts)
                tally.add("static")
                return None
            if msg_type not in POSITION_TYPES and field("message_type").strip():
                tally.skip(file, line, "non_position", f"message type {field('message_type').strip()!r}")
                return None
        lat, lon = float_or_none(la), float_or_none(lo)
        if lat == 91.0 or lon == 181.0:
            tally.skip(file, line, "position_not_available", f"lat {la!r} lon {lo!r}")
            return None
        if lat is None or lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            tally.skip(file, line, "bad_position", f"lat {la!r} lon {lo!r}")
            return None
        mmsi = int(mmsi_text)
        if self.has_static:
            self._observe(row, mmsi_text, ts)
        # Optional fields that are not numbers are stored as missing, like sentinels.
        return (
            mmsi,
            ts,
            lat,
            lon,
            clean_sog(float_or_none(field("sog"))),
            clean_cog(float_or_none(field("cog"))),
            clean_heading(float_or_none(field("heading"))),
            clean_status(float_or_none(field("nav_status"))),
        )


# -- column conversions: each returns values and a mask of the values it vouches for -------

_ISO_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)


def _times(column: Any) -> tuple[Any, Any]:
    """(UTC epoch seconds, ok) for ``YYYY-MM-DDTHH:MM:SS`` (or a space, or a trailing Z) and for
    epoch seconds or milliseconds as plain digits, within 1980-2100."""
    import numpy as np

    n = len(column)
    raw = column.view(np.uint8).reshape(n, -1)
    digit = (raw >= 48) & (raw <= 57)
    iso = digit[:, _ISO_DIGITS].all(axis=1)
    iso &= (raw[:, 4] == 45) & (raw[:, 7] == 45) & ((raw[:, 10] == 84) | (raw[:, 10] == 32))
    iso &= (raw[:, 13] == 58) & (raw[:, 16] == 58)
    iso &= (raw[:, 19] == 0) | ((raw[:, 19] == 90) & (raw[:, 20] == 0))  # nothing, or 'Z', after
    values = np.zeros(n, np.int64)
    text = column[iso].astype("S19")
    try:
        values[iso] = text.astype("datetime64[s]").astype(np.int64)
    except ValueError:  # 2023-02-30, 24:00:00...: find them one by one
        good = np.ones(len(text), bool)
        for i, value in enumerate(text.tolist()):
            try:
                np.datetime64(value.decode(), "s")
            except ValueError:
                good[i] = False
        iso[iso] = good
        values[iso] = column[iso].astype("S19").astype("datetime64[s]").astype(np.int64)
    epoch = digit[:, 0] & ((raw == 0) | digit).all(axis=1) & (raw[:, 13] == 0)
    seconds = column[epoch].astype(np.int64)
    values[epoch] = np.where(seconds > 100_000_000_000, seconds // 1000, seconds)  # milliseconds
    ok = (iso | epoch) & (values >= MIN_TS) & (values < MAX_TS)
    return values, ok


def _row_hashes(keys: Any) -> Any:
    """A 64-bit hash of each row of a bytes matrix (width a multiple of 8), for grouping:
    numbers sort far faster than long byte strings. Callers check for collisions."""
    import numpy as np

    words = keys.view(np.uint64)
    hashes = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        hashes *= np.uint64(0x100000001B3)  # wraps around: fine for a hash
        hashes ^= words[:, j]
    return hashes


def _span(a: Any, b: Any) -> Any:
    """Length (bow + stern) or beam (port + starboard) from two distance columns; NaN when unknown."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        total = np.where(np.isfinite(a), a, 0.0) + np.where(np.isfinite(b), b, 0.0)
    return np.where(total > 0, total, np.nan)


def _positive_sum(*texts: str) -> float | None:
    total = sum(v for v in (float_or_none(t) for t in texts) if v is not None and v > 0)
    return float(total) if total > 0 else None


def _positive(text: str) -> float | None:
    value = float_or_none(text)
    return value if value is not None and value > 0 else None
