"""NMEA import tells the truth: generated messages (positions with tag-block times, type 5
static data) are stored exactly as they decode, identities included; for generated broken
lines the report accounts for every line read."""

from __future__ import annotations

from collections import Counter
from functools import reduce

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.encode import encode_dict

from evidence_app.services import imports
from tests.unit.ingest.readback import stored_identities, stored_positions

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
START = 1_546_300_800  # 2019-01-01


def checksum(text: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), text, 0):02X}"


def tagged(sentence: str, ts: int) -> str:
    """A sentence behind a tag block whose c: field is the receive time, as AIS networks write it."""
    block = f"c:{ts}"
    return f"\\{block}*{checksum(block)}\\{sentence}"


def imo_numbers() -> st.SearchStrategy[int]:
    def with_check_digit(six: int) -> int:
        digits = f"{six:06d}"
        return int(digits + str(sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10))

    return st.integers(100000, 999999).map(with_check_digit)


positions = st.fixed_dictionaries(
    {
        "type": st.sampled_from([1, 2, 3]),
        "mmsi": st.integers(200_000_000, 799_999_999),
        "ts": st.integers(START, START + 86_400 * 365),
        "lat": st.integers(-90 * 600_000, 90 * 600_000).map(lambda v: v / 600_000),
        "lon": st.integers(-180 * 600_000, 180 * 600_000).map(lambda v: v / 600_000),
        "speed": st.integers(0, 1022).map(lambda v: v / 10),
        "course": st.integers(0, 3599).map(lambda v: v / 10),
        "heading": st.integers(0, 359),
        "status": st.integers(0, 15),
    }
)
statics = st.fixed_dictionaries(
    {
        "type": st.just(5),
        "mmsi": st.integers(200_000_000, 799_999_999),
        "ts": st.integers(START, START + 86_400 * 365),
        "imo": imo_numbers(),
        "callsign": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=7),
        "shipname": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20),
        "ship_type": st.integers(70, 89),
    }
)


def sentences(message: dict) -> list[str]:
    fields = {k: v for k, v in message.items() if k != "ts"}
    return [
        tagged(s, message["ts"]) if i == 0 else s
        for i, s in enumerate(encode_dict(fields, talker_id="AI", sentence_type="VDM"))
    ]


@SETTINGS
@given(messages=st.lists(positions | statics, min_size=1, max_size=20))
def test_generated_messages_are_stored_as_they_decode(fresh_ctx, messages: list[dict]) -> None:
    with fresh_ctx() as (ctx, folder):
        path = folder / "feed.nmea"
        path.write_text("\n".join(line for m in messages for line in sentences(m)) + "\n")
        report = imports.import_ais(ctx, [path])
        n_pos = sum(1 for m in messages if m["type"] != 5)
        n_static = len(messages) - n_pos
        assert report.read == len(messages)
        assert report.imported == {k: v for k, v in (("position", n_pos), ("static", n_static)) if v}
        with ctx.store.read() as s:
            stored = sorted(stored_positions(s))
            identities = stored_identities(s)
        expected = sorted(
            (m["mmsi"], m["ts"], m["lat"], m["lon"], m["speed"], m["course"], m["heading"], m["status"])
            for m in messages
            if m["type"] != 5
        )
        assert len(stored) == len(expected)
        for got, want in zip(stored, expected, strict=True):
            assert got[:2] == want[:2] and got[6:] == want[6:]
            assert all(abs(a - b) < 1e-6 for a, b in zip(got[2:6], want[2:6], strict=True)), (got, want)
        assert identities == {(m["mmsi"], m["shipname"], m["imo"], m["callsign"]) for m in messages if m["type"] == 5}


BROKEN = {
    "bad_checksum": lambda line: line[:-2] + ("00" if line[-2:] != "00" else "11"),
    "not_ais": lambda _line: "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
    "empty_payload": lambda line: line.split("!")[0] + (lambda s: f"!{s}*{checksum(s)}")("AIVDM,1,1,,A,,0"),
}


@SETTINGS
@given(messages=st.lists(st.tuples(positions, st.none() | st.sampled_from(sorted(BROKEN))), min_size=1, max_size=20))
def test_every_broken_line_is_accounted_for(fresh_ctx, messages: list[tuple[dict, str | None]]) -> None:
    with fresh_ctx() as (ctx, folder):
        lines = []
        for message, broken in messages:
            (line,) = sentences(message)
            lines.append(BROKEN[broken](line) if broken else line)
        path = folder / "feed.nmea"
        path.write_text("\n".join(lines) + "\n")
        report = imports.import_ais(ctx, [path])
        assert report.read == len(messages) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.imported.get("position", 0) == sum(1 for _m, broken in messages if not broken)
        assert report.skipped == dict(Counter(broken for _m, broken in messages if broken))
