"""The audit log as people read it: this store's entries (all, or those about one record), oldest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.services.context import Context
from evidence_app.services.record_edits import plain, resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Case, Evidence, Incident, Vessel


@dataclass(frozen=True)
class AuditRow:
    """One entry of the hash-chained log, its payload as written (``payload_text``) and parsed."""

    seq: int
    ts: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    prev_hash: str
    hash: str
    payload_text: str

    @property
    def payload(self) -> Any:
        return json.loads(self.payload_text)

    def as_dict(self) -> dict[str, Any]:
        keys = ("seq", "ts", "actor", "action", "entity", "entity_id", "prev_hash", "hash")
        return {**{k: plain(getattr(self, k)) for k in keys}, "payload": self.payload}


def record_id(ctx: Context, ref: str) -> str:
    """The full id of the incident, case, vessel or evidence item ``ref`` names (id or unique prefix).

    A reference that names none of them is returned as given: the log also holds entries
    about records since deleted.
    """
    with ctx.store.read() as session:
        for model, label in ((Incident, "incident"), (Case, "case"), (Vessel, "vessel"), (Evidence, "evidence")):
            try:
                return resolve(session, model, ref, label).id  # type: ignore[arg-type]
            except UserError:
                continue
    return ref


def entries(ctx: Context, *, entity_id: str | None = None, limit: int | None = None) -> list[AuditRow]:
    """The store's audit entries in chain order (about ``entity_id`` only, when given); the last ``limit``."""
    with ctx.store.read() as session:
        rows = [
            AuditRow(e.seq, e.ts, e.actor, e.action, e.entity, e.entity_id, e.prev_hash, e.hash, e.payload)
            for e in audit.iter_entries(session, entity_id=entity_id)
        ]
    return rows[-limit:] if limit else rows
