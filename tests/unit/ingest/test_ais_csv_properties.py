"""AIS CSV import tells the truth: generated valid rows are stored exactly (positions and
identities), and for generated invalid rows the report accounts for every row."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evidence_app.services import imports
from evidence_app.storage.models import AisPosition
from tests.published_layouts import MARINECADASTRE_COLUMNS
from tests.unit.ingest.readback import stored_identities, stored_positions

HEADER = MARINECADASTRE_COLUMNS
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def imo_numbers() -> st.SearchStrategy[int]:
    def with_check_digit(six: int) -> int:
        digits = f"{six:06d}"
        return int(digits + str(sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10))

    return st.integers(100000, 999999).map(with_check_digit)


letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
valid_rows = st.fixed_dictionaries(
    {
        "mmsi": st.integers(200_000_000, 799_999_999),
        "ts": st.integers(
            int(datetime(2000, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
        ),
        "lat": st.integers(-9_000_000, 9_000_000).map(lambda v: v / 100_000),
        "lon": st.integers(-18_000_000, 18_000_000).map(lambda v: v / 100_000),
        "sog": st.none() | st.integers(0, 1022).map(lambda v: v / 10),
        "cog": st.none() | st.integers(0, 3599).map(lambda v: v / 10),
        "heading": st.none() | st.integers(0, 359),
        "status": st.none() | st.integers(0, 15),
        "name": st.just("") | letters,
        "imo": st.none() | imo_numbers(),
        "call_sign": st.just("") | letters,
    }
)


def cell(value: object) -> str:
    return "" if value is None else str(value)


def marinecadastre_row(r: dict) -> list[str]:
    when = datetime.fromtimestamp(r["ts"], UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return [
        str(r["mmsi"]),
        when,
        cell(r["lat"]),
        cell(r["lon"]),
        cell(r["sog"]),
        cell(r["cog"]),
        cell(r["heading"]),
        r["name"],
        f"IMO{r['imo']}" if r["imo"] else "",
        r["call_sign"],
        "",
        cell(r["status"]),
        "",
        "",
        "",
        "",
        "A",
    ]


def write(path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)


@SETTINGS
@given(rows=st.lists(valid_rows, min_size=1, max_size=25))
def test_valid_rows_are_stored_exactly(fresh_ctx, rows: list[dict]) -> None:
    with fresh_ctx() as (ctx, folder):
        path = folder / "ais.csv"
        write(path, [marinecadastre_row(r) for r in rows])
        report = imports.import_ais(ctx, [path])
        assert report.read == len(rows) and report.imported == {"position": len(rows)} and report.skipped == {}
        with ctx.store.read() as s:
            stored = Counter(stored_positions(s))
            identities = stored_identities(s)
        expected = Counter(
            (r["mmsi"], r["ts"], r["lat"], r["lon"], r["sog"], r["cog"], r["heading"], r["status"]) for r in rows
        )
        assert stored == expected
        assert identities == {
            (r["mmsi"], r["name"], r["imo"], r["call_sign"]) for r in rows if r["name"] or r["imo"] or r["call_sign"]
        }


# Each invalid kind of row and the reason the report must give for it.
INVALID = {
    "bad_mmsi": lambda row: [("MMSI" + row[0])[:9]] + row[1:],
    "bad_time": lambda row: row[:1] + ["yesterday"] + row[2:],
    "position_not_available": lambda row: row[:2] + ["91", "181"] + row[4:],
    "bad_position": lambda row: row[:2] + ["95.5"] + row[3:],
    "short_row": lambda row: row[:3],
}


@SETTINGS
@given(rows=st.lists(st.tuples(valid_rows, st.none() | st.sampled_from(sorted(INVALID))), min_size=1, max_size=25))
def test_every_invalid_row_is_accounted_for(fresh_ctx, rows: list[tuple[dict, str | None]]) -> None:
    with fresh_ctx() as (ctx, folder):
        path = folder / "ais.csv"
        write(path, [INVALID[bad](marinecadastre_row(r)) if bad else marinecadastre_row(r) for r, bad in rows])
        report = imports.import_ais(ctx, [path])
        reasons = Counter(bad for _r, bad in rows if bad)
        assert report.read == len(rows) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.imported.get("position", 0) == sum(1 for _r, bad in rows if not bad)
        assert report.skipped == dict(reasons)
        assert len(report.problems) == min(sum(reasons.values()), 50)
        with ctx.store.read() as s:
            assert len(s.execute(select(AisPosition.mmsi)).all()) == report.imported.get("position", 0)
