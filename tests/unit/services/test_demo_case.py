"""The demo case: realistic, valid, audited, marked as demo, and created only once."""

import json
import subprocess
import sys

from PIL import Image
from sqlalchemy import func, select

from evidence_app.domain.identifiers import is_valid_imo
from evidence_app.services import cases, demo, incidents
from evidence_app.services.verify import verify_store
from evidence_app.storage import audit
from evidence_app.storage.models import AisPosition, Evidence, Vessel, VesselIdentity


def test_demo_case_contents(ctx):
    case_id = demo.open_demo_case(ctx)
    [row] = cases.list_cases(ctx)
    assert row.id == case_id and row.is_demo and row.caveat == "DEMO DATA — fictitious"
    assert row.incidents == 3 and row.confirmed == 1
    listed = incidents.list_incidents(ctx, incidents.IncidentFilter(case_id=case_id, order="start_utc"))
    assert sorted(r.status for r in listed) == ["confirmed", "rejected", "under_review"]
    transfer = next(r for r in listed if r.status == "under_review")
    assert 30.5 < transfer.lat < 31.5 and 123 < transfer.lon < 124
    assert transfer.vessels == "HAI RUN 16, SONGHAE 7" and "priority" in transfer.tags
    full = incidents.get_incident(ctx, transfer.id)
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
    assert json.loads(run().stdout)["created"] is False
