"""AIS CSV parsing: MarineCadastre sample counts, header detection, --map, dates, sentinels."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_app.domain.errors import UserError
from evidence_app.ingest.ais import read_ais_file
from evidence_app.ingest.ais_csv import parse_mapping, read_ais_csv
from evidence_app.ingest.parsed import IdentityAccumulator, Tally
from tests.published_layouts import MARINECADASTRE_HEADER_LINE

HEADER = MARINECADASTRE_HEADER_LINE


def parse(text: str, **kwargs) -> tuple[list[tuple], Tally, IdentityAccumulator]:
    tally, ids = Tally(), IdentityAccumulator()
    rows = [r for chunk in read_ais_csv(io.StringIO(text), "t.csv", tally, ids, **kwargs) for r in chunk]
    return rows, tally, ids


def test_marinecadastre_sample_imports_all_1000_rows(shared_data: Path) -> None:
    tally, ids = Tally(), IdentityAccumulator()
    path = shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv"
    rows = [r for c in read_ais_file(path, tally, ids) for r in c]
    assert len(rows) == 1000
    assert tally.read == 1000 and tally.accepted == {"position": 1000} and tally.skipped == {}
    first = rows[0]
    # 367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,...,Status 0.0
    assert first == (367752440, 1673395200, 43.07917, -70.75733, 0.0, None, 95, 0)
    # The sentinels are stored as missing, never as values.
    assert not any(r[4] is not None and r[4] > 102.2 for r in rows)
    assert not any(r[6] == 511 for r in rows)
    spans = {s.mmsi: s for s in ids.spans()}
    assert spans[636021061].name == "MSC NAISHA III" and spans[636021061].imo == 9307839
    assert spans[636021061].length_m == 208.0
    # IMO0000001 fails its check digit and is dropped, not stored.
    assert all(s.imo != 1 for s in spans.values())


def test_sentinels_and_out_of_range_rows() -> None:
    text = (
        HEADER
        + "\n".join(
            [
                "123456789,2023-01-11T00:00:00,91,181,102.3,360.0,511.0,,,,,,,,,,A",
                "123456789,2023-01-11T00:00:01,95.5,10,1,1,1,,,,,,,,,,A",
                "123456789,2023-01-11T00:00:02,10,10,102.3,360,511,,,,,,,,,,A",
                "abc,2023-01-11T00:00:03,10,10,1,1,1,,,,,,,,,,A",
                "123456789,yesterday,10,10,1,1,1,,,,,,,,,,A",
                "123456789,2023-01-11T00:00:05",
            ]
        )
        + "\n"
    )
    rows, tally, _ = parse(text)
    assert rows == [(123456789, 1673395202, 10.0, 10.0, None, None, None, None)]
    assert tally.skipped == {
        "position_not_available": 1,
        "bad_position": 1,
        "bad_mmsi": 1,
        "bad_time": 1,
        "short_row": 1,
    }
    assert tally.read == 6
    assert [p.location for p in tally.problems] == ["t.csv:2", "t.csv:3", "t.csv:5", "t.csv:6", "t.csv:7"]


def test_generic_headers_and_date_formats() -> None:
    text = (
        "Latitude,Longitude,timestamp,mmsi,speed\n"
        "1.5,2.5,2023-01-11 00:00:00Z,123456789,3\n"
        "1.5,2.5,1673395201,123456789,3\n"
        "1.5,2.5,1673395202000,123456789,3\n"
        "1.5,2.5,11/01/2023 00:00:03,123456789,3\n"
        "1.5,2.5,11.01.2023 00:00:04,123456789,3\n"
        "1.5,2.5,2023-01-11T02:00:05+02:00,123456789,3\n"
    )
    rows, tally, _ = parse(text)
    assert [r[1] - 1673395200 for r in rows] == [0, 1, 2, 3, 4, 5]
    assert tally.read == 6 and tally.skipped == {}


def test_month_first_when_asked() -> None:
    rows, _, _ = parse("mmsi,time,lat,lon\n123456789,01/11/2023 00:00,1,1\n", day_first=False)
    assert rows[0][1] == 1673395200


def test_map_names_unrecognised_columns() -> None:
    text = "ship,zeit,breite,laenge\n123456789,2023-01-11T00:00:00,54.1,10.2\n"
    with pytest.raises(UserError, match="cannot find column.*--map"):
        parse(text)
    rows, _, _ = parse(text, mapping=parse_mapping(["mmsi=ship", "time=zeit", "lat=breite", "lon=laenge"]))
    assert rows == [(123456789, 1673395200, 54.1, 10.2, None, None, None, None)]


def test_bad_map_arguments_are_user_errors() -> None:
    with pytest.raises(UserError, match="FIELD=COLUMN"):
        parse_mapping(["lat"])
    with pytest.raises(UserError, match="unknown field"):
        parse("mmsi,time,lat,lon\n", mapping={"colour": "mmsi"})
    with pytest.raises(UserError, match="no column 'nope'"):
        parse("mmsi,time,lat,lon\n", mapping={"lat": "nope"})


def test_identity_history_shows_renames() -> None:
    text = (
        HEADER
        + "\n".join(
            [
                "636021061,2023-01-11T00:00:00,1,1,,,,OLD NAME,IMO9307839,5LCB4,70,,,,,,A",
                "636021061,2023-01-11T05:00:00,1,1,,,,OLD NAME,IMO9307839,5LCB4,70,,,,,,A",
                "636021061,2023-01-12T00:00:00,1,1,,,,NEW NAME,IMO9307839,5LCB4,70,,,,,,A",
                "636021061,2023-01-13T00:00:00,1,1,,,,NEW NAME,IMO9307839,5LCB4,70,,,,,,A",
            ]
        )
        + "\n"
    )
    _, _, ids = parse(text)
    spans = ids.spans()
    assert [(s.name, s.first_seen - 1673395200, s.last_seen - 1673395200) for s in spans] == [
        ("OLD NAME", 0, 5 * 3600),
        ("NEW NAME", 86400, 2 * 86400),
    ]


@pytest.mark.parametrize("wrap", ["gz", "zip"])
def test_compressed_inputs(tmp_path: Path, wrap: str) -> None:
    body = HEADER + "123456789,2023-01-11T00:00:00,1,1,,,,,,,,,,,,,A\n"
    if wrap == "gz":
        path = tmp_path / "day.csv.gz"
        path.write_bytes(gzip.compress(body.encode()))
    else:
        path = tmp_path / "day.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a.csv", body)
            z.writestr("b.csv", body)
    tally = Tally()
    rows = [r for c in read_ais_file(path, tally, IdentityAccumulator()) for r in c]
    assert len(rows) == (1 if wrap == "gz" else 2)


def test_chunks_respect_chunk_size() -> None:
    text = "mmsi,time,lat,lon\n" + "".join(f"123456789,{1673395200 + i},1,1\n" for i in range(25))
    tally, ids = Tally(), IdentityAccumulator()
    sizes = [len(c) for c in read_ais_csv(io.StringIO(text), "t.csv", tally, ids, chunk_size=10)]
    assert sizes == [10, 10, 5] and tally.accepted == {"position": 25}


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "91",
            "181",
            "102.3",
            "511",
            "nan",
            "inf",
            "-0",
            "1e309",
            "2023-13-45T99:99:99",
            "IMO0000001",
            "\ufffd",
            '"',
            "1_000",
            "  5 ",
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True).map(str),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell, min_size=0, max_size=20), max_size=8))
def test_malformed_rows_yield_records_or_located_problems(rows: list[list[str]]) -> None:
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(HEADER.strip().split(","))
    writer.writerows(rows)
    tally, ids = Tally(), IdentityAccumulator()
    got = [r for c in read_ais_csv(io.StringIO(out.getvalue()), "t.csv", tally, ids) for r in c]
    ids.spans()
    assert tally.accepted.get("position", 0) == len(got)
    assert all(p.line is not None and p.line >= 2 for p in tally.problems)
    for mmsi, _ts, lat, lon, sog, cog, hdg, _status in got:
        assert 0 < mmsi <= 999_999_999 and -90 <= lat <= 90 and -180 <= lon <= 180
        assert sog is None or 0 <= sog <= 102.2
        assert hdg is None or 0 <= hdg < 360
        assert cog is None or 0 <= cog < 360
