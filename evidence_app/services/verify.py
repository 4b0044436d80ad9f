"""Verifying a store: every evidence file re-hashed, the audit chain recomputed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.storage import audit
from evidence_app.storage.db import Store
from evidence_app.storage.models import AuditEntry, Evidence


@dataclass
class VerifyReport:
    evidence_checked: int = 0
    bytes_checked: int = 0
    audit_entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def verify_store(store: Store, *, progress: Progress = no_progress, cancel: CancelToken = NEVER_CANCELLED) -> VerifyReport:
    report = VerifyReport()
    with store.read() as session:
        items = session.execute(select(Evidence.id, Evidence.sha256, Evidence.size, Evidence.original_name).order_by(Evidence.created_at)).all()
        total_bytes = sum(i.size for i in items)
        for item in items:
            cancel.raise_if_cancelled()
            problem = store.objects.verify(item.sha256)
            if problem is None:
                size = store.objects.path_for(item.sha256).stat().st_size
                if size != item.size:
                    problem = f"size is {size} bytes, recorded {item.size}"
            if problem:
                report.problems.append(f"evidence {item.id} ({item.original_name}, sha256 {item.sha256[:12]}…): {problem}")
            report.evidence_checked += 1
            report.bytes_checked += item.size
            progress(report.bytes_checked, total_bytes, f"evidence {report.evidence_checked}/{len(items)}")
        report.audit_entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        report.problems.extend(str(p) for p in audit.verify_chain(session))
        report.problems.extend(verify_imported_audit(session))
    return report


def verify_imported_audit(session: Any) -> list[str]:
    """Audit entries imported from other stores: each hash recomputed, links between
    consecutive entries checked, and each import's set matched against the digest that
    the local chain recorded when it came in."""
    import json

    from evidence_app.casefile.merge import imported_digest
    from evidence_app.storage.models import ImportedAuditEntry

    problems: list[str] = []
    by_import: dict[str, list[tuple[str, int, str]]] = {}
    previous: ImportedAuditEntry | None = None
    for e in session.scalars(select(ImportedAuditEntry).order_by(ImportedAuditEntry.origin_store_id, ImportedAuditEntry.seq)):
        recomputed = audit.entry_hash(e.seq, e.ts, e.actor, e.action, e.entity, e.entity_id, e.payload, e.prev_hash)
        if recomputed != e.hash:
            problems.append(f"imported audit entry {e.seq} of store {e.origin_store_id}: content was altered")
        if previous is not None and previous.origin_store_id == e.origin_store_id and previous.seq + 1 == e.seq and e.prev_hash != previous.hash:
            problems.append(f"imported audit entry {e.seq} of store {e.origin_store_id}: does not point at entry {previous.seq}")
        by_import.setdefault(e.import_id, []).append((e.origin_store_id, e.seq, e.hash))
        previous = e
    imports = [(entry, json.loads(entry.payload)) for entry in
               session.scalars(select(AuditEntry).where(AuditEntry.action == "casefile.import").order_by(AuditEntry.seq))]
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
        problems.append(f"{len(by_import[import_id])} imported audit entries belong to no recorded import ({import_id})")
    return problems
