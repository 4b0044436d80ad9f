"""Every importer, fuzzed through its public service entry point with real samples bent by hypothesis:
each file is imported whole (with located problems for what was skipped) or refused with a
UserError, and a refusal leaves no record and no stored copy; the store verifies throughout.

Bounded here (``FUZZ_EXAMPLES`` per importer, 40 by default); `make fuzz` runs 2,000.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from evidence_app.domain.errors import UserError
from evidence_app.services import cases, imports
from evidence_app.services.context import Context
from evidence_app.services.verify import verify_store
from evidence_app.storage.models import AisPosition, Designation, Evidence, Incident, Vessel, VesselIdentity

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

# What testers type into fields: infinities, huge and tiny numbers, times no calendar holds,
# terminal escapes, NUL, separators, very long text.
NASTY = [
    "",
    " ",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e308",
    "-1e308",
    "1e-320",
    "0",
    "-0",
    "-1",
    "9" * 400,
    "1" * 40,
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+01:00",
    "2023-02-30T00:00:00",
    "2023-01-11T25:61:00",
    "99/99/9999",
    "\x1b[2J\x1b]0;x\x07",
    "\x00",
    "\ufeff",
    "\ud800",
    "é" * 3000,
    ",",
    '"',
    '""',
    "\n",
    "\r",
    "IMO0000000",
    "IMO9307839",
    "366999999",
    "000000000",
    "1000000000",
    "-91",
    "181",
    "511",
    "102.3",
    "360",
]
field_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.floats().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@st.composite
def bent_csv(draw: st.DrawFn, header: list[str], rows: list[list[str]]) -> str:
    """A real CSV with some fields replaced, columns dropped or repeated, lines cut."""
    header = list(header)
    body = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 6))):
        r = draw(st.integers(0, len(body) - 1))
        c = draw(st.integers(0, len(header) - 1))
        body[r][c] = draw(field_values)
    if draw(st.booleans()):
        c = draw(st.integers(0, len(header) - 1))
        if draw(st.booleans()):
            header.pop(c)
        else:
            header[c] = draw(st.sampled_from(header))
    lines = [",".join(_quote(v) for v in header)] + [",".join(_quote(v) for v in r) for r in body]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value


def _counts(ctx: Context) -> tuple[int, ...]:
    with ctx.store.read() as s:
        counted = tuple(
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (AisPosition, Evidence, Vessel, VesselIdentity, Designation, Incident)
        )
    return counted + (len(list(ctx.store.objects.iter_objects())),)


_names = itertools.count()


def _import_checked(ctx: Context, tmp_path: Path, suffix: str, data: str | bytes, run) -> None:
    path = tmp_path / f"fuzz-{next(_names)}{suffix}"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    before = _counts(ctx)
    try:
        report = run(path)
    except UserError as refused:
        assert str(refused).strip()
        assert _counts(ctx) == before  # refused: not a record, not a stored copy
        return
    finally:
        path.unlink()
    assert report.read == sum(report.imported.values()) + sum(report.skipped.values())
    for problem in report.problems:  # every skipped unit is located: file:line
        assert problem.startswith(path.name), problem


def _sample_csv(path: Path, rows: int) -> tuple[list[str], list[list[str]]]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [r for _, r in zip(range(rows), reader, strict=False)]


@pytest.fixture
def fuzz_ctx(tmp_path: Path, store):
    ctx = Context(store, "fuzzer")
    yield ctx
    report = verify_store(store)
    assert report.ok, report.problems


def test_fuzz_ais_csv(fuzz_ctx: Context, tmp_path: Path, shared_data: Path) -> None:
    header, rows = _sample_csv(shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv", 8)

    @FUZZ
    @given(text=bent_csv(header, rows))
    def run(text: str) -> None:
        _import_checked(fuzz_ctx, tmp_path, ".csv", text, lambda p: imports.import_ais(fuzz_ctx, [p]))

    run()


def test_fuzz_ais_nmea(fuzz_ctx: Context, tmp_path: Path, shared_data: Path) -> None:
    lines = (shared_data / "ais" / "nmea_aegean_sample.txt").read_text().splitlines()[:12]

    @st.composite
    def bent_nmea(draw: st.DrawFn) -> bytes:
        out = list(lines)
        for _ in range(draw(st.integers(0, 5))):
            i = draw(st.integers(0, len(out) - 1))
            parts = out[i].split(",")
            j = draw(st.integers(0, len(parts) - 1))
            parts[j] = draw(field_values)
            out[i] = ",".join(parts)
        data = ("\n".join(out) + "\n").encode("utf-8", "surrogatepass")
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))] + draw(st.binary(max_size=40))
        return data

    @FUZZ
    @given(data=bent_nmea())
    def run(data: bytes) -> None:
        _import_checked(
            fuzz_ctx, tmp_path, ".nmea", data, lambda p: imports.import_ais(fuzz_ctx, [p], fmt="nmea", base_time=None)
        )

    run()


REGISTRY = (
    ["imo", "mmsi", "name", "flag", "vessel_type", "length_m", "beam_m", "gross_tonnage", "owner", "call_sign"],
    [
        ["9307839", "636021061", "MSC NAISHA III", "Liberia", "Container", "208", "30", "27000", "MSC", "5LCB4"],
        ["9123453", "445123000", "CHON MA SAN", "KP", "Tanker", "110", "16", "3000", "Korea Kumbyol", "HMYA"],
        ["9216470", "352001234", "NEW REGENT", "Panama", "Tanker", "104", "15", "2800", "", ""],
    ],
)


def test_fuzz_registry(fuzz_ctx: Context, tmp_path: Path) -> None:
    @FUZZ
    @given(text=bent_csv(*REGISTRY))
    def run(text: str) -> None:
        _import_checked(fuzz_ctx, tmp_path, ".csv", text, lambda p: imports.import_vessels(fuzz_ctx, p))

    run()


EVENTS = (
    ["start", "end", "lat", "lon", "vessel_a", "vessel_b", "title"],
    [
        ["2023-01-11T00:00:00Z", "2023-01-11T02:00:00Z", "36.55", "123.95", "445123000", "352001234", "STS"],
        ["11/01/2023 03:00", "", "26.09", "-80.04", "IMO9307839", "636021061", "encounter"],
    ],
)


def test_fuzz_events(fuzz_ctx: Context, tmp_path: Path) -> None:
    case = cases.create_case(fuzz_ctx, "Fuzzed events")

    @FUZZ
    @given(text=bent_csv(*EVENTS))
    def run(text: str) -> None:
        _import_checked(fuzz_ctx, tmp_path, ".csv", text, lambda p: imports.import_incidents(fuzz_ctx, p, case.id))

    run()
