"""Case-file commands: `export case|geojson|kml`, `import case`, `conflicts list|resolve`.

`import` and `export` are shared top-level commands (another module adds `import ais`,
`import vessels`...): ``register`` adds its actions to the parser if it already exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evidence_app.cli.common import Output, StderrProgress, table
from evidence_app.domain.errors import ValidationError
from evidence_app.services import casefiles
from evidence_app.services.context import Context


def _actions(sub: Any, name: str, help_text: str) -> Any:
    """The sub-action parsers of a top-level command, created if no other module has yet."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text)
    for action in parser._subparsers._group_actions if parser._subparsers else []:  # noqa: SLF001 (argparse has no public lookup)
        return action
    return parser.add_subparsers(dest=f"{name}_cmd", metavar="WHAT", required=True)


def register(sub: Any) -> None:
    export = _actions(sub, "export", "export a case file, a report, GeoJSON or KML")
    p = export.add_parser("case", help="write a case file (.evcase): records, evidence, report, manifest with hashes")
    p.add_argument("case_id")
    p.add_argument("out", metavar="OUT.evcase")
    p.add_argument("--only-confirmed", action="store_true", help="only confirmed incidents and what they reference")
    p.add_argument("--no-report", action="store_true", help="leave out the HTML and PDF report")
    p.set_defaults(handler=export_case)
    p = export.add_parser(
        "report", help="write the case report alone: PDF (caveat on every page) or self-contained HTML"
    )
    p.add_argument("case_id")
    p.add_argument("out", metavar="OUT.pdf|OUT.html")
    p.add_argument("--format", choices=["pdf", "html"], help="default: from the file's extension")
    p.add_argument("--only-confirmed", action="store_true", help="only confirmed incidents")
    p.set_defaults(handler=export_report)
    for fmt in ("geojson", "kml"):
        p = export.add_parser(fmt, help=f"write the case's incidents, tracks and footprints as {fmt.upper()}")
        p.add_argument("case_id")
        p.add_argument("out")
        p.add_argument("--only-confirmed", action="store_true")
        p.set_defaults(handler=export_geo, fmt=fmt)

    imp = _actions(sub, "import", "import data into the store")
    p = imp.add_parser("case", help="check and merge a case file (.evcase)")
    p.add_argument("file", metavar="FILE.evcase")
    p.set_defaults(handler=import_case)

    conflicts = sub.add_parser(
        "conflicts", help="records changed both here and in an imported case file"
    ).add_subparsers(dest="conflicts_cmd", metavar="ACTION", required=True)
    p = conflicts.add_parser("list", help="list unresolved merge conflicts")
    p.add_argument("--case")
    p.add_argument("--all", action="store_true", help="include resolved ones")
    p.set_defaults(handler=conflicts_list)
    p = conflicts.add_parser("resolve", help="keep the local record or take the case file's version")
    p.add_argument("conflict_id")
    side = p.add_mutually_exclusive_group(required=True)
    side.add_argument("--keep-local", dest="choice", action="store_const", const="keep-local")
    side.add_argument("--take-incoming", dest="choice", action="store_const", const="take-incoming")
    p.set_defaults(handler=conflicts_resolve)


def export_case(args: argparse.Namespace, ctx: Context) -> Output:
    result = casefiles.export_case(
        ctx,
        args.case_id,
        args.out,
        only_confirmed=args.only_confirmed,
        with_report=not args.no_report,
        progress=StderrProgress("exporting"),
    )
    text = (
        f"wrote {result.path} ({result.bytes_written} bytes): {result.incidents} incident(s),"
        f" {result.evidence_files} evidence file(s), manifest SHA-256 {result.manifest_sha256}\n"
        f"signed by {result.signed_by}, key {result.signer_fingerprint}"
    )
    return Output(result.as_dict(), text)


def export_geo(args: argparse.Namespace, ctx: Context) -> Output:
    result = casefiles.export_geo(ctx, args.case_id, args.out, fmt=args.fmt, only_confirmed=args.only_confirmed)
    return Output(result, f"wrote {result['path']}: {result['incidents']} incident(s), {result['tracks']} track(s)")


def export_report(args: argparse.Namespace, ctx: Context) -> Output:
    fmt = args.format or Path(args.out).suffix.lower().lstrip(".")
    if fmt not in ("pdf", "html"):
        raise ValidationError(
            f"cannot tell the report format from {args.out!r}: name it .pdf or .html, or give --format", field="format"
        )
    result = casefiles.export_report(
        ctx, args.case_id, args.out, fmt=fmt, only_confirmed=args.only_confirmed, progress=StderrProgress("report")
    )
    return Output(result, f"wrote {result.get('path', args.out)}")


def import_case(args: argparse.Namespace, ctx: Context) -> Output:
    report = casefiles.import_case(ctx, args.file, progress=StderrProgress("checking"))
    added = ", ".join(f"{n} {t}" for t, n in sorted(report.added.items())) or "nothing new"
    updated = ", ".join(f"{n} {t}" for t, n in sorted(report.updated.items())) or "nothing"
    lines = [
        f"imported case {report.case_id[:8]} from store {report.origin_store_id[:8]}"
        + (" (new case)" if report.new_case else ""),
        f"  {report.signature.headline()}",
        f"  added: {added}",
        f"  updated: {updated}",
        f"  evidence already here: {report.evidence_deduplicated}; AIS positions added: {report.ais_positions_added};"
        f" audit entries appended: {report.audit_entries_added}",
    ]
    for c in report.conflicts:
        lines.append(
            f"  CONFLICT {c['id'][:8]}: {c['record_type']} {c['record_id'][:8]} changed on both sides ({', '.join(c['fields'])})"
        )
    if report.conflicts:
        lines.append("  resolve with: evidence-app conflicts resolve ID --keep-local | --take-incoming")
    lines += [f"  WARNING: {w}" for w in report.warnings]
    return Output(report.as_dict(), "\n".join(lines))


def conflicts_list(args: argparse.Namespace, ctx: Context) -> Output:
    rows = casefiles.list_conflicts(ctx, case_id=args.case, include_resolved=args.all)
    lines = []
    for c in rows:
        for name, sides in c["fields"].items():
            lines.append(
                [
                    c["id"][:8],
                    c["record_type"],
                    c["record_id"][:8],
                    name,
                    sides["local"],
                    sides["incoming"],
                    c["resolution"] or "",
                ]
            )
    text = (
        table(lines, ["ID", "TYPE", "RECORD", "FIELD", "HERE", "IN FILE", "RESOLVED"]) if rows else "no open conflicts"
    )
    return Output(rows, text)


def conflicts_resolve(args: argparse.Namespace, ctx: Context) -> Output:
    result = casefiles.resolve_conflict(ctx, args.conflict_id, args.choice)
    return Output(result, f"conflict {result['id'][:8]} resolved: {args.choice}")
