"""Housekeeping commands: `gc`."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output
from evidence_app.services.context import Context
from evidence_app.services.maintenance import collect_garbage


def register(sub: Any) -> None:
    p = sub.add_parser("gc", help="remove unreferenced evidence objects and temporaries of writers that are gone")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    p.set_defaults(handler=gc)


def gc(args: argparse.Namespace, ctx: Context) -> Output:
    report = collect_garbage(ctx.store, dry_run=args.dry_run)
    return Output(report.as_dict(), report.summary())
