"""Signed checkpoints of the audit chain head: the anchor that makes a rewritten chain detectable.

A hash chain alone proves only that it is consistent with itself: whoever can write the
database can recompute every entry and the head. A checkpoint is a statement "store S's
chain had entry N with hash H at time T", signed with the reviewer's Ed25519 key (kept
in their config folder, never in the store). It is written at each export and at the
end of each desk session, in three places: the database, ``checkpoints.jsonl`` beside the
evidence folder, and the reviewer's config folder. ``verify`` checks every copy it finds
against the chain: a rewrite changes entry N's hash; deleting the rows is seen against
the files.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.storage import signing
from evidence_app.storage.audit import HEAD_KEY, canonical_json
from evidence_app.storage.models import AuditCheckpoint, AuditEntry, StoreMeta

FILE_NAME = "checkpoints.jsonl"
CONFIG_FOLDER = "checkpoints"
STORE_ID_KEY = "store_id"  # the same key case files use to name this store
KIND = "evidence-app audit checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    statement: str  # canonical JSON, exactly as signed
    signature: str  # base64
    public_key: str  # base64 raw Ed25519

    @property
    def facts(self) -> dict[str, Any]:
        data = json.loads(self.statement)
        return data if isinstance(data, dict) else {}

    def signature_ok(self) -> bool:
        try:
            raw = signing.public_key_from_text(self.public_key, location="checkpoint")
            sig = base64.b64decode(self.signature.encode("ascii"), validate=True)
        except Exception:  # noqa: BLE001 (any malformed copy is simply not a valid signature)
            return False
        return signing.verify_signature(raw, sig, self.statement.encode("utf-8"))

    def as_line(self) -> str:
        return json.dumps(
            {"statement": self.statement, "signature": self.signature, "public_key": self.public_key},
            sort_keys=True,
            ensure_ascii=False,
        )


def store_id(session: Session) -> str:
    row = session.get(StoreMeta, STORE_ID_KEY)
    if row is None:
        row = StoreMeta(key=STORE_ID_KEY, value=str(uuid.uuid4()))
        session.add(row)
        session.flush()
    return row.value


def store_file(objects_root: Path) -> Path:
    return objects_root / FILE_NAME


def config_file(store_identity: str, config_dir: Path | None = None) -> Path:
    return (config_dir or signing.default_config_dir()) / CONFIG_FOLDER / f"{store_identity}.jsonl"


def write_checkpoint(
    session: Session, key: signing.SigningKey, reason: str, objects_root: Path, config_dir: Path | None = None
) -> Checkpoint | None:
    """Sign the current chain head (inside the caller's write transaction) and keep copies outside it.

    Returns None for an empty chain (nothing to anchor).
    """
    head = session.get(StoreMeta, HEAD_KEY, with_for_update=True)
    if head is None:
        return None
    seq_text, head_hash = head.value.split(":", 1)
    if int(seq_text) == 0:
        return None
    sid = store_id(session)
    statement = canonical_json(
        {
            "kind": KIND,
            "store_id": sid,
            "seq": int(seq_text),
            "head": head_hash,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reviewer": key.reviewer,
            "fingerprint": key.fingerprint,
            "reason": reason,
        }
    )
    checkpoint = Checkpoint(
        statement,
        base64.b64encode(key.sign(statement.encode("utf-8"))).decode("ascii"),
        signing.public_key_text(key.public_raw),
    )
    session.add(
        AuditCheckpoint(
            signature=checkpoint.signature, statement=checkpoint.statement, public_key=checkpoint.public_key
        )
    )
    session.flush()
    for path in (store_file(objects_root), config_file(sid, config_dir)):
        _append_line(path, checkpoint.as_line())
    return checkpoint


def _append_line(path: Path, line: str) -> None:
    # One write of one line with O_APPEND: concurrent writers never interleave inside a line.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in a copy, and a problem for each unreadable line."""
    found: list[Checkpoint] = []
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return found, problems
    except (OSError, UnicodeDecodeError) as exc:
        return found, [f"checkpoint copy {path}: cannot be read ({exc})"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(Checkpoint(str(data["statement"]), str(data["signature"]), str(data["public_key"])))
        except (ValueError, KeyError, TypeError):
            problems.append(f"checkpoint copy {path}:{number}: not a checkpoint line (damaged or edited)")
    return found, problems


def verify_checkpoints(session: Session, objects_root: Path, config_dir: Path | None = None) -> tuple[int, list[str]]:
    """Check every copy of every checkpoint of this store against the chain; (checked, problems)."""
    problems: list[str] = []
    sid_row = session.get(StoreMeta, STORE_ID_KEY)
    in_db = [Checkpoint(c.statement, c.signature, c.public_key) for c in session.scalars(select(AuditCheckpoint))]
    beside, bad = read_file(store_file(objects_root))
    problems += bad
    mine: list[Checkpoint] = []
    if sid_row is not None:
        mine, bad = read_file(config_file(sid_row.value, config_dir))
        problems += bad
    db_signatures = {c.signature for c in in_db}
    for label, copies in (("beside the evidence folder", beside), ("in your config folder", mine)):
        for c in copies:
            if c.signature not in db_signatures and c.facts.get("store_id") == (sid_row.value if sid_row else None):
                problems.append(
                    f"checkpoint of entry {c.facts.get('seq')} by {c.facts.get('reviewer')} (copy {label}) "
                    "is missing from the database: checkpoints were deleted"
                )
    unique = {c.signature: c for c in _all(in_db, beside, mine)}
    head = session.get(StoreMeta, HEAD_KEY)
    last_seq = int(head.value.split(":", 1)[0]) if head else 0
    for c in unique.values():
        facts = c.facts
        if facts.get("store_id") != (sid_row.value if sid_row else None):
            if c in in_db:
                problems.append(f"a checkpoint in the database belongs to another store ({facts.get('store_id')})")
            continue
        who = f"{facts.get('reviewer')} (key {str(facts.get('fingerprint', ''))[:19]})"
        if not c.signature_ok():
            problems.append(
                f"checkpoint of entry {facts.get('seq')} by {who}: the signature does not match (forged or altered)"
            )
            continue
        seq, expected = facts.get("seq"), facts.get("head")
        if not isinstance(seq, int) or seq > last_seq:
            problems.append(
                f"checkpoint by {who} signed entry {seq}, but the chain now ends at {last_seq}: entries were removed"
            )
            continue
        actual = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if actual != expected:
            problems.append(
                f"audit entry {seq}: its hash is not the one {who} signed at {facts.get('at')} "
                f"({facts.get('reason')}): the chain was rewritten"
            )
    return len(unique), problems


def _all(*groups: Iterable[Checkpoint]) -> list[Checkpoint]:
    return [c for group in groups for c in group]
