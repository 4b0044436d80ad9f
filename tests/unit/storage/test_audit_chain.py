"""The hash-chained audit log: appends, verification and tamper detection."""

import pytest

from evidence_app.storage import audit
from evidence_app.storage.models import AuditEntry

pytestmark = pytest.mark.backends


def _sql(store, statement):
    """An edit behind the app's back, through the database's own driver."""
    raw = store.engine.raw_connection()
    try:
        raw.cursor().execute(statement)
        raw.commit()
    finally:
        raw.close()


def _append(store, n):
    for i in range(n):
        with store.write() as session:
            audit.record(session, "tester", "thing.update", "thing", f"id{i}", {"i": i, "note": "ü"})


def test_chain_links_every_entry(store):
    _append(store, 5)
    with store.read() as session:
        entries = list(audit.iter_entries(session))
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
        assert audit.verify_chain(session) == []


def test_edited_payload_names_the_first_broken_entry(store):
    _append(store, 6)
    _sql(store, """UPDATE audit_entries SET payload = '{"i":99}' WHERE seq = 3""")
    with store.read() as session:
        problems = audit.verify_chain(session)
    assert len(problems) == 1 and problems[0].seq == 3
    assert "audit entry 3" in str(problems[0]) and "altered" in str(problems[0])


def test_deleted_tail_is_detected(store):
    _append(store, 4)
    _sql(store, "DELETE FROM audit_entries WHERE seq = 4")
    with store.read() as session:
        problems = audit.verify_chain(session)
    assert problems and "removed" in problems[0].message


def test_deleted_middle_entry_is_a_gap(store):
    _append(store, 4)
    _sql(store, "DELETE FROM audit_entries WHERE seq = 2")
    with store.read() as session:
        problems = audit.verify_chain(session)
    assert problems[0].seq == 3 and "gap" in problems[0].message


def test_entry_rolls_back_with_its_change(store):
    try:
        with store.write() as session:
            audit.record(session, "tester", "x", "thing", "1", {})
            raise ValueError
    except ValueError:
        pass
    with store.read() as session:
        assert session.query(AuditEntry).count() == 0
        assert audit.verify_chain(session) == []
    _append(store, 1)
    with store.read() as session:
        assert session.query(AuditEntry).one().seq == 1
