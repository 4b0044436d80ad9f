"""The demo case: realistic, valid, audited, marked as demo, and created only once."""

import json
import subprocess
import sys

from PIL import Image
from sqlalchemy import func, select

from evidence_app.domain.identifiers import is_valid_imo
from evidence_app.services import cases, demo, incident_queries
from evidence_app.services.verify import verify_store
from evidence_app.storage import audit
from evidence_app.storage.models import AisPosition, Evidence, Vessel, VesselIdentity


def test_demo_case_contents(ctx):
    case_id = demo.open_demo_case(ctx)
    [row] = cases.list_cases(ctx)
    assert row.id == case_id and row.is_demo and row.caveat == "DEMO DATA — fictitious"
    assert row.incidents == 3 and row.confirmed == 1
    listed = incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(case_id=case_id, order="start_utc"))
    assert sorted(r.status for r in listed) == ["confirmed", "rejected", "under_review"]
    transfer = next(r for r in listed if r.status == "under_review")
    assert 30.5 < transfer.lat < 31.5 and 123 < transfer.lon < 124
    assert transfer.vessels == "HAI RUN 16, SONGHAE 7" and "priority" in transfer.tags
    full = incident_queries.get_incident(ctx, transfer.id)
    assert {"alongside", "hoses", "ais_off"} <= set(full.indicators)
    assert {p.claimed_name for p in full.participants} == {"OCEAN BREEZE 8", ""}
    with ctx.store.read() as session:
        for v in session.scalars(select(Vessel)):
            assert is_valid_imo(v.imo)
            assert len(str(v.mmsi)) == 9
        flags = [i.flag for i in session.scalars(select(VesselIdentity).order_by(VesselIdentity.first_seen))]
        assert flags == ["Sierra Leone", "North Korea"]
        kinds = {e.kind: e for e in session.scalars(select(Evidence))}
        assert set(kinds) == {"ais", "photo"}
        n_positions = session.scalar(
            select(func.count()).select_from(AisPosition).where(AisPosition.evidence_id == kinds["ais"].id)
        )
        assert n_positions > 500
        photo_path = ctx.store.objects.path_for(kinds["photo"].sha256)
        actions = [e.action for e in audit.iter_entries(session)]
    assert Image.open(photo_path).size == (1280, 960)
    assert (
        actions.count("incident.create") == 3 and "ais.positions_add" in actions and actions.count("evidence.link") == 3
    )
    assert verify_store(ctx.store).ok
    # opened again: the same case, nothing added
    assert demo.open_demo_case(ctx) == case_id
    assert len(cases.list_cases(ctx)) == 1


def test_demo_cli(tmp_path):
    env_db = str(tmp_path / "s.sqlite")

    def run():
        return subprocess.run(
            [sys.executable, "-m", "evidence_app", "--db", env_db, "--json", "demo"],
            capture_output=True,
            text=True,
            timeout=120,
            env={"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )

    first = run()
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["created"] is True and data["incidents"] == 3
    assert data["store"] == str(tmp_path / "s.demo.sqlite")
    listed = subprocess.run(
        [sys.executable, "-m", "evidence_app", "--db", env_db, "--json", "case", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(listed.stdout) == []  # nothing of the demo in the store named by --db
    assert json.loads(run().stdout)["created"] is False


def test_the_demo_lives_in_its_own_store_and_the_users_store_is_untouched(ctx, store):
    from sqlalchemy import func, select

    from evidence_app.storage.models import AisPosition, AuditEntry, Vessel

    def contents(s):
        with s.read() as session:
            return tuple(session.scalar(select(func.count()).select_from(t)) for t in (AuditEntry, Vessel, AisPosition))

    cases.create_case(ctx, "Real work")
    before = contents(store)
    opened = demo.open_demo_store(store.location, "analyst-a")
    try:
        assert opened.created
        assert opened.ctx.store.location.sqlite_path == store.location.sqlite_path.with_name("store.demo.sqlite")
        assert [c.is_demo for c in cases.list_cases(opened.ctx)] == [True]
        assert contents(opened.ctx.store)[2] > 500  # the demo's AIS is in the demo store
    finally:
        opened.ctx.store.close()
    assert contents(store) == before
    assert [c.title for c in cases.list_cases(ctx)] == ["Real work"]
    again = demo.open_demo_store(store.location, "analyst-a")
    again.ctx.store.close()
    assert not again.created and again.case_id == opened.case_id
