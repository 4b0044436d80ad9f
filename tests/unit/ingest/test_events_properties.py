"""Event import (GFW encounter files, GeoJSON) tells the truth: generated events become
incidents equal to them (times, place, both vessels' MMSIs as given, figures); for generated
invalid rows the report accounts for every row."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evidence_app.services import cases, imports
from evidence_app.storage.models import Incident, Participant, Vessel
from tests.published_layouts import GFW_ENCOUNTER_COLUMNS

SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
HEADER = GFW_ENCOUNTER_COLUMNS
T0 = int(datetime(2012, 1, 1, tzinfo=UTC).timestamp())

# MMSIs as GFW files hold them: mostly nine digits, some malformed (six to eight digits).
mmsis = st.one_of(st.integers(200_000_000, 799_999_999).map(str), st.integers(100_000, 99_999_999).map(str))
events = st.fixed_dictionaries(
    {
        "a": mmsis,
        "b": mmsis,
        "start": st.integers(T0, T0 + 86_400 * 3650),
        "hours": st.integers(1, 480).map(lambda v: v / 4),
        "lat": st.integers(-8_900_000, 8_900_000).map(lambda v: v / 100_000),
        "lon": st.integers(-17_900_000, 17_900_000).map(lambda v: v / 100_000),
        "distance_km": st.integers(1, 5000).map(lambda v: v / 10_000),
        "speed": st.integers(0, 200).map(lambda v: v / 100),
    }
).filter(lambda e: e["a"] != e["b"])


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def row(e: dict) -> list[str]:
    return [
        e["a"],
        e["b"],
        utc(e["start"]),
        utc(e["start"] + e["hours"] * 3600),
        str(e["lat"]),
        str(e["lon"]),
        str(e["hours"]),
        str(e["distance_km"]),
        str(e["speed"]),
    ]


def stored(ctx, case_id: str) -> Counter:
    out: Counter = Counter()
    with ctx.store.read() as s:
        for inc in s.scalars(select(Incident).where(Incident.case_id == case_id)):
            given_mmsis = frozenset(
                vessel.mmsi_as_given or f"{vessel.mmsi:09d}"
                for vessel in s.scalars(
                    select(Vessel)
                    .join(Participant, Participant.vessel_id == Vessel.id)
                    .where(Participant.incident_id == inc.id)
                )
            )
            out[
                (
                    given_mmsis,
                    int(inc.start_utc.timestamp()),
                    int(inc.end_utc.timestamp()),
                    inc.lat,
                    inc.lon,
                    tuple(sorted(inc.metrics.items())),
                )
            ] += 1
    return out


def expected(rows: list[dict]) -> Counter:
    return Counter(
        (
            frozenset((e["a"], e["b"])),
            e["start"],
            int(e["start"] + e["hours"] * 3600),
            e["lat"],
            e["lon"],
            tuple(
                sorted(
                    {
                        "distance_m": round(e["distance_km"] * 1000, 3),
                        "duration_h": e["hours"],
                        "speed_kn": e["speed"],
                    }.items()
                )
            ),
        )
        for e in rows
    )


@SETTINGS
@given(rows=st.lists(events, min_size=1, max_size=12), as_geojson=st.booleans())
def test_generated_events_become_equal_incidents(fresh_ctx, rows: list[dict], as_geojson: bool) -> None:
    with fresh_ctx() as (ctx, folder):
        case = cases.create_case(ctx, "GFW")
        if as_geojson:
            path = folder / "encounters.geojson"
            path.write_text(
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [e["lon"], e["lat"]]},
                                "properties": dict(zip(HEADER, row(e), strict=True)),
                            }
                            for e in rows
                        ],
                    }
                )
            )
        else:
            path = folder / "encounter-events.csv"
            with path.open("w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(HEADER)
                writer.writerows(row(e) for e in rows)
        report = imports.import_incidents(ctx, path, case.id)
        assert report.read == len(rows) and report.imported == {"event": len(rows)} and report.skipped == {}
        assert stored(ctx, case.id) == expected(rows)


INVALID = {
    # Ten digits: too long for an MMSI. ("IMO-" + a seven-digit MMSI can be a valid IMO number.)
    "bad_mmsi": lambda r: [r[0].rjust(10, "1")] + r[1:],
    "bad_time": lambda r: r[:2] + ["sometime"] + r[3:],
    "bad_position": lambda r: r[:4] + ["123.5"] + r[5:],
    "bad_number": lambda r: r[:6] + ["about six"] + r[7:],
    "missing_field": lambda r: r[:1] + [""] + r[2:],
}


@SETTINGS
@given(rows=st.lists(st.tuples(events, st.none() | st.sampled_from(sorted(INVALID))), min_size=1, max_size=12))
def test_every_invalid_row_is_accounted_for(fresh_ctx, rows) -> None:
    with fresh_ctx() as (ctx, folder):
        case = cases.create_case(ctx, "GFW")
        path = folder / "encounter-events.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(INVALID[bad](row(e)) if bad else row(e) for e, bad in rows)
        report = imports.import_incidents(ctx, path, case.id)
        assert report.read == len(rows) == sum(report.imported.values()) + sum(report.skipped.values())
        assert report.skipped == dict(Counter(bad for _e, bad in rows if bad))
        assert sorted(int(p.split(":")[1]) for p in report.problems) == [
            i + 2 for i, (_e, bad) in enumerate(rows) if bad
        ]
        assert stored(ctx, case.id) == expected([e for e, bad in rows if not bad])
