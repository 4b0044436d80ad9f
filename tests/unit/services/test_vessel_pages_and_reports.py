"""Vessel profiles, the per-page sanction lookup (constant queries), and the standalone report export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert

from evidence_app.services import casefiles, vessels
from evidence_app.services.incident_queries import IncidentFilter, fetch_rows
from evidence_app.storage import audit
from evidence_app.storage.models import Designation, Incident, Participant, Vessel


def _bulk(ctx, case_id, n, designated):
    base = datetime(2020, 1, 1, tzinfo=UTC)
    with ctx.store.write() as s:
        s.execute(
            insert(Incident),
            [
                {
                    "id": f"{i:08d}-0000-0000-0000-000000000000",
                    "case_id": case_id,
                    "title": f"I{i}",
                    "start_utc": base + timedelta(hours=i),
                    "status": "suspected",
                    "indicators": [],
                    "evidence_count": 0,
                    "version": 1,
                    "local_time_text": "",
                    "position_method": "",
                    "reported_location": "",
                    "cargo_kind": "",
                    "cargo_unit": "",
                    "assessment": "",
                    "created_at": base,
                    "updated_at": base,
                }
                for i in range(n)
            ],
        )
        s.execute(
            insert(Vessel),
            [
                {
                    "id": f"v{j}",
                    "name": f"SHIP {j}",
                    "flag": "",
                    "call_sign": "",
                    "vessel_type": "",
                    "owner": "",
                    "notes": "",
                    "version": 1,
                    "created_at": base,
                    "updated_at": base,
                }
                for j in range(4)
            ],
        )
        s.execute(
            insert(Participant),
            [
                {
                    "id": f"p{i}-{j}",
                    "incident_id": f"{i:08d}-0000-0000-0000-000000000000",
                    "vessel_id": f"v{j}",
                    "role": "unknown",
                    "claimed_name": "",
                    "claimed_flag": "",
                }
                for i in range(n)
                for j in range(2 if i % 2 else 4)
            ],
        )
        s.execute(
            insert(Designation),
            [
                {
                    "id": f"d{j}",
                    "vessel_id": f"v{j}",
                    "authority": "OFAC",
                    "program": "DPRK3",
                    "reference": "",
                    "remarks": "",
                }
                for j in designated
            ],
        )


def _queries(ctx, fn):
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(ctx.store.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(ctx.store.engine, "before_cursor_execute", listener)
    return result, len(statements)


def test_sanctioned_participants_come_with_the_page_at_no_extra_query(ctx, sample_case):
    case, _ = sample_case
    _bulk(ctx, case.id, 600, designated=[1, 3])
    counts = []
    for offset in (0, 200, 400):

        def page(offset=offset):
            with ctx.store.read() as s:
                return fetch_rows(s, IncidentFilter(case_id=case.id, offset=offset, limit=200))

        rows, n = _queries(ctx, page)
        counts.append(n)
        assert len(rows) == 200
    assert counts[0] == counts[1] == counts[2], counts
    with ctx.store.read() as s:
        rows = fetch_rows(s, IncidentFilter(case_id=case.id, limit=4))
    by_title = {r.title: r for r in rows}
    assert by_title["I0"].sanctioned == ("SHIP 1", "SHIP 3") and by_title["I1"].sanctioned == ("SHIP 1",)
    assert by_title["STS south of Dalian"].sanctioned == ()


def test_vessel_profile_and_list(ctx, sample_case):
    case, incident = sample_case
    with ctx.store.write() as s:
        v = s.query(Vessel).filter_by(imo=9123453).one()
        s.add(Designation(vessel_id=v.id, authority="OFAC", program="DPRK3", reference="SDN 1"))
        audit.record(s, ctx.actor, "test.designate", "vessel", v.id)  # every write is audited (or refused)
    profile = vessels.vessel_profile(ctx, "445123000")
    assert profile.vessel.name == "CHON MA SAN" and [d.program for d in profile.designations] == ["DPRK3"]
    assert [(i.incident_id, i.role, i.case_title) for i in profile.incidents] == [
        (incident.id, "receiver", "Yellow Sea 2019")
    ]
    assert profile.flag_hint == "North Korea"
    rows, n = _queries(ctx, lambda: vessels.vessel_rows(ctx))
    assert n <= 2 and {r.name: (r.sanctioned, r.incidents) for r in rows} == {
        "CHON MA SAN": (True, 1),
        "NEW REGENT": (False, 1),
    }
    assert [r.name for r in vessels.vessel_rows(ctx, "regent")] == ["NEW REGENT"]


def test_report_export_writes_html_and_pdf_and_audits(ctx, sample_case, tmp_path):
    case, _ = sample_case
    html = casefiles.export_report(ctx, case.id, tmp_path / "r.html", fmt="html")
    pdf = casefiles.export_report(ctx, case.id, tmp_path / "r.pdf", fmt="pdf", only_confirmed=True)
    assert "STS south of Dalian" in (tmp_path / "r.html").read_text() and html["incidents"] == 1
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF") and pdf["incidents"] == 0
    with ctx.store.read() as s:
        entries = [(e.action, json.loads(e.payload)) for e in audit.iter_entries(s) if e.action == "casefile.report"]
    assert [(p["format"], p["scope"]) for _, p in entries] == [("html", "all"), ("pdf", "confirmed")]
    assert not list(tmp_path.glob(".*.part"))
