"""verify on a store with 100,000 incidents and 100,000 audit entries: evidence, chain, checkpoints and content.

The baseline is the chain recomputation alone (what verify did before it checked the
records against the log), measured in the same run on the same store.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

N = 100_000


def bench_verify(tmp: Path) -> list[dict[str, Any]]:
    from bench.bench_core import _insert_incidents
    from evidence_app.services import cases
    from evidence_app.services.context import Context
    from evidence_app.services.verify import verify_store
    from evidence_app.storage import audit, content
    from evidence_app.storage.db import open_store
    from evidence_app.storage.models import Incident

    store = open_store(tmp / "verify.sqlite")
    ctx = Context(store, "bench")
    case = cases.create_case(ctx, "bench")
    _insert_incidents(store, case.id, N)
    with store.write() as session:
        # One entry per incident, as if each had been added through the services...
        for i in range(N - 1):
            audit.record(session, "bench", "incident.create", "incident", f"bulk-{i}", {"n": i})
        # ...and the last one vouches for all their contents (a bulk import's entry does the same).
        entry = audit.record(session, "bench", "incident.create", "incident", "bulk-last", {"n": N})
        session.flush()
        keys = [content.record_key("incidents", [i]) for i in session.scalars(Incident.__table__.select().with_only_columns(Incident.id))]
        audit.attach_content(session, entry, content.current_hashes(session, keys))
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
    return [{
        "name": "verify 100k incidents, 100k audit entries (s)", "value": best_full, "unit": "s", "baseline": best_chain,
        "target": 3.0, "target_is_ratio": True,
        "note": f"baseline: the audit chain recomputed alone; verify also checks {report.records_checked} records against the log",
    }]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-verify-", dir=os.environ.get("BENCH_TMP")) as tmp:
        return bench_verify(Path(tmp))
