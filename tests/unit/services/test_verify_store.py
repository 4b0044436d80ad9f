"""verify proves the store, not only the chain: files, records against the log, and the signed head.

Each test plays the adversary with the tools one has outside the app: chmod, ln -s, the
database's own shell (sqlite3, psql), a script that recomputes the whole chain. They run on
SQLite and on PostgreSQL.
"""

import json
import shutil

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.services import casefiles, evidence, review
from evidence_app.services.verify import verify_store
from evidence_app.storage import audit
from evidence_app.storage.models import AuditEntry, Evidence, StoreMeta


@pytest.fixture
def attached(ctx, sample_case, tmp_path):
    _, incident = sample_case
    photo = tmp_path / "sighting.txt"
    photo.write_text("two tankers alongside, hoses rigged")
    evidence.attach_files(ctx, incident.id, [photo])
    with ctx.store.read() as session:
        item = session.scalars(select(Evidence)).one()
    assert verify_store(ctx.store).ok
    return incident, item


pytestmark = pytest.mark.backends


def sql(store, statement, *params):
    """An edit behind the app's back, as the sqlite3 shell or psql would make it (no app code runs)."""
    raw = store.engine.raw_connection()
    try:
        mark = "?" if store.is_sqlite else "%s"
        raw.cursor().execute(statement.replace("?", mark), params)
        raw.commit()
    finally:
        raw.close()


def test_a_writable_evidence_file_is_named(ctx, attached):
    _, item = attached
    ctx.store.objects.path_for(item.sha256).chmod(0o644)
    report = verify_store(ctx.store)
    assert report.problems == [
        f"evidence {item.id} (sighting.txt, sha256 {item.sha256[:12]}…): is writable (mode 644): "
        "evidence files are kept read-only; someone changed that"
    ]


def test_a_symlinked_evidence_file_is_named(ctx, attached, tmp_path):
    _, item = attached
    path = ctx.store.objects.path_for(item.sha256)
    elsewhere = tmp_path / "elsewhere.txt"
    shutil.copy(path, elsewhere)  # same bytes, so the hash alone would pass
    path.chmod(0o644)
    path.unlink()
    path.symlink_to(elsewhere)
    report = verify_store(ctx.store)
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"evidence {item.id} (sighting.txt")
    assert f"is a symbolic link (to {elsewhere})" in report.problems[0]


def test_a_status_edited_in_the_database_is_named_with_its_record(ctx, sample_case):
    _, incident = sample_case
    sql(ctx.store, "UPDATE incidents SET status = 'confirmed' WHERE id = ?", incident.id)
    report = verify_store(ctx.store)
    assert report.problems == [
        f"incident {incident.id} (STS south of Dalian): differs from what audit entry 4 (incident.create by analyst-a) "
        "recorded: changed behind the app's back"
    ]


def test_a_reviewer_edited_added_or_deleted_in_the_database_is_named(ctx, sample_case):
    _, incident = sample_case
    event = review.review(ctx, incident.id, "under_review", rationale="tip-off")[0]
    assert verify_store(ctx.store).ok
    sql(ctx.store, "UPDATE review_events SET reviewer = 'someone-else' WHERE id = ?", event.id)
    assert [p.split(":")[0] for p in verify_store(ctx.store).problems] == [f"review event {event.id} (under_review)"]
    sql(ctx.store, "DELETE FROM review_events WHERE id = ?", event.id)
    problems = verify_store(ctx.store).problems
    assert problems == [
        f"review event {event.id}: gone, but audit entry 5 (incident.review by analyst-a) says it exists: "
        "deleted behind the app's back"
    ]
    sql(ctx.store, "INSERT INTO tags (id, name) VALUES ('forged-tag', 'cleared')")
    assert (
        "tag forged-tag (cleared): not in the audit log: added behind the app's back"
        in verify_store(ctx.store).problems
    )


def rewrite_chain(store, change):
    """Change the records, then recompute every entry's content hashes, hash and the head: a perfect forgery of the chain."""
    from evidence_app.storage import content

    change()
    with Session(store.engine) as session, session.begin():
        prev = audit.GENESIS
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            if entry.content is not None:
                claims = json.loads(entry.content)
                entry.content = audit.canonical_json({**claims, **content.current_hashes(session, claims)})
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(
                entry.seq,
                audit.ts_text(entry.ts),
                entry.actor,
                entry.action,
                entry.entity,
                entry.entity_id,
                entry.payload,
                entry.prev_hash,
                entry.content,
            )
            prev = entry.hash
        session.get(StoreMeta, audit.HEAD_KEY).value = f"{entry.seq}:{prev}"


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint_of_an_export(ctx, sample_case, tmp_path):
    case, incident = sample_case
    casefiles.export_case(ctx, case.id, tmp_path / "out.evcase", with_report=False)
    assert verify_store(ctx.store).ok
    rewrite_chain(
        ctx.store, lambda: sql(ctx.store, "UPDATE incidents SET status = 'confirmed' WHERE id = ?", incident.id)
    )
    assert audit.verify_chain(Session(ctx.store.engine)) == []  # the chain alone is consistent again
    problems = verify_store(ctx.store).problems
    assert len(problems) == 1 and problems[0].startswith("audit entry 5: its hash is not the one analyst-a (key ")
    assert "the chain was rewritten" in problems[0] and f"export of case {case.id}" in problems[0]

    # Deleting the checkpoints from the database as well: the copies outside it still speak.
    sql(ctx.store, "DELETE FROM audit_checkpoints")
    problems = verify_store(ctx.store).problems
    assert any("is missing from the database: checkpoints were deleted" in p for p in problems)
    assert any("the chain was rewritten" in p for p in problems)


def test_a_truncated_chain_is_caught_by_the_checkpoint(ctx, sample_case, tmp_path):
    case, _ = sample_case
    casefiles.export_case(ctx, case.id, tmp_path / "out.evcase", with_report=False)
    rewrite_chain(ctx.store, lambda: sql(ctx.store, "DELETE FROM audit_entries WHERE seq = 5"))
    assert any("the chain now ends at 4: entries were removed" in p for p in verify_store(ctx.store).problems)


def test_a_store_built_through_the_services_verifies_every_record(ctx, attached):
    report = verify_store(ctx.store)
    assert report.ok, report.problems
    # case, two vessels, incident, two participants, evidence, its link, its (empty) AIS positions: none
    assert report.records_checked == 8
