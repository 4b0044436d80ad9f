"""Two processes set the same field from the same version: one saves, the other gets a conflict; both are audited."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]


def launch(tmp_path: Path, db: str, reviewer: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "EVIDENCE_APP_DB": db,
        "EVIDENCE_APP_REVIEWER": reviewer,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "EVIDENCE_APP_CONFIG": str(tmp_path / "config"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "evidence_app", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def shown(tmp_path, monkeypatch, capsys, store_url):
    """``incident show`` in this process, on the store the child processes use."""
    from evidence_app.cli import main

    monkeypatch.setenv("EVIDENCE_APP_DB", store_url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def show(incident_id: str) -> str:
        assert main(["incident", "show", incident_id]) == 0
        return capsys.readouterr().out.splitlines()[0]

    return show


REVIEW = ("review", "{id}", "--status", "{value}", "--rationale", "seen", "--expected-version", "{version}")
EDIT = ("incident", "edit", "{id}", "--title", "{value}", "--expected-version", "{version}")


# Two clients of a PostgreSQL team database run the edit case (the review case takes the same path).
@pytest.mark.parametrize(
    ("backend", "command"),
    [("sqlite", REVIEW), ("sqlite", EDIT), ("postgresql", EDIT)],
    indirect=["backend"],
    ids=["sqlite-review", "sqlite-edit", "postgresql-edit"],
)
def test_two_processes_setting_one_field_the_second_gets_a_conflict(tmp_path, shown, command, store_url):
    from datetime import UTC, datetime

    from evidence_app.services import cases, incidents
    from evidence_app.services.context import Context
    from evidence_app.storage import audit
    from evidence_app.storage.db import open_store

    store = open_store(store_url)
    lead = Context(store, "lead")
    case = cases.create_case(lead, "Yellow Sea")
    incident_id = incidents.add_incident(
        lead, case.id, start_utc=datetime(2019, 3, 11, 14, tzinfo=UTC), lat=36.5, lon=123.9, title="STS"
    ).id
    assert shown(incident_id).endswith("version 1")
    values = (
        {"alice": "under_review", "bob": "rejected"} if command[0] == "review" else {"alice": "Alice", "bob": "Bob"}
    )
    procs = {
        who: launch(
            tmp_path, store_url, who, *(a.format(id=incident_id, value=values[who], version=1) for a in command)
        )
        for who in values
    }
    results = {who: (p.wait(timeout=120), *p.communicate()) for who, p in procs.items()}
    assert sorted(code for code, _, _ in results.values()) == [0, 1], results
    loser = next(who for who, (code, _, _) in results.items() if code == 1)
    winner = next(who for who in values if who != loser)
    err = results[loser][2]
    assert f"was changed by {winner} at " in err and f"you wanted '{values[loser]}'" in err and "Traceback" not in err
    with store.read() as session:
        log = [(e.actor, e.action) for e in audit.iter_entries(session, entity_id=incident_id)]
    store.close()
    assert log[-1] == (loser, "edit-conflict")
    assert log[-2][0] == winner and log[-2][1] in ("incident.review", "incident.update")
    steps = 2 if values[winner] == "rejected" else 1  # suspected -> rejected is recorded as two steps
    assert shown(incident_id).endswith(f"version {1 + steps}")
