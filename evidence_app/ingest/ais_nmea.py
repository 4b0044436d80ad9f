"""AIS positions and static data from raw NMEA (!AIVDM / !AIVDO), decoded with pyais.

Handles what real receiver logs contain: blank lines and ``#`` comments (ignored),
other NMEA sentences and junk (counted as ``not_ais``), multi-sentence messages
(assembled by sequence id and channel; orphans counted as ``incomplete_multipart``),
tag blocks whose ``c:`` field carries the receive time, and Gatehouse ``$PGHP`` lines
that set the receive time for the sentences after them.

A message's time is, in order: its tag block ``c:``, the last ``$PGHP`` time, the
``base_time`` given by the user. A file in which no message has a time and no
base time was given is refused with a UserError saying so.

The unit counted in the tally is the AIS *message* (a two-sentence message counts
once), plus each line that is not AIS.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import IO, Any

from evidence_app.domain.errors import UserError
from evidence_app.ingest.parsed import IdentityAccumulator, PositionRow, Tally
from evidence_app.ingest.values import (
    MAX_TS,
    MIN_TS,
    clean_cog,
    clean_heading,
    clean_sog,
    clean_status,
)

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})
# Lines longer than this are not NMEA (82 chars max by the standard, tag blocks add some).
MAX_LINE = 1024


def _tag_time(sentence: Any) -> int | None:
    """Epoch seconds from a tag block's c: field (seconds, or milliseconds), if plausible."""
    block = sentence.tag_block
    if block is None:
        return None
    try:
        block.init()
        text = block.receiver_timestamp
        if not text:
            return None
        value = int(text)
    except Exception:  # pyais raises assorted errors on malformed tag blocks; the time is just absent
        return None
    if value > MAX_TS:
        value //= 1000
    return value if MIN_TS <= value < MAX_TS else None


def read_ais_nmea(
    stream: IO[bytes],
    file: str,
    tally: Tally,
    identities: IdentityAccumulator,
    base_time: int | None = None,
    chunk_size: int = 50_000,
) -> Iterator[list[PositionRow]]:
    """Yield lists of position tuples from NMEA lines; count everything else in ``tally``."""
    from pyais.exceptions import UnknownMessageException
    from pyais.messages import AISSentence, GatehouseSentence, NMEASentenceFactory

    produce = NMEASentenceFactory.produce
    clock: int | None = None  # last $PGHP time
    timed = 0  # messages that had a time of their own (tag block or $PGHP)
    untimed = 0  # messages skipped for want of a time
    # (fragment count, sequence id, channel, talker) -> [(line, sentence, time), ...]
    pending: dict[tuple[Any, ...], list[tuple[int, Any, int | None]]] = {}
    chunk: list[PositionRow] = []

    def drop_pending(key: tuple[Any, ...]) -> None:
        for line_no, _s, _t in pending.pop(key):
            tally.skip(file, line_no, "incomplete_multipart", "other parts of the message are missing")

    for line_no, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line or line[:1] == b"#":
            continue
        if len(line) > MAX_LINE:
            tally.skip(file, line_no, "not_ais", f"line of {len(line)} characters")
            continue
        try:
            sentence = produce(line)
        except UnknownMessageException:
            tally.skip(file, line_no, "not_ais", line[:40].decode("ascii", "replace"))
            continue
        except Exception as exc:  # pyais signals malformed input with many exception types
            tally.skip(file, line_no, "bad_sentence", str(exc)[:120])
            continue
        if isinstance(sentence, GatehouseSentence):
            if not sentence.is_valid:
                tally.skip(file, line_no, "bad_checksum", "$PGHP line")
                continue
            stamp = sentence.timestamp.replace(tzinfo=UTC).timestamp()
            clock = int(stamp) if MIN_TS <= stamp < MAX_TS else clock
            continue
        if not isinstance(sentence, AISSentence):  # pragma: no cover - factory yields only these two
            tally.skip(file, line_no, "not_ais")
            continue
        if not sentence.is_valid:
            tally.skip(file, line_no, "bad_checksum", line[:60].decode("ascii", "replace"))
            continue
        own_time = _tag_time(sentence)
        if own_time is None:
            own_time = clock
        if sentence.frag_cnt > 1:
            key = (sentence.frag_cnt, sentence.seq_id, sentence.channel, sentence.talker_id)
            parts = pending.get(key)
            if sentence.frag_num == 1:
                if parts:
                    drop_pending(key)
                pending[key] = [(line_no, sentence, own_time)]
                continue
            if not parts or parts[-1][1].frag_num != sentence.frag_num - 1:
                if parts:
                    drop_pending(key)
                tally.skip(file, line_no, "incomplete_multipart", "earlier parts of the message are missing")
                continue
            parts.append((line_no, sentence, own_time))
            if sentence.frag_num < sentence.frag_cnt:
                continue
            del pending[key]
            first_line, _first, msg_time = parts[0]
            try:
                sentence = AISSentence.assemble_from_iterable([p[1] for p in parts])
            except Exception as exc:  # pyais: inconsistent fragments
                for p in parts:
                    tally.skip(file, p[0], "bad_sentence", str(exc)[:120])
                continue
            line_no = first_line
            own_time = msg_time if msg_time is not None else own_time
        if not sentence.payload:
            tally.skip(file, line_no, "empty_payload")
            continue
        msg_type = sentence.ais_id
        if msg_type not in POSITION_TYPES and msg_type not in STATIC_TYPES:
            tally.add("non_position")
            continue
        if own_time is not None:
            timed += 1
            ts = own_time
        elif base_time is not None:
            ts = base_time
        else:
            untimed += 1
            tally.skip(file, line_no, "no_timestamp")
            continue
        try:
            msg = sentence.decode()
            outcome = _take(msg, msg_type, ts, chunk, identities, file)
        except Exception as exc:  # a truncated or corrupt payload: pyais raises many types
            tally.skip(file, line_no, "undecodable", f"type {msg_type}: {str(exc)[:100]}")
            continue
        if outcome == "position" or outcome == "static":
            tally.add(outcome)
        else:
            tally.skip(file, line_no, outcome)
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    for key in list(pending):
        drop_pending(key)
    if untimed and not timed and base_time is None:
        raise UserError(
            f"the NMEA sentences carry no timestamps (no tag block c: field, no $PGHP lines): "
            f"{untimed} messages have no time; give --base-time 2023-01-11T00:00:00Z (the time "
            f"the recording started) to import them",
            location=file,
        )
    if chunk:
        yield chunk


def _take(
    msg: Any, msg_type: int, ts: int, chunk: list[PositionRow], identities: IdentityAccumulator, file: str
) -> str:
    """Append a position or record static data; return the outcome code."""
    mmsi = int(msg.mmsi)
    if not 0 < mmsi <= 999_999_999:
        return "bad_mmsi"
    if msg_type in POSITION_TYPES:
        if msg_type == 19:
            _observe_static(identities, mmsi, ts, msg.shipname, "", "", msg.ship_type, msg, file)
        lat, lon = float(msg.lat), float(msg.lon)
        if lat == 91.0 or lon == 181.0:
            return "position_not_available"
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return "bad_position"
        speed = msg.speed
        if msg_type == 27 and speed == 63:  # long-range reports: whole knots, 63 = not available
            speed = None
        course = msg.course
        if msg_type == 27 and course == 511:
            course = None
        status = getattr(msg, "status", None)
        chunk.append(
            (
                mmsi,
                ts,
                lat,
                lon,
                clean_sog(float(speed)) if speed is not None else None,
                clean_cog(float(course)) if course is not None else None,
                clean_heading(float(msg.heading)) if getattr(msg, "heading", None) is not None else None,
                clean_status(float(status)) if status is not None else None,
            )
        )
        return "position"
    if msg_type == 5:
        _observe_static(identities, mmsi, ts, msg.shipname, str(msg.imo or ""), msg.callsign, msg.ship_type, msg, file)
        return "static"
    # Type 24: part A carries the name, part B the call sign, type and dimensions.
    if getattr(msg, "partno", 0) == 0:
        _observe_static(identities, mmsi, ts, msg.shipname, "", "", None, None, file)
    else:
        _observe_static(
            identities, mmsi, ts, "", "", getattr(msg, "callsign", "") or "", getattr(msg, "ship_type", None), msg, file
        )
    return "static"


def _observe_static(
    identities: IdentityAccumulator,
    mmsi: int,
    ts: int,
    name: str | None,
    imo: str,
    call_sign: str | None,
    ship_type: Any,
    dims: Any,
    file: str,
) -> None:
    length = beam = None
    if dims is not None and hasattr(dims, "to_bow"):
        length = float((dims.to_bow or 0) + (dims.to_stern or 0)) or None
        beam = float((dims.to_port or 0) + (dims.to_starboard or 0)) or None
    identities.observe(
        mmsi,
        ts,
        name or "",
        "" if imo in ("", "0") else imo,
        call_sign or "",
        str(int(ship_type)) if ship_type else "",
        length,
        beam,
        file,
    )
