"""``evidence-app demo``: generate (or find) the fictitious demo case."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output, StderrProgress
from evidence_app.services import cases, demo
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="create the demo case (fictitious East China Sea scenario) in its own store beside yours, if not there yet",
    )
    p.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace, ctx: Context) -> Output:
    """The demo lives in its own store (``services.demo.demo_store_path``): nothing of it enters yours."""
    opened = demo.open_demo_store(ctx.store.location, ctx.actor, progress=StderrProgress("demo"))
    try:
        row = next(r for r in cases.list_cases(opened.ctx) if r.id == opened.case_id)
    finally:
        opened.ctx.store.close()
    path = demo.demo_store_path(ctx.store.location)
    verb = "created" if opened.created else "already present"
    return Output(
        {
            "id": opened.case_id,
            "title": row.title,
            "incidents": row.incidents,
            "created": opened.created,
            "caveat": row.caveat,
            "store": str(path),
        },
        f"demo case {verb}: {row.title} ({row.incidents} incidents), id {opened.case_id}\n{row.caveat}\n"
        f"it lives in its own store: evidence-app --db {path} ...",
    )
