"""The ``evidence-app`` entry point: a command runs the CLI; no command starts the GUI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def only_store_options(args: Sequence[str]) -> bool:
    """True when no command is given (only --db/--reviewer): that starts the GUI."""
    rest = list(args)
    while rest:
        head = rest.pop(0)
        if head in ("--db", "--reviewer") and rest:
            rest.pop(0)
        elif not head.startswith(("--db=", "--reviewer=")):
            return False
    return True


def gui_missing() -> str | None:
    """Why the desk cannot start here (Qt is the optional `gui` extra), or None when it can."""
    import importlib.util

    if importlib.util.find_spec("PySide6") is None:
        return (
            "evidence-app: the desk needs Qt (PySide6), which is not installed here; "
            "install evidence-app[gui], or give a command (evidence-app --help)"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if (args[:1] == ["--self-test"] or only_store_options(args)) and (reason := gui_missing()):
        print(reason, file=sys.stderr)
        return 1
    if args[:1] == ["--self-test"]:
        parser = argparse.ArgumentParser(prog="evidence-app --self-test")
        parser.add_argument("--self-test", action="store_true")
        parser.add_argument("--screenshot", metavar="PNG", help="save the desk as drawn during the test")
        options = parser.parse_args(args)
        from pathlib import Path

        from evidence_app.ui.selftest import run_self_test

        return run_self_test(screenshot=Path(options.screenshot) if options.screenshot else None)
    if only_store_options(args):
        parser = argparse.ArgumentParser(prog="evidence-app")
        parser.add_argument("--db")
        parser.add_argument("--reviewer")
        options = parser.parse_args(args)
        from evidence_app.ui.app import run_gui

        return run_gui(db=options.db, reviewer=options.reviewer)
    from evidence_app.cli import main as cli_main

    return cli_main(args)
