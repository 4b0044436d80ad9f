"""Sanctions-list import (OFAC sdn.csv, UN consolidated XML) tells the truth: every generated
vessel entry becomes a designated vessel equal to it or a listed problem; every other entry
is counted as "not a vessel"; read = imported + skipped by reason."""

from __future__ import annotations

import csv
import io
from collections import Counter
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evidence_app.services import imports
from evidence_app.storage.models import Designation, Vessel

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
NULL = "-0- "


def imo(six: int, valid: bool = True) -> str:
    digits = f"{six:06d}"
    check = sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return digits + str(check if valid else (check + 1) % 10)


# An entry: what it is, and how a vessel entry identifies itself.
entries = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["vessel", "vessel", "vessel", "individual", "entity"]),
        "ident": st.sampled_from(["imo", "registration", "mmsi", "imo+mmsi", "bad_imo", "none"]),
        "name": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=3, max_size=20).map(str.strip).filter(bool),
        "mmsi": st.integers(200_000_000, 799_999_999),
    }
)
lists = st.lists(
    st.tuples(st.integers(100000, 999999), entries), min_size=1, max_size=12, unique_by=lambda t: t[0]
).filter(lambda xs: len({e["mmsi"] for _s, e in xs}) == len(xs))


def remarks(stem: int, e: dict) -> str:
    return {
        "imo": f"Vessel Registration Identification IMO {imo(stem)}; Linked To: X CO.",
        "registration": f"Vessel Registration Identification {imo(stem)}; Linked To: X CO.",
        "mmsi": f"MMSI {e['mmsi']}; Linked To: X CO.",
        "imo+mmsi": f"Vessel Registration Identification IMO {imo(stem)}; MMSI {e['mmsi']}.",
        "bad_imo": f"Vessel Registration Identification IMO {imo(stem, valid=False)}.",
        "none": "Linked To: X CO.",
    }[e["ident"]]


def outcome(e: dict) -> str:
    if e["kind"] != "vessel":
        return "not_vessel"
    return {"bad_imo": "bad_imo", "none": "missing_field"}.get(e["ident"], "vessel")


def expected_designations(items, authority_ref) -> set:
    out = set()
    for index, (stem, e) in enumerate(items):
        if outcome(e) == "vessel":
            number = int(imo(stem)) if e["ident"] in ("imo", "registration", "imo+mmsi") else None
            mmsi = e["mmsi"] if e["ident"] in ("mmsi", "imo+mmsi") else None
            out.add((number, mmsi, authority_ref(index)))
    return out


def stored(ctx) -> set:
    with ctx.store.read() as s:
        return {
            (v.imo, v.mmsi, d.reference)
            for d, v in s.execute(select(Designation, Vessel).join(Vessel, Vessel.id == Designation.vessel_id))
        }


@SETTINGS
@given(items=lists)
def test_ofac_every_vessel_designated_or_listed(fresh_ctx, items) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for index, (stem, e) in enumerate(items):
        sdn_type = e["kind"] if e["kind"] != "entity" else NULL
        writer.writerow(
            [10000 + index, e["name"], sdn_type, "DPRK3", NULL, NULL, NULL, NULL, NULL, NULL, NULL, remarks(stem, e)]
        )
    with fresh_ctx() as (ctx, folder):
        path = folder / "sdn.csv"
        path.write_bytes(buffer.getvalue().encode("latin-1") + b"\x1a")
        report = imports.import_vessels(ctx, path)
        outcomes = Counter(outcome(e) for _s, e in items)
        assert report.read == len(items) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.imported.get("vessel", 0) == outcomes.pop("vessel", 0)
        assert report.skipped == dict(outcomes)
        # Problems name exactly the vessel rows not taken; non-vessels are not problems.
        assert sorted(int(p.split(":")[1]) for p in report.problems) == [
            i + 1 for i, (_s, e) in enumerate(items) if outcome(e) in ("bad_imo", "missing_field")
        ]
        assert stored(ctx) == expected_designations(items, lambda i: f"SDN {10000 + i}")


@SETTINGS
@given(items=lists)
def test_un_every_vessel_designated_or_listed(fresh_ctx, items) -> None:
    parts = []
    for index, (stem, e) in enumerate(items):
        if e["kind"] == "individual":
            parts.append(
                (
                    "I",
                    f"<INDIVIDUAL><DATAID>{index}</DATAID><FIRST_NAME>{escape(e['name'])}</FIRST_NAME>"
                    f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.{index:03d}</REFERENCE_NUMBER>"
                    "</INDIVIDUAL>",
                )
            )
            continue
        if e["kind"] == "entity" or e["ident"] == "mmsi":
            comments = "Shipping company." if e["kind"] == "entity" else f"MMSI: {e['mmsi']}."
        else:
            number = imo(stem, valid=e["ident"] != "bad_imo")
            comments = (
                f"Tanker. IMO: {number}." + (f" MMSI: {e['mmsi']}." if e["ident"] == "imo+mmsi" else "")
                if e["ident"] != "none"
                else "Tanker."
            )
        parts.append(
            (
                "E",
                f"<ENTITY><DATAID>{index}</DATAID><FIRST_NAME>{escape(e['name'])}</FIRST_NAME>"
                f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.{index:03d}</REFERENCE_NUMBER>"
                f"<LISTED_ON>2018-03-30</LISTED_ON><COMMENTS1>{escape(comments)}</COMMENTS1></ENTITY>",
            )
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><CONSOLIDATED_LIST dateGenerated="2024-05-14T10:01:02.123-04:00">'
        f"<INDIVIDUALS>{''.join(p for k, p in parts if k == 'I')}</INDIVIDUALS>"
        f"<ENTITIES>{''.join(p for k, p in parts if k == 'E')}</ENTITIES></CONSOLIDATED_LIST>"
    )

    # The UN list designates vessels by IMO number: an entry naming only an MMSI, or nothing,
    # names no vessel it can designate ("not a vessel"); a failing number is a problem.
    def un_outcome(e: dict) -> str:
        if e["kind"] != "vessel" or e["ident"] in ("mmsi", "none"):
            return "not_vessel"
        return "bad_imo" if e["ident"] == "bad_imo" else "vessel"

    with fresh_ctx() as (ctx, folder):
        path = folder / "consolidated.xml"
        path.write_text(xml, encoding="utf-8")
        report = imports.import_vessels(ctx, path)
        outcomes = Counter(un_outcome(e) for _s, e in items)
        assert report.read == len(items) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.imported.get("vessel", 0) == outcomes.pop("vessel", 0)
        assert report.skipped == dict(outcomes)
        taken = [(stem, e) for stem, e in items if un_outcome(e) == "vessel"]
        assert stored(ctx) == {
            (int(imo(stem)), e["mmsi"] if e["ident"] == "imo+mmsi" else None, f"UN KPe.{items.index((stem, e)):03d}")
            for stem, e in taken
        }
