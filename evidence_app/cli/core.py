"""Core commands: cases, vessels, incidents, attaching evidence, review, audit and verify."""

from __future__ import annotations

import argparse
import json
from typing import Any

from evidence_app.cli.common import Output, StderrProgress, parse_float, table
from evidence_app.domain.errors import UserError
from evidence_app.domain.geo import parse_bbox
from evidence_app.domain.timeparse import format_utc, parse_utc
from evidence_app.services import audit_log, cases, incident_queries, incidents, review, tags, vessels
from evidence_app.services.context import Context
from evidence_app.services.record_edits import snapshot
from evidence_app.services.verify import leftovers_line, verify_store
from evidence_app.storage.models import Vessel


def register(sub: Any) -> None:
    case = sub.add_parser("case", help="create and list cases").add_subparsers(
        dest="case_cmd", metavar="ACTION", required=True
    )
    p = case.add_parser("create", help="create a case")
    p.add_argument("title")
    p.add_argument("--caveat", default="", help="handling caveat printed on every export")
    p.add_argument("--summary", default="")
    p.add_argument("--four-eyes", action="store_true", help="confirmations need a second reviewer")
    p.set_defaults(handler=case_create)
    case.add_parser("list", help="list cases").set_defaults(handler=case_list)

    vessel = sub.add_parser("vessel", help="add and list vessels").add_subparsers(
        dest="vessel_cmd", metavar="ACTION", required=True
    )
    p = vessel.add_parser("add", help="add a vessel")
    p.add_argument("--imo")
    p.add_argument("--mmsi")
    p.add_argument("--name")
    p.add_argument("--flag")
    p.add_argument("--type", dest="vessel_type")
    p.add_argument("--length-m", type=str)
    p.add_argument("--call-sign")
    p.add_argument("--markings", help="what was read on the hull, for a vessel known only by sight")
    p.add_argument("--notes")
    p.set_defaults(handler=vessel_add)
    vessel.add_parser("list", help="list vessels").set_defaults(handler=vessel_list)
    p = vessel.add_parser("show", help="show a vessel with its identity history and designations")
    p.add_argument("ref", help="IMO, MMSI, name or id")
    p.set_defaults(handler=vessel_show)

    inc = sub.add_parser("incident", help="add, list and show incidents").add_subparsers(
        dest="incident_cmd", metavar="ACTION", required=True
    )
    p = inc.add_parser("add", help="add a suspected transfer to a case")
    p.add_argument("--case", required=True, help="case id (or unique prefix)")
    p.add_argument("--start", required=True, help="UTC start, ISO 8601 (no offset means UTC)")
    p.add_argument("--end")
    p.add_argument("--lat", required=True)
    p.add_argument("--lon", required=True)
    p.add_argument("--radius-m", help="position uncertainty radius in metres")
    p.add_argument("--title", default="")
    p.add_argument("--local-time", default="", help="the time as the source gave it, verbatim")
    p.add_argument("--location", default="", help="reported location text")
    p.add_argument("--cargo", default="", help="cargo kind, e.g. 'refined petroleum' or 'coal'")
    p.add_argument("--indicator", action="append", default=[], help="observed indicator (repeatable)")
    p.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="IMO_OR_MMSI:ROLE",
        help="vessel and role: supplier, receiver, escort, unknown (repeatable)",
    )
    p.set_defaults(handler=incident_add)
    p = inc.add_parser("list", help="list incidents, filtered")
    p.add_argument("--case")
    p.add_argument("--status", action="append", default=[])
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("--bbox", metavar="W,S,E,N")
    p.add_argument("--vessel", metavar="IMO|MMSI|NAME")
    p.add_argument("--text")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--limit", type=int)
    p.set_defaults(handler=incident_list)
    p = inc.add_parser("show", help="show one incident in full (with its version, for --expected-version)")
    p.add_argument("id")
    p.set_defaults(handler=incident_show)
    p = inc.add_parser("tag", help="add a free tag to an incident (or remove it with --remove)")
    p.add_argument("id")
    p.add_argument("tag")
    p.add_argument("--remove", action="store_true")
    p.set_defaults(handler=incident_tag)
    p = inc.add_parser("edit", help="change an incident's fields")
    p.add_argument("id")
    p.add_argument("--title")
    p.add_argument("--start", help="UTC start, ISO 8601")
    p.add_argument("--end")
    p.add_argument("--lat")
    p.add_argument("--lon")
    p.add_argument("--radius-m")
    p.add_argument("--local-time")
    p.add_argument("--location", help="reported location text")
    p.add_argument("--cargo")
    p.add_argument("--assessment")
    _expected_version_option(p)
    p.set_defaults(handler=incident_edit)

    p = sub.add_parser("attach", help="attach evidence files to an incident")
    p.add_argument("incident_id")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--kind", choices=["photo", "ais", "vessel-record", "document"])
    p.add_argument("--contradicts", action="store_true", help="the files contradict the incident")
    p.set_defaults(handler=attach)

    p = sub.add_parser("review", help="change an incident's status")
    p.add_argument("incident_id")
    p.add_argument(
        "--status", required=True, help="suspected, under_review, confirmed, rejected, inconclusive, dismissed"
    )
    p.add_argument("--rationale", default="")
    _expected_version_option(p)
    p.set_defaults(handler=do_review)
    p = inc.add_parser(
        "dismiss",
        help="triage a detection as a false positive: hidden from the default list, never re-created by detection",
    )
    p.add_argument("incident", help="incident id (or unique prefix)")
    p.add_argument("--reason", required=True, help="anchorage, port, fishing, duplicate or other")
    p.add_argument("--note", default="", help="what the analyst saw")
    p.set_defaults(handler=do_dismiss)

    p = sub.add_parser("audit", help="list audit log entries")
    p.add_argument("--entity", metavar="ID", help="only entries about this record id")
    p.add_argument("--limit", type=int)
    p.add_argument(
        "--imported",
        action="store_true",
        help="list the entries imported from other stores' case files (each marked verified or UNVERIFIED)",
    )
    p.set_defaults(handler=audit_list)

    sub.add_parser(
        "verify",
        help="check evidence files, the audit chain and its signed checkpoints, and every record against the log",
    ).set_defaults(handler=verify)


def _expected_version_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--expected-version",
        type=_version_number,
        metavar="N",
        help="the version your change is based on (see 'incident show'): if the record changed since, "
        "nothing is saved and the command exits 1 with both values (the attempt is audited)",
    )


def _version_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is out of range: versions start at 1")
    return value


def case_create(args: argparse.Namespace, ctx: Context) -> Output:
    case = cases.create_case(ctx, args.title, caveat=args.caveat, summary=args.summary, four_eyes=args.four_eyes)
    return Output(snapshot(case), f"created case {case.id}  {case.title}")


def case_list(args: argparse.Namespace, ctx: Context) -> Output:
    rows = cases.list_cases(ctx)
    text = table(
        [[r.id[:8], r.title, r.incidents, r.confirmed, "yes" if r.four_eyes else "", r.caveat] for r in rows],
        ["ID", "TITLE", "INCIDENTS", "CONFIRMED", "FOUR-EYES", "CAVEAT"],
    )
    return Output([r.as_dict() for r in rows], text)


def vessel_add(args: argparse.Namespace, ctx: Context) -> Output:
    fields = {
        k: v
        for k, v in {
            "imo": args.imo,
            "mmsi": args.mmsi,
            "name": args.name,
            "flag": args.flag,
            "vessel_type": args.vessel_type,
            "length_m": args.length_m,
            "call_sign": args.call_sign,
            "notes": args.notes,
        }.items()
        if v is not None
    }
    vessel = vessels.add_vessel(ctx, markings=args.markings or "", **fields)
    label = vessel.name or (f"IMO {vessel.imo}" if vessel.imo else f"MMSI {vessel.mmsi}")
    return Output(snapshot(vessel), f"added vessel {vessel.id}  {label}")


def _vessel_dict(v: Vessel) -> dict[str, Any]:
    data = snapshot(v)
    data["identities"] = [snapshot(i) for i in v.identities]
    data["designations"] = [snapshot(d) for d in v.designations]
    return data


def vessel_list(args: argparse.Namespace, ctx: Context) -> Output:
    rows = vessels.list_vessels(ctx)
    text = table(
        [[v.id[:8], v.name, v.imo, v.mmsi, v.flag, v.length_m, "SANCTIONED" if v.designations else ""] for v in rows],
        ["ID", "NAME", "IMO", "MMSI", "FLAG", "LENGTH_M", ""],
    )
    return Output([_vessel_dict(v) for v in rows], text)


def vessel_show(args: argparse.Namespace, ctx: Context) -> Output:
    v = vessels.get_vessel(ctx, args.ref)
    data = _vessel_dict(v)
    lines = [
        f"{v.name or '(unnamed)'}  IMO {v.imo or '-'}  MMSI {v.mmsi or '-'}  flag {v.flag or '-'}  length {v.length_m or '-'} m"
    ]
    for d in v.designations:
        lines.append(f"  DESIGNATED: {d.authority} {d.program} {d.reference}".rstrip())
    if v.identities:
        lines.append("  identity history:")
        for i in v.identities:
            lines.append(
                f"    {format_utc(i.first_seen) or '?'} .. {format_utc(i.last_seen) or '?'}  {i.name}  {i.flag}  MMSI {i.mmsi or '-'}  ({i.source})"
            )
    return Output(data, "\n".join(lines))


def incident_add(args: argparse.Namespace, ctx: Context) -> Output:
    fields: dict[str, Any] = {
        "title": args.title,
        "lat": parse_float(args.lat, "lat"),
        "lon": parse_float(args.lon, "lon"),
        "local_time_text": args.local_time,
        "reported_location": args.location,
        "cargo_kind": args.cargo,
        "indicators": args.indicator,
    }
    if args.end:
        fields["end_utc"] = parse_utc(args.end, field="end")
    if args.radius_m:
        fields["radius_m"] = parse_float(args.radius_m, "radius-m")
    parts = [incidents.ParticipantSpec.parse(p) for p in args.participant]
    incident = incidents.add_incident(
        ctx, args.case, start_utc=parse_utc(args.start, field="start"), participants=parts, **fields
    )
    return Output(snapshot(incident), f"added incident {incident.id}  {incident.title}".rstrip())


def incident_edit(args: argparse.Namespace, ctx: Context) -> Output:
    fields: dict[str, Any] = {}
    for name, key in (
        ("title", "title"),
        ("local_time", "local_time_text"),
        ("location", "reported_location"),
        ("cargo", "cargo_kind"),
        ("assessment", "assessment"),
    ):
        if getattr(args, name) is not None:
            fields[key] = getattr(args, name)
    for name, key in (("lat", "lat"), ("lon", "lon"), ("radius_m", "radius_m")):
        if getattr(args, name) is not None:
            fields[key] = parse_float(getattr(args, name), name.replace("_", "-"))
    for name, key in (("start", "start_utc"), ("end", "end_utc")):
        if getattr(args, name) is not None:
            fields[key] = parse_utc(getattr(args, name), field=name)
    if not fields:
        raise UserError("incident edit: give at least one field to change (e.g. --title)")
    result = incidents.update_incident(ctx, args.id, expected_version=args.expected_version, **fields)
    changed = ", ".join(result) or "nothing (the values were already so)"
    return Output({"changes": dict(result), "version": result.version}, f"changed {changed}; version {result.version}")


def incident_list(args: argparse.Namespace, ctx: Context) -> Output:
    flt = incident_queries.IncidentFilter(
        case_id=args.case,
        statuses=args.status,
        since=parse_utc(args.since, field="since") if args.since else None,
        until=parse_utc(args.until, field="until") if args.until else None,
        bbox=parse_bbox(args.bbox) if args.bbox else None,
        vessel=args.vessel,
        text=args.text,
        tags=args.tag,
        limit=args.limit,
    )
    rows = incident_queries.list_incidents(ctx, flt)
    text = table(
        [
            [
                r.id[:8],
                format_utc(r.start_utc),
                r.status,
                r.title,
                r.vessels,
                f"{r.lat:.4f},{r.lon:.4f}" if r.lat is not None else "",
                r.evidence_count,
            ]
            for r in rows
        ],
        ["ID", "START", "STATUS", "TITLE", "VESSELS", "POSITION", "EVIDENCE"],
    )
    return Output([r.as_dict() for r in rows], text)


def incident_show(args: argparse.Namespace, ctx: Context) -> Output:
    data = incident_queries.incident_view(ctx, args.id).as_dict()
    lines = [
        f"{data['title'] or '(untitled)'}  [{data['status']}]  id {data['id']}  version {data['version']}",
        f"  case: {data['case_title']}",
        f"  time: {data['start_utc']} .. {data['end_utc'] or ''}  {data['local_time_text']}".rstrip(),
        f"  position: {data['lat']}, {data['lon']}  ±{data['radius_m'] or '?'} m  {data['reported_location']}".rstrip(),
    ]
    if data["confirmation_proposed_by"]:
        lines.append(f"  confirmation proposed by {data['confirmation_proposed_by']}, awaiting a second reviewer")
    for p in data["participants"]:
        flag = " SANCTIONED" if p["designations"] else ""
        lines.append(f"  vessel: {p['role']:<9} {p['name']}  IMO {p['imo'] or '-'}  MMSI {p['mmsi'] or '-'}{flag}")
    for e in data["evidence"]:
        lines.append(
            f"  evidence: {e['relation']:<11} {e['kind']:<13} {e['original_name']}  sha256 {e['sha256'][:12]}…  {e['grading']}"
        )
    for r in data["reviews"]:
        lines.append(f"  review: {r['at']}  {r['reviewer']}: {r['from']} -> {r['to']} ({r['kind']})  {r['rationale']}")
    if data["tags"]:
        lines.append(f"  tags: {', '.join(data['tags'])}")
    return Output(data, "\n".join(lines))


def incident_tag(args: argparse.Namespace, ctx: Context) -> Output:
    if args.remove:
        changed = tags.untag_incident(ctx, args.id, args.tag)
        text = f"removed tag {args.tag!r}" if changed else f"the incident had no tag {args.tag!r}"
    else:
        changed = tags.tag_incident(ctx, args.id, args.tag)
        text = f"tagged {args.tag!r}" if changed else f"the incident already had tag {args.tag!r}"
    return Output({"incident": args.id, "tag": args.tag, "changed": changed}, text)


def attach(args: argparse.Namespace, ctx: Context) -> Output:
    # The desk's route: photos go through photo import (georeferencing, capture time, tiles).
    from evidence_app.services import photo_import

    result = photo_import.attach_files(
        ctx,
        args.incident_id,
        args.files,
        kind=args.kind,
        relation="contradicts" if args.contradicts else "supports",
        progress=StderrProgress("attaching"),
    )
    text = f"attached {len(result.attached)} file(s) to incident {result.incident_id[:8]}"
    if result.already_linked:
        text += f"; {len(result.already_linked)} already attached"
    return Output(result.as_dict(), text)


def do_dismiss(args: argparse.Namespace, ctx: Context) -> Output:
    events = review.dismiss_detection(ctx, args.incident, args.reason, note=args.note)
    done = events[-1]
    return Output(
        {"incident": done.incident_id, "status": done.to_status, "rationale": done.rationale},
        f"dismissed {done.incident_id[:8]} ({done.rationale}); list it with --status dismissed",
    )


def do_review(args: argparse.Namespace, ctx: Context) -> Output:
    events = review.review(
        ctx, args.incident_id, args.status, rationale=args.rationale, expected_version=args.expected_version
    )
    data = [snapshot(e) for e in events]
    last = events[-1]
    if last.kind == "proposal":
        text = f"proposed confirmation of {last.incident_id[:8]}; a second reviewer must confirm it (four-eyes case)"
    else:
        text = f"incident {last.incident_id[:8]} is now {last.to_status.replace('_', ' ')}"
    return Output(data, text)


def audit_list(args: argparse.Namespace, ctx: Context) -> Output:
    entity_id = audit_log.record_id(ctx, args.entity) if args.entity else None
    if args.imported:
        return _imported_audit(ctx, entity_id, args.limit)
    entries = audit_log.entries(ctx, entity_id=entity_id, limit=args.limit)
    data = [e.as_dict() for e in entries]
    text = table(
        [
            [e.seq, format_utc(e.ts), e.actor, e.action, f"{e.entity} {e.entity_id[:8]}", _short(e.payload_text)]
            for e in entries
        ],
        ["SEQ", "TIME", "ACTOR", "ACTION", "ENTITY", "CHANGE"],
    )
    if entity_id is not None:
        imported = _imported_audit(ctx, entity_id, None)
        if imported.data:
            # The same record's history as other stores wrote it: listed apart, each marked.
            return Output(
                {"entries": data, "imported": imported.data}, f"{text}\n\nfrom other stores:\n{imported.text}"
            )
    return Output(data, text)


def _imported_audit(ctx: Context, entity_id: str | None, limit: int | None) -> Output:
    from evidence_app.services import keys

    rows = keys.imported_audit(ctx, entity_id=entity_id, limit=limit)
    data = [{**r, "payload": json.loads(r["payload"])} for r in rows]
    lines = [
        [
            r["origin_store_id"][:8],
            r["seq"],
            r["ts"],
            r["actor"],
            r["action"],
            f"{r['entity']} {r['entity_id'][:8]}",
            f"signed by {r['signed_by']}" if r["verified"] else "UNVERIFIED",
        ]
        for r in rows
    ]
    text = (
        table(lines, ["STORE", "SEQ", "TIME", "ACTOR", "ACTION", "ENTITY", "SIGNATURE"])
        if rows
        else "no entries from other stores"
    )
    return Output(data, text)


def _short(payload: str, width: int = 70) -> str:
    return payload if len(payload) <= width else payload[: width - 1] + "…"


def verify(args: argparse.Namespace, ctx: Context) -> Output:
    report = verify_store(ctx.store, progress=StderrProgress("verifying"))
    if report.ok:
        text = (
            f"OK: {report.evidence_checked} evidence file(s), {report.bytes_checked} bytes, {report.audit_entries} audit entries, "
            f"{report.records_checked} records against the log, {report.checkpoints_checked} signed checkpoint(s) verified"
        )
        return Output(report.as_dict(), text + "\n" + leftovers_line(report))
    text = "\n".join(f"PROBLEM: {p}" for p in report.problems)
    text += f"\n{len(report.problems)} problem(s) found\n{leftovers_line(report)}"
    return Output(report.as_dict(), text, exit_code=1)
