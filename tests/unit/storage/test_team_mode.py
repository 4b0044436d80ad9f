"""Team mode on PostgreSQL: the login is the reviewer, and the server enforces the roles even against direct SQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from evidence_app.domain.errors import StoreError, ValidationError
from evidence_app.services import cases, incident_queries, incidents, review, team, verify
from evidence_app.services.context import Context
from evidence_app.storage import audit
from evidence_app.storage.db import open_store


@pytest.fixture
def team_db(pg_server, pg_url, tmp_path, monkeypatch):
    """A team database with an analyst, a supervisor and an auditor; yields a login -> URL function."""
    monkeypatch.setenv("EVIDENCE_APP_OBJECTS", str(tmp_path / "objects"))
    database = make_url(pg_url).database
    names = {role: f"{role[:3]}_{database}" for role in ("analyst", "supervisor", "auditor")}
    admin_store = open_store(pg_url)
    admin = Context(admin_store, "admin")
    team.init_team(admin, objects_dir=str(tmp_path / "objects"))
    for role, name in names.items():
        team.add_reviewer(admin, name, role)
    yield names, (lambda login: pg_server.url(database, user=login)), admin
    admin_store.close()


def login_ctx(url: str) -> Context:
    store = open_store(url)
    assert store.team_login is not None
    return Context(store, store.team_login)


def test_the_login_is_the_reviewer_in_the_audit_log_and_a_typed_name_is_refused(team_db):
    names, url, _ = team_db
    analyst = login_ctx(url(names["analyst"]))
    case = cases.create_case(analyst, "Logged case")
    with analyst.store.read() as session:
        actors = {e.actor for e in audit.iter_entries(session, entity_id=case.id)}
    assert actors == {names["analyst"]}
    with pytest.raises(StoreError, match="in your own name"):
        cases.create_case(Context(analyst.store, "someone-else"), "Forged case")
    analyst.store.close()


def test_an_analyst_cannot_confirm_even_its_own_proposal_by_direct_sql(team_db):
    names, url, _ = team_db
    analyst = login_ctx(url(names["analyst"]))
    case = cases.create_case(analyst, "Four eyes", four_eyes=True)
    from datetime import UTC, datetime

    incident = incidents.add_incident(analyst, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124)
    engine = create_engine(url(names["analyst"]))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incidents SET status = 'under_review', confirmation_proposed_by = session_user WHERE id = :i"),
            {"i": incident.id},
        )
    with pytest.raises(DBAPIError, match="only a supervisor may confirm"), engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET status = 'confirmed' WHERE id = :i"), {"i": incident.id})
    # Nor may it write a proposal in another reviewer's name.
    with pytest.raises(DBAPIError, match="in your own name"), engine.begin() as conn:
        conn.execute(
            text("UPDATE incidents SET confirmation_proposed_by = :s WHERE id = :i"),
            {"s": names["supervisor"], "i": incident.id},
        )
    engine.dispose()
    # A supervisor may not confirm its own proposal either, but may confirm the analyst's.
    supervisor = create_engine(url(names["supervisor"]))
    with supervisor.begin() as conn:
        proposer = conn.execute(
            text("SELECT confirmation_proposed_by FROM incidents WHERE id = :i"), {"i": incident.id}
        ).scalar()
        assert proposer == names["analyst"]
        conn.execute(text("UPDATE incidents SET status = 'confirmed' WHERE id = :i"), {"i": incident.id})
    supervisor.dispose()
    analyst.store.close()


def test_a_supervisor_cannot_confirm_its_own_proposal(team_db):
    names, url, _ = team_db
    engine = create_engine(url(names["supervisor"]))
    supervisor = login_ctx(url(names["supervisor"]))
    case = cases.create_case(supervisor, "Four eyes", four_eyes=True)
    from datetime import UTC, datetime

    incident = incidents.add_incident(
        supervisor, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124
    )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incidents SET status = 'under_review', confirmation_proposed_by = session_user WHERE id = :i"),
            {"i": incident.id},
        )
    with pytest.raises(DBAPIError, match="four-eyes review"), engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET status = 'confirmed' WHERE id = :i"), {"i": incident.id})
    engine.dispose()
    supervisor.store.close()


def test_nobody_but_the_owner_edits_or_removes_audit_entries_by_direct_sql(team_db):
    names, url, _ = team_db
    analyst = login_ctx(url(names["analyst"]))
    cases.create_case(analyst, "Some case")
    analyst.store.close()
    for login in (names["analyst"], names["supervisor"]):
        engine = create_engine(url(login))
        for statement in (
            "UPDATE audit_entries SET payload = '{}' WHERE seq = (SELECT max(seq) FROM audit_entries)",
            "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)",
            "TRUNCATE audit_entries",
        ):
            with pytest.raises(DBAPIError, match="permission denied|append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        engine.dispose()


def test_an_auditor_reads_and_verifies_but_cannot_write(team_db):
    names, url, admin = team_db
    cases.create_case(admin, "Audited case")
    auditor = login_ctx(url(names["auditor"]))
    assert [c.title for c in cases.list_cases(auditor)] == ["Audited case"]
    assert verify.verify_store(auditor.store).ok
    with pytest.raises(StoreError, match="refused this for your login"):
        cases.create_case(auditor, "Not allowed")
    engine = create_engine(url(names["auditor"]))
    for statement in ("UPDATE cases SET title = 'x'", "DELETE FROM audit_entries", "UPDATE store_meta SET value = ''"):
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    auditor.store.close()


def test_four_eyes_through_the_services_records_both_logins(team_db, tmp_path):
    names, url, _ = team_db
    analyst = login_ctx(url(names["analyst"]))
    supervisor = login_ctx(url(names["supervisor"]))
    case = cases.create_case(analyst, "Four eyes", four_eyes=True)
    from datetime import UTC, datetime

    from evidence_app.services import evidence

    incident = incidents.add_incident(analyst, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124)
    photo = tmp_path / "photo.txt"
    photo.write_text("a report")
    evidence.attach_files(analyst, incident.id, [photo], kind="document")
    review.review(analyst, incident.id, "confirmed", rationale="two tankers alongside")
    assert incident_queries.get_incident(analyst, incident.id).confirmation_proposed_by == names["analyst"]
    with pytest.raises(ValidationError, match="a different reviewer must confirm"):
        review.review(analyst, incident.id, "confirmed", rationale="again")
    # Typing the supervisor's name does not make the analyst one: the server refuses.
    with pytest.raises(StoreError, match="refused this for your login: only a supervisor may confirm"):
        review.review(analyst, incident.id, "confirmed", rationale="forged", reviewer=names["supervisor"])
    review.review(supervisor, incident.id, "confirmed", rationale="agreed")
    assert incident_queries.get_incident(supervisor, incident.id).status == "confirmed"
    with supervisor.store.read() as session:
        actions = [(e.actor, e.action) for e in audit.iter_entries(session, entity_id=incident.id)]
    assert (names["analyst"], "incident.propose") in actions
    assert actions[-1] == (names["supervisor"], "incident.review")
    assert verify.verify_store(supervisor.store).ok
    analyst.store.close()
    supervisor.store.close()


def test_team_commands_set_up_reviewers_and_the_cli_acts_as_the_login(pg_server, pg_url, tmp_path, monkeypatch, capsys):
    from evidence_app.cli import main

    database = make_url(pg_url).database
    monkeypatch.delenv("EVIDENCE_APP_OBJECTS", raising=False)
    monkeypatch.setenv("EVIDENCE_APP_DB", pg_url)  # the administrator
    shared = tmp_path / "shared-evidence"
    assert main(["team", "init", "--objects", str(shared)]) == 0
    dora = f"dora_{database}"
    assert main(["team", "add-reviewer", dora, "--role", "analyst"]) == 0
    capsys.readouterr()
    assert main(["--json", "team", "list"]) == 0
    assert {"name": dora, "role": "analyst"} in json.loads(capsys.readouterr().out)

    analyst = pg_server.url(database, user=dora)
    assert main(["--db", analyst, "--json", "case", "create", "Shared case"]) == 0
    case_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["--db", analyst, "--reviewer", "somebody-else", "case", "list"]) == 1
    assert "on a team database you act as your database login" in capsys.readouterr().err
    assert main(["--db", analyst, "--json", "audit", "--entity", case_id]) == 0
    assert [e["actor"] for e in json.loads(capsys.readouterr().out)] == [dora]
    # The evidence folder comes from the database: a client that names none uses it.
    store = open_store(analyst)
    assert store.objects.root == shared.resolve()
    store.close()


def test_team_init_needs_postgresql(tmp_path, monkeypatch, capsys):
    from evidence_app.cli import main

    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    assert main(["team", "init"]) == 1
    assert "team mode needs a PostgreSQL store" in capsys.readouterr().err
