"""Several processes attach, add incidents, tag and review on one store (SQLite, and a
PostgreSQL database) through the CLI at the same time: no failures (a clear lock/conflict message is the only acceptable exit 1),
the store's counts equal the successful operations, one audit chain, `verify` passes.

Bounded here (``STRESS_PROCESSES`` processes for ``STRESS_SECONDS``); `make fuzz` runs it
longer with more processes. Each worker calls the CLI's ``main`` in a loop (every call opens
and closes the store, exactly as a separate `evidence-app` command does, without paying for a
fresh interpreter per command on a busy machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.cli import main as cli_main
from evidence_app.services.verify import verify_store
from evidence_app.storage.db import open_store
from evidence_app.storage.models import AuditEntry, Evidence, Incident, IncidentEvidence, IncidentTag, ReviewEvent

PROJECT = Path(__file__).resolve().parents[2]
PROCESSES = int(os.environ.get("STRESS_PROCESSES", "6"))
SECONDS = float(os.environ.get("STRESS_SECONDS", "15"))

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent("""
    import contextlib, io, json, os, random, sys, time
    from evidence_app.cli import main

    db, case_id, seed_incident, worker, seconds, files_dir, log_path = sys.argv[1:8]
    rng = random.Random(int(worker))
    own_suspected, own_incidents = [], [seed_incident]
    log = open(log_path, "w")

    def run(op, *args, **extra):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["--db", db, "--reviewer", f"worker-{worker}", "--json", *args])
        log.write(json.dumps({"op": op, "rc": rc, "err": err.getvalue()[-500:], **extra}) + "\\n")
        log.flush()
        return rc, out.getvalue()

    run("list", "case", "list")  # the first call imports every command module: not timed
    deadline = time.monotonic() + float(seconds)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        op = ("attach", "add", "tag", "review", "list", "attach")[n % 6]
        if op == "attach":
            shared = rng.random() < 0.3
            name = f"shared-{rng.randrange(5)}.bin" if shared else f"w{worker}-{n}.bin"
            path = os.path.join(files_dir, f"w{worker}-{n}-{name}")
            with open(path, "wb") as fh:  # same name, same bytes: shared files deduplicate
                fh.write(name.encode() * (20_000 if shared else rng.randrange(1_000, 60_000)))
            target = rng.choice(own_incidents)
            run("attach", "attach", target, path, target=target, content=name)
        elif op == "add":
            rc, out = run("add", "incident", "add", "--case", case_id, "--start", "2020-01-01T00:00Z",
                          "--lat", str(rng.uniform(-60, 60)), "--lon", str(rng.uniform(-170, 170)),
                          "--title", f"w{worker} #{n}")
            if rc == 0:
                new_id = json.loads(out)["id"]
                own_incidents.append(new_id)
                own_suspected.append(new_id)
        elif op == "tag":
            target = rng.choice(own_incidents)
            tag = f"tag{rng.randrange(4)}"
            rc, out = run("tag", "incident", "tag", target, tag, target=target, tag=tag)
        elif op == "review" and own_suspected:
            target = own_suspected.pop(0)
            run("review", "review", target, "--status", "under_review", target=target)
        else:
            run("list", "case", "list")
    log.close()
""")


def _cli(db: str, *args: str) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(["--db", str(db), "--reviewer", "setup", "--json", *args]) == 0
    return json.loads(out.getvalue())


def run_stress(tmp_path: Path, processes: int, seconds: float, db: str) -> dict:
    """Run the workers; check the store against their logs; return the figures."""
    case = _cli(db, "case", "create", "Concurrency")
    seed = _cli(db, "incident", "add", "--case", case["id"], "--start", "2020-01-01", "--lat", "1", "--lon", "1")
    files = tmp_path / "files"
    files.mkdir()
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    procs = []
    for worker in range(processes):
        log = tmp_path / f"worker-{worker}.jsonl"
        procs.append(
            (
                log,
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WORKER,
                        str(db),
                        case["id"],
                        seed["id"],
                        str(worker),
                        str(seconds),
                        str(files),
                        str(log),
                    ],
                    env=env,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    for _log, proc in procs:
        _out, err = proc.communicate(timeout=seconds + 300)
        assert proc.returncode == 0, err
    entries = [json.loads(line) for log, _p in procs for line in log.read_text().splitlines()]

    failures = [e for e in entries if e["rc"] != 0]
    refused = [
        e for e in failures if e["rc"] != 1 or not any(w in e["err"].lower() for w in ("busy", "conflict", "locked"))
    ]
    assert refused == [], refused[:5]
    ok = [e for e in entries if e["rc"] == 0]
    by_op = Counter(e["op"] for e in ok)

    attached_contents = {e["content"] for e in ok if e["op"] == "attach"}
    attached_links = {(e["target"], e["content"]) for e in ok if e["op"] == "attach"}
    tagged = {(e["target"], e["tag"]) for e in ok if e["op"] == "tag"}
    store = open_store(db)
    try:
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(Incident)) == 1 + by_op["add"]
            assert s.scalar(select(func.count()).select_from(Evidence)) == len(attached_contents)
            assert s.scalar(select(func.count()).select_from(IncidentEvidence)) == len(attached_links)
            assert s.scalar(select(func.count()).select_from(IncidentTag)) == len(tagged)
            assert s.scalar(select(func.count()).select_from(ReviewEvent)) == by_op["review"]
            actions = Counter(s.scalars(select(AuditEntry.action)))
            assert actions["incident.create"] == 1 + by_op["add"]
            assert actions["evidence.add"] == len(attached_contents)
            assert actions["evidence.link"] == len(attached_links)
            assert actions["tag.add"] == len(tagged)
            # one chain: sequence numbers 1..n without a gap, each entry pointing at the one before
            seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        report = verify_store(store)
        assert report.ok, report.problems
        # every worker closed its store: nothing left to collect, and nothing was lost
        assert report.unreferenced_objects == 0 and report.stale_temporaries == 0
        assert not list((store.objects.root / "tmp").rglob("*.part"))
    finally:
        store.close()
    return {
        "processes": processes,
        "seconds": seconds,
        "operations": len(entries),
        "succeeded": len(ok),
        "lock_or_conflict_refusals": len(failures),
        "by_op": dict(by_op),
    }


@pytest.mark.backends
def test_processes_working_on_one_store_lose_nothing(tmp_path: Path, store_url: str, backend: str) -> None:
    started = time.monotonic()
    figures = run_stress(tmp_path, PROCESSES, SECONDS, store_url)
    figures["backend"] = backend
    figures["wall_seconds"] = round(time.monotonic() - started, 1)
    print("concurrency figures:", json.dumps(figures))
    assert figures["by_op"].get("attach", 0) > 0 and figures["by_op"].get("add", 0) > 0
