"""Vessel registry import (CSV with headers, JSON) tells the truth: generated vessels are
stored exactly, identities included; for generated invalid rows the report accounts for
every row and names each one not taken."""

from __future__ import annotations

import csv
import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evidence_app.services import imports
from evidence_app.storage.models import Vessel, VesselIdentity

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
HEADER = [
    "IMO Number",
    "MMSI",
    "Vessel Name",
    "Flag",
    "Ship Type",
    "LOA",
    "Beam",
    "Gross Tonnage",
    "Registered Owner",
    "Call Sign",
]


def imo(six: int) -> int:
    digits = f"{six:06d}"
    return int(digits + str(sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10))


words = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
vessel = st.fixed_dictionaries(
    {
        "mmsi": st.integers(200_000_000, 799_999_999),
        "name": st.lists(words, min_size=1, max_size=3).map(" ".join),
        "flag": st.sampled_from(["Panama", "Togo", "Sierra Leone", "Korea, North", "Mongolia"]),
        "vessel_type": st.sampled_from(["Oil Products Tanker", "Bulk Carrier", "General Cargo"]),
        "length_m": st.integers(200, 3000).map(lambda v: v / 10),
        "beam_m": st.integers(50, 500).map(lambda v: v / 10),
        "gross_tonnage": st.integers(100, 200_000).map(float),
        "owner": words,
        "call_sign": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=7),
    }
)
# Distinct six-digit stems make distinct IMO numbers (each with its check digit).
fleets = st.lists(st.integers(100000, 999999), min_size=1, max_size=12, unique=True).flatmap(
    lambda stems: st.tuples(
        st.just([imo(s) for s in stems]), st.lists(vessel, min_size=len(stems), max_size=len(stems))
    )
)


def rows_of(imos: list[int], vessels: list[dict]) -> list[dict]:
    return [{**v, "imo": n} for n, v in zip(imos, vessels, strict=True)]


def csv_row(r: dict) -> list[str]:
    return [
        str(r["imo"]),
        str(r["mmsi"]),
        r["name"],
        r["flag"],
        r["vessel_type"],
        str(r["length_m"]),
        str(r["beam_m"]),
        str(r["gross_tonnage"]),
        r["owner"],
        r["call_sign"],
    ]


def stored(ctx) -> tuple[set, set]:
    with ctx.store.read() as s:
        vessels = {
            (v.imo, v.mmsi, v.name, v.flag, v.vessel_type, v.length_m, v.beam_m, v.gross_tonnage, v.owner, v.call_sign)
            for v in s.scalars(select(Vessel))
        }
        identities = {(i.imo, i.mmsi, i.name, i.flag, i.call_sign) for i in s.scalars(select(VesselIdentity))}
    return vessels, identities


def expected(rows: list[dict]) -> tuple[set, set]:
    return (
        {
            (
                r["imo"],
                r["mmsi"],
                r["name"],
                r["flag"],
                r["vessel_type"],
                r["length_m"],
                r["beam_m"],
                r["gross_tonnage"],
                r["owner"],
                r["call_sign"],
            )
            for r in rows
        },
        {(r["imo"], r["mmsi"], r["name"], r["flag"], r["call_sign"]) for r in rows},
    )


@SETTINGS
@given(fleet=fleets, as_json=st.booleans())
def test_generated_vessels_are_stored_exactly(fresh_ctx, fleet, as_json: bool) -> None:
    rows = rows_of(*fleet)
    with fresh_ctx() as (ctx, folder):
        if as_json:
            path = folder / "registry.json"
            path.write_text(
                json.dumps(
                    {
                        "vessels": [
                            {
                                "imo": r["imo"],
                                "mmsi": str(r["mmsi"]),
                                "name": r["name"],
                                "flag": r["flag"],
                                "type": r["vessel_type"],
                                "length": r["length_m"],
                                "beam": r["beam_m"],
                                "gross_tonnage": r["gross_tonnage"],
                                "owner": r["owner"],
                                "call_sign": r["call_sign"],
                            }
                            for r in rows
                        ]
                    }
                )
            )
        else:
            path = folder / "registry.csv"
            with path.open("w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(HEADER)
                writer.writerows(csv_row(r) for r in rows)
        report = imports.import_vessels(ctx, path)
        assert report.read == len(rows) and report.imported == {"vessel": len(rows)} and report.skipped == {}
        assert stored(ctx) == expected(rows)


INVALID = {
    "bad_imo": lambda row: [row[0][:6] + str((int(row[0][6]) + 1) % 10)] + row[1:],
    "bad_mmsi": lambda row: row[:1] + ["44512300X"] + row[2:],
    "missing_field": lambda row: ["", ""] + row[2:],
}


@SETTINGS
@given(fleet=fleets, data=st.data())
def test_every_invalid_row_is_accounted_for(fresh_ctx, fleet, data) -> None:
    rows = rows_of(*fleet)
    broken = data.draw(st.lists(st.none() | st.sampled_from(sorted(INVALID)), min_size=len(rows), max_size=len(rows)))
    with fresh_ctx() as (ctx, folder):
        path = folder / "registry.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(INVALID[b](csv_row(r)) if b else csv_row(r) for r, b in zip(rows, broken, strict=True))
        report = imports.import_vessels(ctx, path)
        assert report.read == len(rows) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.skipped == dict(Counter(b for b in broken if b))
        lines = sorted(int(p.split(":")[1]) for p in report.problems)
        assert lines == [i + 2 for i, b in enumerate(broken) if b]  # each named by its line
        assert stored(ctx) == expected([r for r, b in zip(rows, broken, strict=True) if not b])
