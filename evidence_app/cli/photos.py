"""Photo commands: import, info, place by hand, measure a hull, export an annotated copy, map overlay."""

from __future__ import annotations

import argparse
from typing import Any

from evidence_app.cli.common import Output, StderrProgress, parse_float
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.timeparse import parse_utc
from evidence_app.services import overlays, photo_annotations, photo_import, photo_placement, photos
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    photo = sub.add_parser("photo", help="import, place, measure and export photos").add_subparsers(
        dest="photo_cmd", metavar="ACTION", required=True
    )
    p = photo.add_parser("import", help="import a photo into an incident (JPEG, PNG, TIFF/GeoTIFF, JPEG 2000)")
    p.add_argument("incident")
    p.add_argument("file")
    p.add_argument(
        "--max-megapixels", type=float, default=250, help="refuse larger images (decompression bombs); default 250"
    )
    p.add_argument("--crs", help="coordinate system of a world file without .prj, e.g. EPSG:32652")
    p.set_defaults(handler=photo_import_command)
    p = photo.add_parser("info", help="show a photo's georeferencing, capture time and annotations")
    p.add_argument("evidence")
    p.set_defaults(handler=photo_info)
    p = photo.add_parser("place", help="place a photo by hand: --center LAT,LON --gsd M [--rotation DEG]")
    p.add_argument("evidence")
    p.add_argument("--center", required=True, metavar="LAT,LON")
    p.add_argument("--gsd", required=True, help="metres per pixel")
    p.add_argument("--rotation", default="0", help="degrees clockwise from north-up")
    p.set_defaults(handler=photo_place)
    p = photo.add_parser("set-time", help="correct the capture time (ISO 8601, no offset means UTC)")
    p.add_argument("evidence")
    p.add_argument("time")
    p.set_defaults(handler=photo_set_time)
    p = photo.add_parser("measure", help="measure a line (x,y pixel points) and compare with the incident's vessels")
    p.add_argument("evidence")
    p.add_argument("points", nargs="+", metavar="X,Y")
    p.add_argument("--gsd", help="metres per pixel, when the photo has none or to override it")
    p.add_argument("--label", default="")
    p.set_defaults(handler=photo_measure)
    p = photo.add_parser("export-annotated", help="store a PNG with the annotations drawn in, as derived evidence")
    p.add_argument("evidence")
    p.set_defaults(handler=photo_export)
    p = photo.add_parser("overlay", help="write (or reuse) the map overlay PNG and print its bounds")
    p.add_argument("evidence")
    p.set_defaults(handler=photo_overlay)
    p = photo.add_parser(
        "vessels",
        help="vessels whose AIS, interpolated to the capture time, lies in the photo's "
        "footprint; marked hulls with no AIS within 1.5 km flagged as dark",
    )
    p.add_argument("evidence")
    p.add_argument(
        "--record",
        action="store_true",
        help="keep the check with the photo and add the dark_vessel indicator to its incidents",
    )
    p.set_defaults(handler=photo_vessels)


def _pair(text: str, field: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValidationError(f"{field} {text!r}: expected two numbers separated by a comma", field=field)
    return parse_float(parts[0], field), parse_float(parts[1], field)


def photo_import_command(args: argparse.Namespace, ctx: Context) -> Output:
    ev = photo_import.import_photo(
        ctx,
        args.incident,
        args.file,
        max_pixels=int(args.max_megapixels * 1e6),
        world_file_crs=args.crs,
        progress=StderrProgress("building tiles"),
    )
    info = photos.photo_info(ctx, ev.id)
    return Output(info, _describe(info))


def _describe(info: dict[str, Any]) -> str:
    image = info["meta"]["image"]
    g = image.get("georef") or {}
    lines = [
        f"photo {info['id'][:8]}  {info['original_name']}  {image['format']} {image['width']}×{image['height']}  sha256 {info['sha256'][:12]}…",
        f"  capture time: {info['capture_time'] or 'unknown'} ({image.get('capture_time_source') or 'not in file'})",
    ]
    if info.get("bounds"):
        w, s, e, n = info["bounds"]
        lines.append(
            f"  footprint: lon {w:.4f}…{e:.4f}, lat {s:.4f}…{n:.4f} ({g.get('method')}, {str(g.get('crs'))[:40]})"
        )
    elif info.get("lat") is not None:
        lines.append(f"  position: {info['lat']:.6f}, {info['lon']:.6f} ({g.get('method')})")
    else:
        lines.append("  not georeferenced: place it by hand (photo place)")
    lines.append(
        f"  ground sample distance: {info['gsd_m']:.3f} m" if info.get("gsd_m") else "  ground sample distance: unknown"
    )
    for a in info.get("annotations", []):
        extra = f" {a['length_m']:.1f} m" if a.get("length_m") is not None else ""
        lines.append(f"  annotation {a['id'][:8]} {a['shape']} {a['label']}{extra}")
    return "\n".join(lines)


def photo_info(args: argparse.Namespace, ctx: Context) -> Output:
    info = photos.photo_info(ctx, args.evidence)
    return Output(info, _describe(info))


def photo_place(args: argparse.Namespace, ctx: Context) -> Output:
    g = photo_placement.place_by_hand(
        ctx,
        args.evidence,
        center=_pair(args.center, "center"),
        gsd_m=parse_float(args.gsd, "gsd"),
        rotation_deg=parse_float(args.rotation, "rotation"),
    )
    w, s, e, n = g.bounds()  # type: ignore[misc]
    return Output({"bounds": [w, s, e, n], "gsd_m": g.gsd_m}, f"placed: lon {w:.5f}…{e:.5f}, lat {s:.5f}…{n:.5f}")


def photo_set_time(args: argparse.Namespace, ctx: Context) -> Output:
    diff = photo_placement.set_capture_time(ctx, args.evidence, parse_utc(args.time, field="time"))
    return Output(diff, "capture time set" if diff else "unchanged")


def photo_measure(args: argparse.Namespace, ctx: Context) -> Output:
    pts = [list(_pair(p, "point")) for p in args.points]
    gsd = parse_float(args.gsd, "gsd") if args.gsd else None
    data, check = photo_annotations.measure(ctx, args.evidence, pts, gsd_m=gsd, label=args.label)
    out = {
        "annotation": data,
        "pixels": check.pixels,
        "gsd_m": check.gsd_m,
        "length_m": check.length_m,
        "tolerance_m": check.tolerance_m,
        "comparisons": [c.__dict__ for c in check.comparisons],
    }
    return Output(out, check.summary + f"\n(stored as annotation {data['id'][:8]})")


def photo_export(args: argparse.Namespace, ctx: Context) -> Output:
    ev = photo_annotations.export_annotated(ctx, args.evidence)
    return Output(
        {"id": ev.id, "sha256": ev.sha256, "derived_from_id": ev.derived_from_id},
        f"annotated copy stored as evidence {ev.id[:8]} (sha256 {ev.sha256[:12]}…)",
    )


def photo_overlay(args: argparse.Namespace, ctx: Context) -> Output:
    ov = overlays.overlay_for(ctx, args.evidence)
    if ov is None:
        raise ValidationError("this photo has no map footprint: place it by hand first", field="evidence")
    data = {"path": str(ov.path), "bounds": ov.leaflet_bounds, "width": ov.width, "height": ov.height}
    return Output(
        data,
        f"{ov.path}\nbounds (south, west, north, east): {ov.south:.5f}, {ov.west:.5f}, {ov.north:.5f}, {ov.east:.5f}",
    )


def photo_vessels(args: argparse.Namespace, ctx: Context) -> Output:
    from evidence_app.services import photo_ais

    check = (photo_ais.flag_dark_vessels if args.record else photo_ais.check_photo)(ctx, args.evidence)
    lines = [f"{len(check.vessels)} vessel(s) in the footprint at {check.capture_time} (AIS interpolated)"]
    for v in check.vessels:
        heading = "?" if v.heading_deg is None else f"{v.heading_deg:.0f}°"
        lines.append(
            f"  {v.mmsi} {v.name or ''}  {v.lat:.5f},{v.lon:.5f}  {v.distance_m:,.0f} m from the centre, "
            f"heading {heading}"
        )
    for h in check.hulls:
        near = "no AIS position" if h.nearest_m is None else f"nearest AIS {h.nearest_mmsi} at {h.nearest_m:,.0f} m"
        flag = "DARK VESSEL" if h.dark else "matched"
        lines.append(f"hull {h.annotation_id[:8]} {h.label!r} at {h.lat:.5f},{h.lon:.5f}: {near} -> {flag}")
    if args.record and check.dark:
        lines.append("recorded: dark_vessel indicator on the photo's incidents")
    return Output(check.as_dict(), "\n".join(lines))
