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
    return report
