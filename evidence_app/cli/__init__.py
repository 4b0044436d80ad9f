"""The command line: ``evidence-app COMMAND ...`` (with no command, the launcher starts the GUI).

Each area registers its commands from its own module (COMMAND_MODULES). Handlers take
the parsed arguments and a Context and return an ``Output``; this module prints it as
text or JSON and turns user errors into one line on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import re
import sys
from collections.abc import Sequence

from evidence_app import __version__
from evidence_app.cli.common import Output
from evidence_app.domain.errors import Cancelled, UserError
from evidence_app.domain.limits import printable

COMMAND_MODULES = [
    "evidence_app.cli.core",
    "evidence_app.cli.photos",
    "evidence_app.cli.imports",
    "evidence_app.cli.demo",
    "evidence_app.cli.casefile",
    "evidence_app.cli.detect",
    "evidence_app.cli.keys",
    "evidence_app.cli.basemap",
    "evidence_app.cli.maintenance",
    "evidence_app.cli.team",
]

EXIT_OK, EXIT_USER_ERROR, EXIT_INTERNAL = 0, 1, 2
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a UserError (one line, exit 1) instead of exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="evidence-app", description="Evidence Review: suspected ship-to-ship transfers, with verifiable evidence."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--db", metavar="PATH_OR_URL", help="the store to use (default: EVIDENCE_APP_DB, else the user data folder)"
    )
    parser.add_argument(
        "--reviewer", metavar="NAME", help="who is acting (default: EVIDENCE_APP_REVIEWER, else the OS user)"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _accept_json_anywhere(parser)
    return parser


def _accept_json_anywhere(parser: argparse.ArgumentParser) -> None:
    """Let ``--json`` follow the command too (``evidence-app case list --json``).

    Each subcommand gets its own ``--json`` whose default is SUPPRESS, so it sets the
    flag only when given there and never resets one given before the command.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if "--json" not in child._option_string_actions:
                    child.add_argument(
                        "--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON"
                    )
                _accept_json_anywhere(child)


def _configure_logging(db: str | None = None) -> str | None:
    """Send tracebacks of programming errors, and libraries' warnings (Pillow's
    DecompressionBombWarning...), to the log beside the store in use (``storage.db.log_path_for``), never to the terminal."""
    from evidence_app.storage.db import log_path_for, resolve_location, user_log_dir

    logging.captureWarnings(True)
    warnings_log = logging.getLogger("py.warnings")
    if not warnings_log.handlers:
        warnings_log.addHandler(logging.NullHandler())  # without a log file they are dropped, not shown
    try:
        path = log_path_for(resolve_location(db))
    except Exception:  # a malformed --db is reported by the command itself
        path = user_log_dir() / "evidence-app.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    log_path: str | None = None
    try:
        args = build_parser().parse_args(args_list)
        log_path = _configure_logging(getattr(args, "db", None))  # beside the store in use
        if not getattr(args, "handler", None):
            build_parser().print_help()
            return EXIT_USER_ERROR
        from evidence_app.cli.common import make_context

        ctx = make_context(args)
        try:
            output: Output = args.handler(args, ctx)
        finally:
            ctx.store.close()
    except UserError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback in the log
        logging.getLogger("evidence_app").exception("unexpected error running %s", args_list)
        where = f" (details in {log_path})" if log_path else ""
        print(printable(f"error: something went wrong: {type(exc).__name__}: {exc}{where}"), file=sys.stderr)
        return EXIT_INTERNAL
    try:
        if args.json:
            print(terminal_safe_json(output.data))
        elif output.text:
            # Imported data is untrusted: a name must not move the cursor or clear the screen.
            print(printable(output.text))
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()
    return output.exit_code


def _reader_went_away() -> int:
    """`evidence-app ... | head`: the reader closed the pipe. Stop quietly, as a shell tool does
    (exit 128 + SIGPIPE); point stdout at /dev/null so the interpreter's final flush is silent."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


_JSON_UNSAFE = re.compile("[\u007f-\u009f\ud800-\udfff\u2028\u2029]")


def terminal_safe_json(data: object) -> str:
    """JSON with every control character escaped. ``json`` escapes U+0000-U+001F itself; DEL,
    the C1 range (U+0080-U+009F, which terminals read as escapes), lone surrogates and the line
    separators it leaves raw. They can only occur inside strings, where ``\\uXXXX`` means the same."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
