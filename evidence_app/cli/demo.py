"""``evidence-app demo``: generate (or find) the fictitious demo case."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output, StderrProgress
from evidence_app.services import cases, demo
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="create the demo case (fictitious East China Sea scenario) if the store has none")
    p.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace, ctx: Context) -> Output:
    existed = demo.find_demo_case(ctx) is not None
    case_id = demo.open_demo_case(ctx, progress=StderrProgress("demo"))
    row = next(r for r in cases.list_cases(ctx) if r.id == case_id)
    verb = "already present" if existed else "created"
    return Output(
        {"id": case_id, "title": row.title, "incidents": row.incidents, "created": not existed, "caveat": row.caveat},
        f"demo case {verb}: {row.title} ({row.incidents} incidents), id {case_id}\n{row.caveat}",
    )
