"""Verifying a store: it proves the store, not only the chain.

- every evidence file is a read-only regular file inside the store, re-hashed;
- the audit chain is recomputed, and checked against the signed checkpoints of its head
  (database and the copies outside it), so a wholesale rewrite is caught;
- every record's current content equals what the audit log says it is (content hashes
  replayed over the chain), so an edit made behind the application's back is named.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.storage import audit, checkpoints, content
from evidence_app.storage.db import Store, integrity_problem
from evidence_app.storage.models import AuditEntry, Evidence, StoreMeta

# How a record is named in a problem: the table and the column that says what it is.
RECORD_LABELS = {
    "cases": ("case", "title"),
    "vessels": ("vessel", "name"),
    "vessel_identities": ("vessel identity", "name"),
    "designations": ("designation", "authority"),
    "incidents": ("incident", "title"),
    "participants": ("participant", "role"),
    "evidence": ("evidence", "original_name"),
    "incident_evidence": ("evidence link", "relation"),
    "annotations": ("annotation", "label"),
    "review_events": ("review event", "to_status"),
    "tags": ("tag", "name"),
    "incident_tags": ("incident tag", None),
    "evidence_tags": ("evidence tag", None),
    content.POSITIONS: ("AIS positions of evidence", None),
}


@dataclass
class VerifyReport:
    evidence_checked: int = 0
    bytes_checked: int = 0
    audit_entries: int = 0
    records_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)
    # Not problems (a killed attach leaves them; nothing is lost), but worth a `gc`.
    unreferenced_objects: int = 0
    stale_temporaries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def verify_store(
    store: Store, *, progress: Progress = no_progress, cancel: CancelToken = NEVER_CANCELLED
) -> VerifyReport:
    report = VerifyReport()
    damage = integrity_problem(store.engine, full=True)  # every table, the bulk ones included
    if damage:
        report.problems.append(f"database: SQLite's quick_check found damage: {damage}")
    with store.read() as session:
        items = session.execute(
            select(Evidence.id, Evidence.sha256, Evidence.size, Evidence.original_name).order_by(Evidence.created_at)
        ).all()
        total_bytes = sum(i.size for i in items)
        objects_root = store.objects.root
        for item in items:
            cancel.raise_if_cancelled()
            problem = file_problem(store.objects.path_for(item.sha256), objects_root) or store.objects.verify(
                item.sha256
            )
            if problem is None:
                size = store.objects.path_for(item.sha256).stat().st_size
                if size != item.size:
                    problem = f"size is {size} bytes, recorded {item.size}"
            if problem:
                report.problems.append(
                    f"evidence {item.id} ({item.original_name}, sha256 {item.sha256[:12]}…): {problem}"
                )
            report.evidence_checked += 1
            report.bytes_checked += item.size
            progress(report.bytes_checked, total_bytes, f"evidence {report.evidence_checked}/{len(items)}")
        report.audit_entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        report.problems.extend(str(p) for p in audit.verify_chain(session))
        report.checkpoints_checked, found = checkpoints.verify_checkpoints(session, store.objects.root)
        report.problems.extend(found)
        progress(0, 0, "records against the audit log")
        report.records_checked, found = verify_content(session, cancel)
        report.problems.extend(found)
        report.problems.extend(verify_imported_audit(session))
    try:
        leftovers = store.objects.collect(store.referenced_objects, dry_run=True)
    except OSError:  # read-only media: nothing can be collected anyway
        pass
    else:
        report.unreferenced_objects = len(leftovers.unreferenced)
        report.stale_temporaries = len(leftovers.stale_temporaries)
    return report


def leftovers_line(report: VerifyReport) -> str:
    """The line of the report about what `gc` would remove."""
    return (
        f"{report.unreferenced_objects} unreferenced evidence object(s) and {report.stale_temporaries}"
        " stale temporary item(s)"
        + (" (`evidence-app gc` removes them)" if report.unreferenced_objects or report.stale_temporaries else "")
    )


def file_problem(path: Path, objects_root: Path) -> str | None:
    """An evidence file must be a regular, read-only file inside the store, not a link to elsewhere."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None  # the re-hash names a missing file
    except OSError as exc:
        return f"cannot be examined ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return f"is a symbolic link (to {os.readlink(path)}), not a file inside the store: evidence must be stored, not linked"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if not os.path.realpath(path).startswith(os.path.realpath(objects_root) + os.sep):
        return "lies outside the store (a folder on its path is a link)"
    if info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable (mode {stat.S_IMODE(info.st_mode):o}): evidence files are kept read-only; someone changed that"
    return None


def _describe(session: Session, key: str) -> str:
    table, *pk = key.split("/")
    label, column = RECORD_LABELS.get(table, (table, None))
    name = ""
    if column is not None and table in content.TRACKED:
        t = content.TRACKED[table]
        value = session.execute(select(t.c[column]).where(t.primary_key.columns.values()[0] == pk[0])).scalar()
        name = f" ({value})" if value not in (None, "") else ""
    return f"{label} {'/'.join(pk)}{name}"


def verify_content(session: Session, cancel: CancelToken = NEVER_CANCELLED) -> tuple[int, list[str]]:
    """Replay the content hashes of the audit log and compare them with every record now; (records, problems)."""
    problems: list[str] = []
    claims: dict[str, tuple[str | None, int]] = {}
    entries: dict[int, tuple[str, str]] = {}
    first_claim = None
    query = (
        select(AuditEntry.seq, AuditEntry.action, AuditEntry.actor, AuditEntry.content)
        .where(AuditEntry.content.is_not(None))
        .order_by(AuditEntry.seq)
    )
    for seq, action, actor, text in session.execute(query.execution_options(yield_per=5000)):
        if action == content.BASELINE_ACTION and first_claim is not None:
            problems.append(
                f"audit entry {seq}: a second content baseline after entry {first_claim} already held hashes; "
                "it would hide edits made behind the app's back"
            )
        first_claim = first_claim or seq
        entries[seq] = (action, actor)
        try:
            for key, digest in json.loads(text).items():
                claims[key] = (digest, seq)
        except (ValueError, AttributeError):
            problems.append(f"audit entry {seq}: its content hashes are not readable")
    if session.get(StoreMeta, content.BASELINE_KEY) is None:
        problems.append(
            "this store was never opened for writing since content hashes were introduced: records are not covered yet"
        )
        return 0, problems
    checked = 0
    seen: set[str] = set()
    for key, digest in content.iter_all_hashes(session):
        checked += 1
        if checked % 20000 == 0:
            cancel.raise_if_cancelled()
        seen.add(key)
        claim = claims.get(key)
        if claim is None or claim[0] is None:
            problems.append(f"{_describe(session, key)}: not in the audit log: added behind the app's back")
        elif claim[0] != digest:
            action, actor = entries[claim[1]]
            problems.append(
                f"{_describe(session, key)}: differs from what audit entry {claim[1]} ({action} by {actor}) "
                "recorded: changed behind the app's back"
            )
    for key, (digest, seq) in claims.items():
        if digest is not None and key not in seen:
            action, actor = entries[seq]
            table, *pk = key.split("/")
            label = RECORD_LABELS.get(table, (table, None))[0]
            problems.append(
                f"{label} {'/'.join(pk)}: gone, but audit entry {seq} ({action} by {actor}) says it exists: "
                "deleted behind the app's back"
            )
    return checked, problems


def verify_imported_audit(session: Any) -> list[str]:
    """Audit entries imported from other stores: each hash recomputed, links between
    consecutive entries checked, and each import's set matched against the digest that
    the local chain recorded when it came in."""
    from evidence_app.casefile.merge import imported_digest
    from evidence_app.storage.models import ImportedAuditEntry

    problems: list[str] = []
    by_import: dict[str, list[tuple[str, int, str]]] = {}
    previous: ImportedAuditEntry | None = None
    for e in session.scalars(
        select(ImportedAuditEntry).order_by(ImportedAuditEntry.origin_store_id, ImportedAuditEntry.seq)
    ):
        recomputed = audit.entry_hash(
            e.seq, e.ts, e.actor, e.action, e.entity, e.entity_id, e.payload, e.prev_hash, e.content
        )
        if recomputed != e.hash:
            problems.append(f"imported audit entry {e.seq} of store {e.origin_store_id}: content was altered")
        if (
            previous is not None
            and previous.origin_store_id == e.origin_store_id
            and previous.seq + 1 == e.seq
            and e.prev_hash != previous.hash
        ):
            problems.append(
                f"imported audit entry {e.seq} of store {e.origin_store_id}: does not point at entry {previous.seq}"
            )
        by_import.setdefault(e.import_id, []).append((e.origin_store_id, e.seq, e.hash))
        previous = e
    imports = [
        (entry, json.loads(entry.payload))
        for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "casefile.import").order_by(AuditEntry.seq)
        )
    ]
    # An unverified entry replaced later by a signed copy still counts for the import that brought it.
    for _entry, payload in imports:
        for origin, seq, digest, old_import in payload.get("imported_audit", {}).get("superseded", []):
            by_import.setdefault(old_import, []).append((origin, seq, digest))
    anchored: set[str] = set()
    for entry, payload in imports:
        import_id = payload.get("import_id")
        expected = payload.get("imported_audit", {})
        anchored.add(import_id)
        got = by_import.get(import_id, [])
        if len(got) != expected.get("count", 0) or imported_digest(got) != expected.get("digest"):
            problems.append(
                f"audit entry {entry.seq}: the audit entries imported with it ({len(got)} now, {expected.get('count')} then)"
                " no longer match the digest recorded at import"
            )
    for import_id in set(by_import) - anchored:
        problems.append(
            f"{len(by_import[import_id])} imported audit entries belong to no recorded import ({import_id})"
        )
    return problems
