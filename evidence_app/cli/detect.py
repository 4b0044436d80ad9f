"""``evidence-app detect encounters|gaps|loitering|identity``: find suspected transfers in the stored AIS positions."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from evidence_app.analysis.detection import Detection
from evidence_app.analysis.places import Zone
from evidence_app.cli.common import Output, StderrProgress, table
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.geo import parse_bbox
from evidence_app.domain.limits import check_detection_parameter
from evidence_app.domain.timeparse import format_utc, parse_utc
from evidence_app.services import detect
from evidence_app.services.context import Context

# Command-line option -> parameter field, per detector (only the fields that detector has).
OPTIONS = {
    "distance_m": "max_distance_m",
    "min_hours": "min_hours",
    "max_speed_kn": "max_speed_kn",
    "min_shore_m": "min_shore_m",
    "gap_hours": "min_gap_hours",
    "grid_minutes": "grid_minutes",
    "max_dark_hours": "max_dark_hours",
    "max_plausible_kn": "max_plausible_kn",
    "port_radius_m": "port_radius_m",
    "anchorage_min_vessels": "anchorage_min_vessels",
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "detect", help="detect encounters, AIS gaps, loitering or identity flags in stored AIS positions"
    )
    p.add_argument("kind", choices=detect.KINDS, help="what to look for")
    p.add_argument("--since", metavar="ISO", help="start of the time window (UTC unless an offset is given)")
    p.add_argument("--until", metavar="ISO", help="end of the time window")
    p.add_argument("--bbox", metavar="W,S,E,N", help="only detections inside this box (W > E crosses the antimeridian)")
    p.add_argument(
        "--vessel",
        action="append",
        default=[],
        metavar="REF",
        help="only detections involving this vessel (IMO, MMSI, name or id; repeatable)",
    )
    p.add_argument("--distance-m", type=float, help="encounters: the most two vessels may be apart (default 500)")
    p.add_argument("--min-hours", type=float, help="encounters 2, loitering 4: the shortest event reported")
    p.add_argument("--max-speed-kn", type=float, help="encounters, loitering: the highest median speed (default 2)")
    p.add_argument(
        "--min-shore-m",
        type=float,
        help="encounters, loitering: the least distance from the coast (default 5000; 0 = off)",
    )
    p.add_argument("--gap-hours", type=float, help="gaps: the shortest silence reported (default 6)")
    p.add_argument("--grid-minutes", type=float, help="encounters: the interpolation step (default 10)")
    p.add_argument(
        "--max-dark-hours",
        type=float,
        help="encounters, loitering: the longest silence bridged when the vessel stayed put (default 12)",
    )
    p.add_argument("--max-plausible-kn", type=float, help="gaps, identity: speeds above this flag a jump (default 40)")
    p.add_argument(
        "--port-radius-m",
        type=float,
        help="encounters, loitering: leave out events this close to a listed port or an anchorage "
        "learned from the AIS (default 5000; 0 = off)",
    )
    p.add_argument(
        "--anchorage-min-vessels",
        type=float,
        help="encounters, loitering: distinct vessels stationary in one ~1 km cell that make it an anchorage (default 5)",
    )
    p.add_argument(
        "--exclude-zone",
        action="append",
        default=[],
        metavar="W,S,E,N[=NAME]",
        help="encounters, loitering: leave out events inside this box (repeatable)",
    )
    p.add_argument("--case", metavar="ID", help="the case for --create-incidents")
    p.add_argument("--create-incidents", action="store_true", help="make each detection a suspected incident in --case")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")
    p.set_defaults(handler=detect_command)


def build_params(kind: str, args: argparse.Namespace) -> Any:
    """The detector's parameters: its defaults, overridden by the options given (refused where they do not apply)."""
    params_type = detect.PARAMS_TYPES[kind]
    names = {f.name for f in dataclasses.fields(params_type)}
    changes: dict[str, Any] = {}
    for option, field_name in OPTIONS.items():
        value = getattr(args, option, None)
        if value is None:
            continue
        if field_name not in names:
            raise ValidationError(f"--{option.replace('_', '-')} does not apply to {kind}", field=option)
        changes[field_name] = check_detection_parameter(field_name, value, label=f"--{option.replace('_', '-')}")
    return params_type(**changes)


def parse_zones(specs: list[str]) -> list[Zone]:
    """``W,S,E,N`` or ``W,S,E,N=NAME`` boxes (named "zone N" when no name is given)."""
    zones = []
    for n, spec in enumerate(specs, start=1):
        box, _, name = spec.partition("=")
        west, south, east, north = parse_bbox(box.strip())
        zones.append(Zone(name.strip() or f"zone {n}", west, south, east, north))
    return zones


def _excluded_lines(run: detect.DetectionRun) -> list[str]:
    if not run.excluded:
        return []
    counts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(run.excluded_counts().items()))
    lines = [f"left out by place rules: {len(run.excluded)} ({counts})"]
    for e in run.excluded:
        d = e.detection
        lines.append(
            f"  {d.kind} {' '.join(map(str, d.mmsis))} {format_utc(d.start)} {d.hours:.1f} h: "
            f"{e.reason.replace('_', ' ')}, {e.detail}"
        )
    return lines


def _rows(detections: list[Detection]) -> list[list[Any]]:
    rows = []
    for d in detections:
        m = d.metrics
        if d.kind == "encounter":
            what = f"min {m['min_distance_m']:.0f} m, median {m['median_distance_m']:.0f} m"
        elif d.kind == "gap":
            what = f"{m['gap_hours']:.1f} h dark, {m['implied_speed_kn']:.1f} kn implied" + (
                " JUMP" if m["implausible_jump"] else ""
            )
        elif d.kind == "loitering":
            what = f"{m['median_speed_kn']:.1f} kn within {m['radius_m']:.0f} m"
        elif d.kind == "spoofing":
            what = f"{m['jumps']} jumps, up to {m['max_distance_m'] / 1000:.0f} km"
        elif "changed" in m:
            what = "; ".join(f"{k} {a} -> {b}" for k, (a, b) in m["changed"].items())
        else:
            what = f"MMSI shared by {len(m.get('vessel_ids', []))} hulls: {', '.join(m.get('names', []))}"
        place = "" if d.lat is None else f"{d.lat:.4f},{d.lon:.4f}"
        rows.append(
            [
                d.kind,
                format_utc(d.start),
                format_utc(d.end),
                f"{d.hours:.1f}",
                " ".join(str(x) for x in d.mmsis),
                place,
                what,
            ]
        )
    return rows


def detect_command(args: argparse.Namespace, ctx: Context) -> Output:
    if args.create_incidents and not args.case:
        raise ValidationError("--create-incidents needs --case ID", field="case")
    params = build_params(args.kind, args)
    zones = parse_zones(args.exclude_zone)
    if zones and args.kind not in ("encounters", "loitering"):
        raise ValidationError(f"--exclude-zone does not apply to {args.kind}", field="exclude_zone")
    run = detect.run_detection(
        ctx,
        args.kind,
        since=parse_utc(args.since, field="since") if args.since else None,
        until=parse_utc(args.until, field="until") if args.until else None,
        bbox=parse_bbox(args.bbox) if args.bbox else None,
        vessels=args.vessel,
        params=params,
        zones=zones,
        progress=StderrProgress(f"detect {args.kind}"),
    )
    data = run.as_dict()
    lines = [
        f"{len(run.detections)} {args.kind} detection(s) in {run.positions:,} positions of {run.vessels:,} vessels"
    ]
    if run.detections:
        lines.append(table(_rows(run.detections), ["kind", "start", "end", "hours", "mmsi", "lat,lon", "measurements"]))
    lines += _excluded_lines(run)
    if args.create_incidents:
        made = detect.create_incidents_from_detections(
            ctx, args.case, run.detections, progress=StderrProgress("incidents")
        )
        data["incidents"] = made.as_dict()
        lines.append(
            f"incidents: {len(made.created)} created, {len(made.existing)} already in the case, {len(made.skipped)} skipped"
        )
        lines += [f"  new {i}" for i in made.created]
        lines += [f"  already recorded: {e['incident_id'][:8]} {e['title']}" for e in made.existing]
    return Output(data, "\n".join(lines))
