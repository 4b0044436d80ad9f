"""Shared pieces of the command line: the output type, context creation, text formatting."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.limits import printable
from evidence_app.services.context import Context, context_for


@dataclass
class Output:
    data: Any
    text: str = ""
    exit_code: int = 0


def make_context(args: argparse.Namespace) -> Context:
    from evidence_app.storage.db import open_store

    store = open_store(args.db)
    try:
        return context_for(store, args.reviewer)
    except BaseException:
        store.close()
        raise


def table(rows: list[list[Any]], headers: list[str]) -> str:
    """A plain aligned text table."""
    cells = [[("" if v is None else printable(str(v))) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def parse_float(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"{field} {text!r} is not a number", field=field) from None


class StderrProgress:
    """A one-line progress display on stderr for long CLI operations (only on a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self._last = -1

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        if not self.enabled:
            return
        pct = int(done * 100 / total) if total else -1
        if pct == self._last:
            return
        self._last = pct
        shown = f"{pct:3d}%" if pct >= 0 else f"{done}"
        sys.stderr.write(f"\r{self.label} {shown} {message[:60]:<60}")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
