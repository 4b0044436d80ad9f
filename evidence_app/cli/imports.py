"""`evidence-app import ais|vessels|incidents`: bring ship records into the store."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output, StderrProgress
from evidence_app.domain.errors import ValidationError
from evidence_app.ingest.ais import AIS_FORMATS
from evidence_app.ingest.ais_csv import parse_mapping
from evidence_app.ingest.values import parse_iso_utc
from evidence_app.services import imports
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="import AIS positions, vessel registries or detected events")
    kinds = imp.add_subparsers(dest="import_cmd", metavar="WHAT", required=True)

    p = kinds.add_parser("ais", help="AIS positions and static data (MarineCadastre CSV, NMEA, any CSV; .gz/.zip)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", dest="fmt", choices=AIS_FORMATS, default="auto")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="name the column for a field the header does not make clear (repeatable)",
    )
    p.add_argument("--base-time", metavar="ISO", help="UTC time for NMEA messages that carry none")
    p.add_argument("--month-first", action="store_true", help="read 01/11/2023 as 11 January (default: day first)")
    p.set_defaults(handler=import_ais)

    p = kinds.add_parser("vessels", help="a vessel registry: CSV, JSON, or the OFAC SDN CSV")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", dest="fmt", choices=["auto", "csv", "json", "ofac-sdn", "un-xml"], default="auto")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    p.set_defaults(handler=import_vessels)

    p = kinds.add_parser("incidents", help="detected encounters (CSV or GeoJSON) as suspected incidents")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--case", required=True, help="case id (or unique prefix)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    p.add_argument("--month-first", action="store_true")
    p.set_defaults(handler=import_incidents)


def _output(report: imports.ImportReport) -> Output:
    return Output(report.as_dict(), report.text())


def import_ais(args: argparse.Namespace, ctx: Context) -> Output:
    base_time = None
    if args.base_time:
        try:
            base_time = parse_iso_utc(args.base_time)
        except ValueError as exc:
            raise ValidationError(str(exc), field="--base-time") from None
    report = imports.import_ais(
        ctx,
        args.files,
        fmt=args.fmt,
        mapping=parse_mapping(args.map),
        base_time=base_time,
        day_first=not args.month_first,
        progress=StderrProgress("importing"),
    )
    return _output(report)


def import_vessels(args: argparse.Namespace, ctx: Context) -> Output:
    report = imports.import_vessels(
        ctx, args.file, fmt=args.fmt, mapping=parse_mapping(args.map), progress=StderrProgress("importing")
    )
    return _output(report)


def import_incidents(args: argparse.Namespace, ctx: Context) -> Output:
    report = imports.import_incidents(
        ctx,
        args.file,
        args.case,
        mapping=parse_mapping(args.map),
        day_first=not args.month_first,
        progress=StderrProgress("importing"),
    )
    return _output(report)
