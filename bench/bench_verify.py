"""verify on a store with 100,000 incidents and 100,000 audit entries: evidence, chain, checkpoints and content.

The baseline is the chain recomputation alone (what verify did before it checked the
records against the log), measured in the same run on the same store.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

N = int(os.environ.get("BENCH_VERIFY_N", "100000"))


def bench_verify(tmp: Path) -> list[dict[str, Any]]:
    from sqlalchemy import insert, select

    from bench.bench_core import _insert_incidents
    from evidence_app.services import cases
    from evidence_app.services.context import Context
    from evidence_app.services.verify import verify_store
    from evidence_app.storage import audit, content
    from evidence_app.storage.db import open_store
    from evidence_app.storage.models import AuditEntry, Incident, StoreMeta

    store = open_store(tmp / "verify.sqlite")
    ctx = Context(store, "bench")
    case = cases.create_case(ctx, "bench")
    _insert_incidents(store, case.id, N)
    with store.write() as session:
        keys = [content.record_key("incidents", [i]) for i in session.scalars(select(Incident.id))]
        hashes = content.current_hashes(session, keys)
        # One entry per incident, as if each had been added through the services, chained
        # exactly as audit.record chains them (written in bulk: the bench is about verify).
        head = session.get(StoreMeta, audit.HEAD_KEY)
        seq, prev = (int(head.value.split(":")[0]), head.value.split(":")[1]) if head else (0, audit.GENESIS)
        now = datetime.now(UTC)
        rows = []
        for key in keys:
            seq += 1
            ts = now + timedelta(microseconds=seq)
            payload = audit.canonical_json({"title": "bulk"})
            claim = audit.canonical_json({key: hashes[key]})
            digest = audit.entry_hash(
                seq, audit.ts_text(ts), "bench", "incident.create", "incident", key[10:], payload, prev, claim
            )
            rows.append(
                {
                    "seq": seq,
                    "ts": ts,
                    "actor": "bench",
                    "action": "incident.create",
                    "entity": "incident",
                    "entity_id": key[10:],
                    "payload": payload,
                    "prev_hash": prev,
                    "hash": digest,
                    "content": claim,
                }
            )
            prev = digest
        session.execute(insert(AuditEntry), rows)
        if head is None:
            session.add(StoreMeta(key=audit.HEAD_KEY, value=f"{seq}:{prev}"))
        else:
            head.value = f"{seq}:{prev}"
    best_full, best_chain = float("inf"), float("inf")
    for _ in range(2):
        t = time.perf_counter()
        report = verify_store(store)
        best_full = min(best_full, time.perf_counter() - t)
        assert report.ok, report.problems[:3]
        with store.read() as session:
            t = time.perf_counter()
            assert audit.verify_chain(session) == []
            best_chain = min(best_chain, time.perf_counter() - t)
    store.close()
    return [
        {
            "name": "verify 100k incidents, 100k audit entries (s)",
            "value": best_full,
            "unit": "s",
            "baseline": best_chain,
            "target": 10.0,
            "note": f"baseline: the audit chain recomputed alone; verify also checks {report.records_checked} records against the log",
        }
    ]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-verify-", dir=os.environ.get("BENCH_TMP")) as tmp:
        return bench_verify(Path(tmp))
