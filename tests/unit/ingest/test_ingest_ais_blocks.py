"""The column-wise (numpy) reading of AIS CSV blocks agrees exactly with the row-by-row reading."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from evidence_app.ingest import ais_csv, csv_blocks
from evidence_app.ingest.ais_csv import read_ais_csv
from evidence_app.ingest.parsed import IdentityAccumulator, PositionBatch, Tally
from tests.published_layouts import MARINECADASTRE_COLUMNS

HEADER = MARINECADASTRE_COLUMNS


def read(data: bytes | str, **kwargs) -> tuple[list[tuple], Tally, IdentityAccumulator]:
    tally, ids = Tally(), IdentityAccumulator()
    stream = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
    rows = [r for batch in read_ais_csv(stream, "t.csv", tally, ids, **kwargs) for r in batch]
    return rows, tally, ids


def read_row_by_row(
    data: bytes | str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple], Tally, IdentityAccumulator]:
    """The reference: numpy never sees a block, every row goes through the row reader."""
    with monkeypatch.context() as patched:
        patched.setattr(ais_csv, "is_plain", lambda block: False)
        patched.setattr(ais_csv, "halves", lambda block: None)
        return read(data)


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Row lists equal value for value (NaN never appears: missing is None)."""
    return len(a) == len(b) and all(
        x == y and all(type(u) is type(v) for u, v in zip(x, y, strict=True)) for x, y in zip(a, b, strict=True)
    )


def csv_text(rows: list[list[str]], line_end: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows([HEADER, *rows])
    return out.getvalue()


def test_plain_rows_take_the_column_way_and_match(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        [
            "367752440",
            "2023-01-11T00:00:00",
            "43.07917",
            "-70.75733",
            "0.0",
            "360.0",
            "95.0",
            "SAN JOSE",
            "",
            "WDI9818",
            "31",
            "0.0",
            "",
            "",
            "",
            "52.0",
            "A",
        ],
        [
            "636021061",
            "2023-01-11 00:00:01",
            "26.09241",
            "-80.04806",
            "102.3",
            "272.7",
            "511",
            "MSC NAISHA III",
            "IMO9307839",
            "5LCB4",
            "70",
            "8.0",
            "208.0",
            "30.0",
            "8.0",
            "70.0",
            "A",
        ],
        [
            "440058000",
            "1673395202",
            "32.4042",
            "-79.54261",
            "1.5",
            "0.9",
            "336.0",
            "",
            "",
            "",
            "",
            "",
            "199",
            "32",
            "",
            "",
            "",
        ],
    ]
    text = csv_text(rows)
    calls = []
    real = csv_blocks.read_columns
    monkeypatch.setattr(ais_csv, "read_columns", lambda *a: calls.append(1) or real(*a))
    got, tally, ids = read(text.encode())
    assert calls, "the block was not read column-wise"
    assert got == [
        (367752440, 1673395200, 43.07917, -70.75733, 0.0, None, 95, 0),
        (636021061, 1673395201, 26.09241, -80.04806, None, 272.7, None, 8),
        (440058000, 1673395202, 32.4042, -79.54261, 1.5, 0.9, 336, None),
    ]
    monkeypatch.undo()
    ref, ref_tally, ref_ids = read_row_by_row(text, monkeypatch)
    assert same(got, ref) and tally.outcomes == ref_tally.outcomes
    assert ids.spans() == ref_ids.spans()


def test_odd_rows_among_plain_ones_keep_file_order_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    good = ["123456789", "2023-01-11T00:00:00", "1.5", "2.5", "3", "4", "5", "A", "", "", "", "", "", "", "", "", "A"]
    rows = [list(good) for _ in range(200)]
    rows[10][2] = "91"  # position not available
    rows[50][1] = "11/01/2023 00:00:07"  # a time numpy does not read: the row reader does
    rows[51][2] = "1_5"  # a float numpy refuses in the whole block
    rows[120] = ["123456789", "2023-01-11T00:00:00"]  # short
    rows[150][0] = "+123456789"
    text = csv_text(rows)
    got, tally, _ = read(text.encode())
    ref, ref_tally, _ = read_row_by_row(text, monkeypatch)
    assert same(got, ref)
    assert tally.outcomes == ref_tally.outcomes == {"position": 198, "position_not_available": 1, "short_row": 1}
    assert [p.location for p in tally.problems] == ["t.csv:12", "t.csv:122"]
    assert got[49][1] == 1673395207 and got[50][2] == 15.0


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_small_blocks_quotes_blank_lines_and_line_numbers(monkeypatch: pytest.MonkeyPatch, line_end: str) -> None:
    good = ["123456789", "2023-01-11T00:00:00", "1.5", "2.5", "", "", "", "NAME", "", "", "", "", "", "", "", "", "A"]
    rows = [list(good) for _ in range(300)]
    rows[77][7] = "TWO\nLINES, QUOTED"  # a quoted field spanning two lines
    rows[200][2] = "x"
    text = csv_text(rows, line_end)
    text = text.replace(line_end, line_end + line_end, 1)  # a blank line after the header
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", 512)
    got, tally, ids = read(text.encode())
    monkeypatch.undo()
    ref, ref_tally, ref_ids = read_row_by_row(text, monkeypatch)
    assert same(got, ref) and len(got) == 299
    assert tally.outcomes == ref_tally.outcomes and tally.problems == ref_tally.problems
    # header, blank line, 200 rows (one of them two lines long), then the bad one
    assert [p.location for p in tally.problems] == ["t.csv:204"]
    assert {s.name for s in ids.spans()} == {"NAME", "TWO LINES, QUOTED"} == {s.name for s in ref_ids.spans()}


def test_long_text_values_are_not_cut_short() -> None:
    name = "A VERY LONG VESSEL NAME THAT GOES ON AND ON AND ON"
    text = csv_text(
        [["123456789", "2023-01-11T00:00:00", "1", "2", "", "", "", name, "", "", "", "", "", "", "", "", "A"]]
    )
    _, _, ids = read(text.encode())
    assert [s.name for s in ids.spans()] == [name]


# Values numpy's tokenizer accepts in its columns (those it refuses send the whole block
# the row way, which the odd-row tests cover): every example here is read column-wise,
# and each row's fate is decided by the column checks.
def decimal(low: float, high: float) -> st.SearchStrategy[str]:
    return st.floats(low, high).map(lambda v: f"{v:.{abs(int(v * 7)) % 8}f}")


number = st.one_of(
    decimal(-400, 400),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(
        [
            "",
            "91",
            "181",
            "102.3",
            "102.2",
            "360",
            "359.9",
            "511",
            "15",
            "15.5",
            "-0",
            ".5",
            "5.",
            "nan",
            "inf",
            "-inf",
            "1e3",
            " 7",
            "+3",
        ]
    ),
)
# Mostly valid MMSIs, times and positions, so that most rows are taken and their optional
# fields (sentinels, ranges, whole numbers) are compared too.
time_text = st.one_of(
    st.datetimes(datetime(1975, 1, 1), datetime(2105, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.integers(300_000_000, 4_200_000_000).map(str),
    st.integers(300_000_000_000, 4_200_000_000_000).map(str),
    st.sampled_from(
        [
            "",
            "2023-02-30T00:00:00",
            "2023-01-11T24:00:00",
            "2023-01-11T23:59:60",
            "2023-01-11T00:00:00Z",
            "2023-01-11 00:00:00",
            "11/01/2023 00:00",
            "yesterday",
            "1979-12-31T23:59:59",
            "0",
        ]
    ),
)
mmsi_text = st.one_of(
    st.integers(1, 999_999_999).map(str),
    st.integers(-5, 1_100_000_000).map(str),
    st.sampled_from(["+123456789", "0123456789", " 5", "0"]),
)
lat_text = st.one_of(decimal(-90, 90), decimal(-90, 90), number)
lon_text = st.one_of(decimal(-180, 180), decimal(-180, 180), number)
word = st.sampled_from(["", "SHIP A", "SHIP B", "IMO9307839", "IMO0000001", "CS1", "naïve"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            mmsi_text, time_text, lat_text, lon_text, number, number, number, word, word, word, number, number, number
        ),
        min_size=1,
        max_size=40,
    )
)
# Found by hypothesis: the same identity twice, beam missing (0) then known (1.0); the
# column way kept the first row's dimensions only.
@example(
    [
        ("1", "2000-01-01T00:00:00", "0", "0", "-193.96639", "0", "0", "SHIP A", "", "", "201.0381945", "", "0"),
        ("1", "2000-01-01T00:00:00", "0", "0", "296.5962", "", "187.223578", "SHIP A", "", "", "", "0", "1.0000000"),
    ]
)
# Found by hypothesis: two identities of one MMSI in a block came out in hash order.
@example(
    [
        ("1", "2023-01-11T00:00:00Z", "0", "0", "0", "0", "0", "SHIP A", "", "", "0", "0", "0"),
        ("1", "2023-01-11T00:00:00Z", "0", "0", "0", "0", "0", "SHIP A", "", "SHIP A", "0", "0", "0"),
    ]
)
def test_column_way_equals_row_way(monkeypatch: pytest.MonkeyPatch, rows: list[tuple]) -> None:
    table = [
        [m, t, la, lo, s, c, h, name, imo, cs, "70", st_, ln, wd, "", "", "A"]
        for m, t, la, lo, s, c, h, name, imo, cs, st_, ln, wd in rows
    ]
    text = csv_text(table)
    tables = []
    real = csv_blocks.read_columns
    with monkeypatch.context() as patched:
        patched.setattr(ais_csv, "read_columns", lambda *a: tables.append(real(*a)) or tables[-1])
        got, tally, ids = read(text.encode())
    assert tables and all(t is not None for t in tables), "the block was not read column-wise"
    ref, ref_tally, ref_ids = read_row_by_row(text, monkeypatch)
    assert same(got, ref)
    assert tally.outcomes == ref_tally.outcomes and tally.problems == ref_tally.problems
    assert ids.spans() == ref_ids.spans()
    assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for r in got for v in r)
    event(f"{min(len(got), 5) if got else 0} rows or more taken")


def test_batches_round_trip_through_rows() -> None:
    rows = [(1, 2, 3.0, 4.0, None, 5.5, 7, None), (9, 10, -1.0, 1.0, 0.5, None, None, 15)]
    batch = PositionBatch.from_rows(rows)
    assert batch.rows() == rows and list(batch) == rows and len(batch) == 2
    assert PositionBatch.concat([batch, PositionBatch.empty(), batch]).rows() == rows + rows
