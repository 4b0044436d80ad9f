"""NMEA parsing with pyais: sample counts, messy files, times, multi-part messages, fuzzing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais import read_ais_file
from evidence_app.ingest.ais_nmea import read_ais_nmea
from evidence_app.ingest.parsed import IdentityAccumulator, Tally

BASE = 1673395200  # 2023-01-11T00:00:00Z


def parse(data: bytes, base_time: int | None = BASE) -> tuple[list[tuple], Tally, IdentityAccumulator]:
    tally, ids = Tally(), IdentityAccumulator()
    rows = [r for c in read_ais_nmea(io.BytesIO(data), "t.nmea", tally, ids, base_time) for r in c]
    return rows, tally, ids


def test_aegean_sample_counts(shared_data: Path) -> None:
    # The file holds 898 sentences (the README's 897 is `wc -l`: the last line has no
    # newline). 100 have an empty payload; 20 are first halves of two-part messages whose
    # second halves are not in the file; 14 are types 4, 15 and 20 (no vessel position);
    # 4 position reports say "position not available" (lat 91 / lon 181).
    path = shared_data / "ais" / "nmea_aegean_sample.txt"
    tally, ids = Tally(), IdentityAccumulator()
    rows = [r for c in read_ais_file(path, tally, ids, base_time=BASE) for r in c]
    assert tally.read == 898
    assert tally.accepted == {"position": 758, "static": 2}
    assert tally.skipped == {
        "empty_payload": 100,
        "incomplete_multipart": 20,
        "non_position": 14,
        "position_not_available": 4,
    }
    assert len(rows) == 758 and all(r[1] == BASE for r in rows)
    empty = [p for p in tally.problems if p.reason == "empty_payload"]
    assert empty[0].location == "nmea_aegean_sample.txt:4"


def test_nmea_without_times_is_refused_without_base_time(shared_data: Path) -> None:
    path = shared_data / "ais" / "nmea_aegean_sample.txt"
    with pytest.raises(UserError, match="no timestamps.*--base-time"):
        list(read_ais_file(path, Tally(), IdentityAccumulator()))


def test_messy_messages_file(shared_data: Path) -> None:
    path = shared_data / "ais" / "nmea_messy" / "messages.ais"
    with pytest.raises(UserError, match="--base-time"):
        list(read_ais_file(path, Tally(), IdentityAccumulator()))
    tally = Tally()
    rows = [r for c in read_ais_file(path, tally, IdentityAccumulator(), base_time=BASE) for r in c]
    assert len(rows) == 6 and tally.read == 6 and tally.skipped == {}


def test_messy_mixed_file_uses_tag_blocks_and_pghp(shared_data: Path) -> None:
    path = shared_data / "ais" / "nmea_messy" / "mixed.txt"
    tally, ids = Tally(), IdentityAccumulator()
    rows = [r for c in read_ais_file(path, tally, ids) for r in c]
    # Six junk lines ($GPGGA, $GPRTE, $GPR00, foobar, $IIMWV, IamNot...), two bad checksums
    # (a tag-blocked sentence without '*', the trailing $PGHP); nine messages precede the
    # first time source; the tag-block c:1428621738 dates the two-part type 5.
    assert tally.skipped == {"not_ais": 6, "bad_checksum": 2, "no_timestamp": 9}
    assert tally.accepted == {"position": 2, "static": 1}
    assert tally.read == 20
    assert sorted(r[1] for r in rows) == [1210291200, 1210291200]  # the $PGHP 2008-05-09 time
    (span,) = ids.spans()
    assert span.first_seen == 1428621738 and span.name


def test_messy_timestamped_file(shared_data: Path) -> None:
    path = shared_data / "ais" / "nmea_messy" / "timestamped.ais"
    tally = Tally()
    rows = [r for c in read_ais_file(path, tally, IdentityAccumulator()) for r in c]
    assert len(rows) == 4 and {r[1] for r in rows} == {1210291200}
    assert tally.skipped == {"bad_checksum": 1}


TYPE5 = (
    b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C\n"
    b"!AIVDM,2,2,1,A,88888888880,2*25\n"
)


def test_two_part_message_assembled_and_orphans_counted() -> None:
    _, tally, ids = parse(TYPE5)
    assert tally.accepted == {"static": 1} and tally.read == 1
    (span,) = ids.spans()
    assert span.mmsi == 351759000 and span.name == "EVER DIADEM" and span.imo == 9134270
    assert span.call_sign == "3FOF8" and span.length_m == 295.0
    _, tally, _ = parse(TYPE5.splitlines()[1] + b"\n" + TYPE5.splitlines()[0] + b"\n")
    assert tally.skipped == {"incomplete_multipart": 2}


def test_tag_block_time_in_milliseconds_and_vdo() -> None:
    body = b"AIVDO,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"
    checksum = 0
    for byte in body:
        checksum ^= byte
    line = b"\\c:1673395200000*00\\!" + body + b"*%02X\n" % checksum
    rows, tally, _ = parse(line, None)
    assert tally.accepted == {"position": 1}, tally.skipped
    assert rows[0][1] == BASE


messy_line = st.one_of(
    st.binary(max_size=120),
    st.text(alphabet="!AIVDMO$PGHP,*\\c:0123456789ABCDEF@`;<>?", max_size=100).map(str.encode),
    st.sampled_from(
        [
            b"!AIVDM,1,1,,B,,0*25",
            b"!AIVDM,2,2,1,A,88888888880,2*25",
            TYPE5.splitlines()[0],
            b"$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17",
            b"\\c:99999999999999*00\\!AIVDM,1,1,,A,1,0*00",
            b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
            b"!AIVDM,1,1,,A,1,0*59",
        ]
    ),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messy_line, max_size=12), st.booleans())
def test_malformed_sentences_yield_records_or_located_problems(lines: list[bytes], with_base: bool) -> None:
    data = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines)
    tally, ids = Tally(), IdentityAccumulator()
    try:
        rows = [r for c in read_ais_nmea(io.BytesIO(data), "t", tally, ids, BASE if with_base else None) for r in c]
    except UserError as exc:
        assert "--base-time" in str(exc) and not with_base
        return
    ids.spans()
    assert tally.accepted.get("position", 0) == len(rows)
    assert all(p.line is not None and 1 <= p.line <= len(lines) for p in tally.problems)
