"""The append-only, hash-chained audit log.

Each entry's hash covers its sequence number, time, actor, action, entity, entity id,
payload, the content hashes of the records its transaction changed (``storage/content.py``)
and the previous entry's hash, so changing, removing or reordering any entry
breaks the chain from that point on. Entries are written in the same transaction as the
change they describe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.storage.models import AuditEntry, StoreMeta

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
TRANSACTION_ENTRIES = "audit_entries"  # session.info: the entries appended in this transaction


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def entry_hash(
    seq: int,
    ts: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: str,
    prev_hash: str,
    content: str | None = None,
) -> str:
    parts = [str(seq), ts, actor, action, entity, entity_id, payload, prev_hash]
    if content is not None:  # entries written before content hashes existed hash as they always did
        parts.append(content)
    material = "\x1f".join(parts)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def ts_text(ts: datetime) -> str:
    """An audit timestamp as it is hashed: UTC, microseconds, a Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain within the caller's transaction."""
    head = session.get(StoreMeta, HEAD_KEY, with_for_update=True)
    if head is None:
        head = StoreMeta(key=HEAD_KEY, value=f"0:{GENESIS}")
        session.add(head)
    last_seq_text, prev_hash = head.value.split(":", 1)
    seq = int(last_seq_text) + 1
    # Microsecond precision, stored and hashed identically on every backend.
    ts = datetime.now(UTC)
    payload_text = canonical_json(payload or {})
    digest = entry_hash(seq, ts_text(ts), actor, action, entity, entity_id, payload_text, prev_hash)
    entry = AuditEntry(
        seq=seq,
        ts=ts,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        payload=payload_text,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    head.value = f"{seq}:{digest}"
    session.info.setdefault(TRANSACTION_ENTRIES, []).append(entry)
    return entry


def last_entry_of_transaction(session: Session) -> AuditEntry | None:
    entries: list[AuditEntry] = session.info.get(TRANSACTION_ENTRIES) or []
    return entries[-1] if entries else None


def attach_content(session: Session, entry: AuditEntry, hashes: Mapping[str, str | None]) -> None:
    """Put the content hashes of the records a transaction changed into its last entry (and its hash).

    Called just before commit (``storage/content.py``): nothing has been chained after
    this entry yet, so its hash and the chain head are simply recomputed.
    """
    entry.content = canonical_json(hashes)
    entry.hash = entry_hash(
        entry.seq,
        ts_text(entry.ts),
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.payload,
        entry.prev_hash,
        entry.content,
    )
    head = session.get(StoreMeta, HEAD_KEY)
    assert head is not None and head.value.split(":", 1)[0] == str(entry.seq)
    head.value = f"{entry.seq}:{entry.hash}"


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.message}"


def verify_chain(session: Session, *, batch: int = 5000) -> list[ChainProblem]:
    """Recompute every hash in order; report the first broken entry and any head mismatch."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    last_seq = 0
    for entry in iter_entries(session, batch=batch):
        if entry.seq != expected_seq:
            problems.append(ChainProblem(entry.seq, f"sequence gap: expected entry {expected_seq}"))
            return problems
        if entry.prev_hash != prev_hash:
            problems.append(ChainProblem(entry.seq, "does not point at the previous entry's hash"))
            return problems
        recomputed = entry_hash(
            entry.seq,
            ts_text(entry.ts),
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.payload,
            entry.prev_hash,
            entry.content,
        )
        if recomputed != entry.hash:
            problems.append(
                ChainProblem(entry.seq, f"content was altered ({entry.action} on {entry.entity} {entry.entity_id})")
            )
            return problems
        prev_hash = entry.hash
        last_seq = entry.seq
        expected_seq += 1
    head = session.get(StoreMeta, HEAD_KEY)
    if head is not None and head.value != f"{last_seq}:{prev_hash}":
        problems.append(
            ChainProblem(last_seq + 1, "entries after this point were removed (the chain head records more)")
        )
    return problems


def iter_entries(session: Session, *, entity_id: str | None = None, batch: int = 5000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
