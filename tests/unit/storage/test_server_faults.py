"""The PostgreSQL server stopped during work: a clear error, no partial write, and work resumes when it is back."""

from __future__ import annotations

import pytest

from evidence_app.domain.errors import StoreError
from evidence_app.services import incident_queries, incidents
from evidence_app.services.verify import verify_store
from evidence_app.storage import audit
from evidence_app.storage.models import AuditEntry, Case

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


def audit_count(store) -> int:
    with store.read() as session:
        return len(list(audit.iter_entries(session)))


def test_a_stopped_server_is_named_and_the_edit_lands_once_it_is_back(pg_server, ctx, sample_case):
    _, incident = sample_case
    before = audit_count(ctx.store)
    pg_server.stop()
    try:
        with pytest.raises(StoreError, match="connection to .* was lost.*nothing of this change was saved"):
            incidents.update_incident(ctx, incident.id, title="Edited while the server was down")
    finally:
        pg_server.start()
    # The same open store carries on: stale connections are replaced, the edit is saved once.
    assert incident_queries.get_incident(ctx, incident.id).title == "STS south of Dalian"
    assert audit_count(ctx.store) == before
    incidents.update_incident(ctx, incident.id, title="Edited after the restart")
    assert incident_queries.get_incident(ctx, incident.id).title == "Edited after the restart"
    assert audit_count(ctx.store) == before + 1
    assert verify_store(ctx.store).ok


def test_a_server_stopped_inside_a_write_leaves_none_of_it(pg_server, ctx, sample_case):
    before = audit_count(ctx.store)
    with pytest.raises(StoreError, match="was lost"):
        with ctx.store.write() as session:
            session.add(Case(title="Half-written case"))
            audit.record(session, ctx.actor, "case.create", "case", "half", {})
            session.flush()  # the rows are on the server, uncommitted
            pg_server.stop()  # fast shutdown: the server ends this session's transaction
    pg_server.start()
    with ctx.store.read() as session:
        assert session.query(Case).filter_by(title="Half-written case").count() == 0
        assert session.query(AuditEntry).filter_by(entity_id="half").count() == 0
    assert audit_count(ctx.store) == before
    assert verify_store(ctx.store).ok
