"""Satellite and camera photos: import with georeferencing, placing by hand, annotations, length checks, derived copies.

Previews, tile pyramids and map overlays are derived files kept in a cache folder beside
the object store (``<objects>/cache/photos/<sha256>/``); they can be deleted and are
rebuilt on demand. The original bytes are never changed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence_app.analysis.length import LengthCheck, check_length
from evidence_app.casefile.record_dicts import bury
from evidence_app.domain import limits
from evidence_app.domain.annotations import normalise_points
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.incident import validate_evidence_kind, validate_relation
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.imagery.georef import Georef, manual_georef
from evidence_app.imagery.images import DEFAULT_MAX_PIXELS, ImageInfo, probe_image
from evidence_app.imagery.overlay import Overlay, overlay_png
from evidence_app.imagery.pyramid import Pyramid, build_preview, build_pyramid, open_pyramid
from evidence_app.imagery.render import export_annotated_png
from evidence_app.services import evidence as evidence_svc
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.record_edits import plain, resolve, snapshot
from evidence_app.storage import audit
from evidence_app.storage.models import (
    Annotation,
    Evidence,
    Incident,
    IncidentEvidence,
    Participant,
    Vessel,
)
from evidence_app.storage.objects import StoredObject

# Overlays are drawn from the full image up to this size, from the preview above it.
OVERLAY_FULL_PIXELS = 16_000_000


def cache_dir(ctx: Context, sha256: str) -> Path:
    return ctx.store.objects.root / "cache" / "photos" / sha256


# --------------------------------------------------------------------------- import


# Formats the photo import reads (recognised by content); other images attach as plain files.
PHOTO_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/tiff", "image/jp2"})


def is_photo_file(path: str | os.PathLike[str]) -> bool:
    """Whether a file goes through photo import (georeferencing, capture time, pyramid) when attached."""
    return evidence_svc.sniff_media_type(Path(path)) in PHOTO_MEDIA_TYPES


@dataclass
class PreparedPhoto:
    """A photo whose checks passed and whose bytes and pyramid are stored; no row yet (inert)."""

    source: Path
    stored: StoredObject
    info: ImageInfo


def prepare_photo(
    ctx: Context,
    path: str | os.PathLike[str],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    world_file_crs: str | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> PreparedPhoto:
    """Phase one of an import: probe, decode fully (building the pyramid), store the bytes.

    Every check that can fail (format, pixel limit, georeferencing, truncated data) runs
    before the bytes are stored; what this leaves behind without a row is inert.
    """
    source = Path(path)
    info = probe_image(source, max_pixels=max_pixels, world_file_crs=world_file_crs)
    cache_root = ctx.store.objects.root / "cache" / "photos"
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pyramid-", dir=ctx.store.objects.scratch_dir()))
    try:
        build_preview(source, scratch, max_pixels=max_pixels)
        build_pyramid(source, scratch, max_pixels=max_pixels, progress=progress, cancel=cancel)
        cancel.raise_if_cancelled()
        stored = ctx.store.objects.put_file(source, cancel=cancel)
        final = cache_dir(ctx, stored.sha256)
        if open_pyramid(final) is None:
            shutil.rmtree(final, ignore_errors=True)
            os.replace(scratch, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return PreparedPhoto(source, stored, info)


def record_photo(
    session: Any,
    ctx: Context,
    incident: Incident,
    photo: PreparedPhoto,
    *,
    relation: str = "supports",
    note: str = "",
    fields: dict[str, Any] | None = None,
) -> tuple[Evidence, bool]:
    """Phase two, in the caller's write transaction: the evidence row (or the existing one for
    the same bytes), its image metadata, and the link. Returns ``(evidence, newly linked)``."""
    values = {**_fields_from_info(photo.info), **(fields or {})}
    ev, created = evidence_svc.record_stored(session, ctx, photo.stored, photo.source, kind="photo", **values)
    if created:
        ev.meta = {**(ev.meta or {}), "image": photo.info.to_meta()}
        audit.record(session, ctx.actor, "photo.import", "evidence", ev.id, {"image": photo.info.to_meta()})
    elif "image" not in (ev.meta or {}):
        # The same bytes were stored earlier as a plain file: import them as a photo now
        # (georeferencing, capture time). The file is unchanged; only its description grows,
        # filling what the row lacks and never overwriting what someone set.
        filled = {k: v for k, v in values.items() if v is not None and getattr(ev, k, None) in (None, "")}
        before = {"kind": ev.kind, **{k: getattr(ev, k) for k in filled}}
        for key, value in filled.items():
            setattr(ev, key, value)
        ev.kind = "photo"
        ev.meta = {**(ev.meta or {}), "image": photo.info.to_meta()}
        audit.record(
            session,
            ctx.actor,
            "photo.import",
            "evidence",
            ev.id,
            {
                "image": photo.info.to_meta(),
                "stored_before": True,
                "before": {k: str(v) for k, v in before.items()},
                "filled": sorted(filled),
            },
        )
    linked = evidence_svc.link(session, ctx, incident, ev, relation=relation, note=note)
    return ev, linked is not None


@leaves_no_unused_objects
def import_photo(
    ctx: Context,
    incident_id: str,
    path: str | os.PathLike[str],
    *,
    relation: str = "supports",
    note: str = "",
    fields: dict[str, Any] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    world_file_crs: str | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Evidence:
    """Import a photo into an incident: probe, decode fully (building the pyramid), store, record.

    ``fields`` sets evidence fields the file cannot say (source, provider, grading) or
    overrides what it said (capture time). A bad file leaves neither an object nor a row.
    """
    with ctx.store.read() as session:
        incident_id = resolve(session, Incident, incident_id, "incident").id
    photo = prepare_photo(
        ctx, path, max_pixels=max_pixels, world_file_crs=world_file_crs, progress=progress, cancel=cancel
    )
    cancel.raise_if_cancelled()
    with ctx.store.write() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        ev, _ = record_photo(session, ctx, incident, photo, relation=relation, note=note, fields=fields)
        session.flush()
        session.expunge(ev)
    return ev


@leaves_no_unused_objects
def attach_files(
    ctx: Context,
    incident_id: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    relation: str = "supports",
    kind: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> evidence_svc.AttachResult:
    """Attach files as the desk does: photos through photo import, the rest as plain files.

    The one route for images in the desk and the command line. ``kind="photo"`` requires
    every file to be a photo; another ``kind`` attaches every file as a plain file of that
    kind; None decides by content.

    All of them or none: every photo is checked and prepared and every file stored first
    (inert objects without rows), then one transaction writes the rows and links. A bad
    photo anywhere in the batch is refused, naming the file, before anything is recorded.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise ValidationError("no files to attach", field="files")
    if kind is not None:
        validate_evidence_kind(kind)
    validate_relation(relation)
    with ctx.store.read() as session:
        incident_id = resolve(session, Incident, incident_id, "incident").id
    if kind == "photo":
        for f in files:
            if f.is_file() and not is_photo_file(f):
                raise ValidationError(
                    f"{f.name} is not a photo: expected JPEG, PNG, TIFF or JPEG 2000 content", field="kind"
                )
    units = 1000
    prepared: list[PreparedPhoto | tuple[Path, StoredObject]] = []
    for index, f in enumerate(files):
        cancel.raise_if_cancelled()

        def step(done: int, total: int | None, _msg: str = "", i: int = index, name: str = f.name) -> None:
            fraction = min(1.0, done / total) if total else 0.0
            progress(i * units + int(fraction * units), len(files) * units, f"{i + 1}/{len(files)} {name}")

        step(0, 1)
        if kind in (None, "photo") and is_photo_file(f):
            prepared.append(prepare_photo(ctx, f, max_pixels=max_pixels, progress=step, cancel=cancel))
        else:
            prepared.append((f, ctx.store.objects.put_file(f, progress=step, cancel=cancel)))
    cancel.raise_if_cancelled()
    result = evidence_svc.AttachResult(incident_id)
    with ctx.store.write() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        for item in prepared:
            if isinstance(item, PreparedPhoto):
                existed = session.scalar(select(Evidence.id).where(Evidence.sha256 == item.stored.sha256)) is not None
                ev, linked = record_photo(session, ctx, incident, item, relation=relation)
                obj = item.stored
            else:
                original, obj = item
                ev, created = evidence_svc.record_stored(session, ctx, obj, original, kind=kind)
                existed = not created
                linked = evidence_svc.link(session, ctx, incident, ev, relation=relation) is not None
            result.new_files += int(not existed)
            result.bytes_stored += 0 if obj.already_present else obj.size
            (result.attached if linked else result.already_linked).append(ev.id)
    progress(len(files) * units, len(files) * units, "attached")
    return result


def _fields_from_info(info: ImageInfo) -> dict[str, Any]:
    g = info.georef
    fields: dict[str, Any] = {"capture_time": info.capture_time}
    if g is not None:
        center = g.center
        fields.update(
            lat=center[0] if center else None,
            lon=center[1] if center else None,
            footprint=g.footprint_geojson(),
            gsd_m=g.gsd_m,
        )
    return fields


# --------------------------------------------------------------------------- reading


def resolve_photo(session: Any, evidence_id: str) -> Evidence:
    """The imported photo an id (or unique prefix) names; other evidence kinds are refused."""
    ev = resolve(session, Evidence, evidence_id, "evidence")
    if ev.kind != "photo" or "image" not in (ev.meta or {}):
        raise ValidationError(f"evidence {ev.id[:8]} is a {ev.kind}, not an imported photo", field="evidence")
    return ev


def georef_of(ev: Evidence) -> Georef | None:
    """The georeferencing stored with a photo (from import or placing by hand)."""
    image = (ev.meta or {}).get("image") or {}
    g = image.get("georef")
    if not g:
        return None
    footprint = None
    if ev.footprint and ev.footprint.get("type") == "Polygon":
        footprint = [tuple(p) for p in ev.footprint["coordinates"][0]]
    return Georef(
        method=g["method"],
        width=int(image["width"]),
        height=int(image["height"]),
        crs=g.get("crs"),
        transform=tuple(g["transform"]) if g.get("transform") else None,  # type: ignore[arg-type]
        point=tuple(g["point"]) if g.get("point") else None,  # type: ignore[arg-type]
        bearing_deg=g.get("bearing_deg"),
        altitude_m=g.get("altitude_m"),
        gps_time=datetime.fromisoformat(g["gps_time"]) if g.get("gps_time") else None,
        footprint=footprint,
        gsd_m=ev.gsd_m,
        notes=list(g.get("notes") or []),
    )


def photo_info(ctx: Context, evidence_id: str) -> dict[str, Any]:
    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        anns = [annotation_dict(a) for a in ev.annotations]
        data = {**snapshot(ev), "annotations": anns}
    g = georef_of(ev)
    data["bounds"] = g.bounds() if g else None
    return data


def ensure_cache(
    ctx: Context, evidence_id: str, *, progress: Progress = no_progress, cancel: CancelToken = NEVER_CANCELLED
) -> Pyramid:
    """The photo's pyramid, rebuilt from the stored original if the cache was cleared."""
    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        sha = ev.sha256
    root = cache_dir(ctx, sha)
    original = ctx.store.objects.path_for(sha)
    # The limit was checked at import; the stored file is trusted to be what passed it.
    build_preview(original, root, max_pixels=2**62)
    return build_pyramid(original, root, max_pixels=2**62, progress=progress, cancel=cancel)


# --------------------------------------------------------------------------- editing


def set_capture_time(ctx: Context, evidence_id: str, when: datetime | None) -> dict[str, list[Any]]:
    """Correct the capture time (the file's own value stays in the metadata)."""
    if when is not None and when.tzinfo is None:
        raise ValidationError("capture time needs a time zone", field="capture_time")
    with ctx.store.write() as session:
        ev = resolve_photo(session, evidence_id)
        before = ev.capture_time
        if before == when:
            return {}
        ev.capture_time = when
        image = dict(ev.meta["image"])
        image["capture_time_source"] = "set by hand"
        ev.meta = {**ev.meta, "image": image}
        ev.version += 1
        diff = {"capture_time": [plain(before), plain(when)]}
        audit.record(session, ctx.actor, "photo.set_time", "evidence", ev.id, diff)
    return diff


def place_by_hand(
    ctx: Context,
    evidence_id: str,
    *,
    center: tuple[float, float] | None = None,
    gsd_m: float | None = None,
    rotation_deg: float = 0.0,
    corners: list[tuple[float, float]] | None = None,
) -> Georef:
    """Place a photo on the map by its centre and scale, or by its corners (lat, lon)."""
    limits.check_optional_number(gsd_m, limits.GSD_M, field="gsd_m")
    limits.check_number(rotation_deg, limits.Range(-360.0, 360.0, "°"), field="rotation_deg")
    with ctx.store.write() as session:
        ev = resolve_photo(session, evidence_id)
        image = dict(ev.meta["image"])
        g = manual_georef(
            int(image["width"]),
            int(image["height"]),
            center=center,
            gsd_m=gsd_m,
            rotation_deg=rotation_deg,
            corners=corners,
        )
        before = {"footprint": ev.footprint, "gsd_m": ev.gsd_m, "georef": image.get("georef")}
        image["georef"] = g.to_meta()
        ev.meta = {**ev.meta, "image": image}
        c = g.center
        ev.lat, ev.lon = (c[0], c[1]) if c else (None, None)
        ev.footprint = g.footprint_geojson()
        ev.gsd_m = g.gsd_m
        ev.version += 1
        audit.record(
            session,
            ctx.actor,
            "photo.place",
            "evidence",
            ev.id,
            {"before": before, "after": {"footprint": ev.footprint, "gsd_m": ev.gsd_m, "georef": image["georef"]}},
        )
    shutil.rmtree(cache_dir(ctx, ev.sha256) / "overlay", ignore_errors=True)
    return g


# --------------------------------------------------------------------------- annotations


def annotation_dict(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "evidence_id": a.evidence_id,
        "shape": a.shape,
        "points": a.points,
        "label": a.label,
        "length_m": a.length_m,
        "style": a.style or {},
        "author": a.author,
    }


def _length_for(shape: str, points: list[list[float]], gsd_m: float | None) -> float | None:
    if shape != "measurement" or gsd_m is None:
        return None
    return check_length(points, gsd_m).length_m


def _gsd(ev: Evidence, gsd_m: float | None) -> float | None:
    if gsd_m is not None and not gsd_m > 0:
        raise ValidationError(f"ground sample distance {gsd_m} must be positive", field="gsd_m")
    limits.check_optional_number(gsd_m, limits.GSD_M, field="gsd_m")
    return gsd_m if gsd_m is not None else ev.gsd_m


def add_annotation(
    ctx: Context,
    evidence_id: str,
    shape: str,
    points: Any,
    label: str = "",
    style: dict[str, Any] | None = None,
    *,
    gsd_m: float | None = None,
    annotation_id: str | None = None,
) -> dict[str, Any]:
    """Store one annotation (a measurement gets its length in metres when the GSD is known)."""
    with ctx.store.write() as session:
        ev = resolve_photo(session, evidence_id)
        img = ev.meta["image"]
        pts = normalise_points(shape, points, width=int(img["width"]), height=int(img["height"]))
        gsd = _gsd(ev, gsd_m)
        limits.check_name(label, field="label")
        a = Annotation(
            evidence_id=ev.id,
            shape=shape,
            points=pts,
            label=label,
            style=style or {},
            author=ctx.actor,
            length_m=_length_for(shape, pts, gsd),
        )
        if annotation_id:
            a.id = annotation_id
        if gsd_m is not None and shape == "measurement":
            a.style = {**a.style, "gsd_m": gsd_m}
        session.add(a)
        session.flush()
        data = annotation_dict(a)
        audit.record(
            session, ctx.actor, "annotation.restore" if annotation_id else "annotation.add", "annotation", a.id, data
        )
    return data


def restore_annotation(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Re-create a deleted annotation with its old id (undo of delete)."""
    return add_annotation(
        ctx,
        data["evidence_id"],
        data["shape"],
        data["points"],
        data.get("label") or "",
        data.get("style"),
        gsd_m=(data.get("style") or {}).get("gsd_m"),
        annotation_id=data["id"],
    )


def update_annotation(
    ctx: Context, annotation_id: str, *, points: Any = None, label: str | None = None, gsd_m: float | None = None
) -> dict[str, Any]:
    with ctx.store.write() as session:
        a = resolve(session, Annotation, annotation_id, "annotation")
        ev = resolve_photo(session, a.evidence_id)
        before = annotation_dict(a)
        if points is not None:
            img = ev.meta["image"]
            a.points = normalise_points(a.shape, points, width=int(img["width"]), height=int(img["height"]))
        if label is not None:
            a.label = label
        if a.shape == "measurement":
            gsd = _gsd(ev, gsd_m if gsd_m is not None else (a.style or {}).get("gsd_m"))
            a.length_m = _length_for(a.shape, a.points, gsd)
        after = annotation_dict(a)
        diff = {k: [before[k], after[k]] for k in ("points", "label", "length_m") if before[k] != after[k]}
        if diff:
            a.version += 1
            audit.record(session, ctx.actor, "annotation.update", "annotation", a.id, diff)
    return after


def delete_annotation(ctx: Context, annotation_id: str) -> dict[str, Any]:
    """Delete an annotation; returns what ``restore_annotation`` needs to undo it."""
    with ctx.store.write() as session:
        a = resolve(session, Annotation, annotation_id, "annotation")
        data = annotation_dict(a)
        bury(session, "annotation", a, ctx.actor)
        session.delete(a)
        audit.record(session, ctx.actor, "annotation.delete", "annotation", data["id"], data)
    return data


def list_annotations(ctx: Context, evidence_id: str) -> list[dict[str, Any]]:
    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        rows = session.scalars(
            select(Annotation).where(Annotation.evidence_id == ev.id).order_by(Annotation.created_at)
        ).all()
        return [annotation_dict(a) for a in rows]


# --------------------------------------------------------------------------- length check


def participant_vessels(
    session: Any, evidence_id: str, incident_id: str | None = None
) -> list[tuple[str, float | None]]:
    """(name, registry length) of every vessel taking part in an incident this photo is attached
    to, or only in ``incident_id`` (the incident the analyst is reviewing)."""
    query = (
        select(Vessel.name, Vessel.imo, Vessel.length_m)
        .join(Participant, Participant.vessel_id == Vessel.id)
        .join(IncidentEvidence, IncidentEvidence.incident_id == Participant.incident_id)
        .where(IncidentEvidence.evidence_id == evidence_id)
    )
    if incident_id is not None:
        query = query.where(Participant.incident_id == incident_id)
    rows = session.execute(query.distinct().order_by(Vessel.name)).all()
    return [(f"{name or 'unnamed'} (IMO {imo})" if imo else (name or "unnamed"), length) for name, imo, length in rows]


def length_check(
    ctx: Context, evidence_id: str, points: Any, gsd_m: float | None = None, *, incident_id: str | None = None
) -> LengthCheck:
    """Length of a line on the photo, compared with the registry length of the incident's vessels
    (of ``incident_id`` only, when given; else of every incident the photo is attached to)."""
    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        gsd = _gsd(ev, gsd_m)
        vessels = participant_vessels(session, ev.id, incident_id)
    if gsd is None:
        raise ValidationError(
            "this photo has no known ground sample distance: type one in (metres per pixel)", field="gsd_m"
        )
    return check_length(normalise_points("measurement", points), gsd, vessels)


def measure(
    ctx: Context, evidence_id: str, points: Any, *, gsd_m: float | None = None, label: str = ""
) -> tuple[dict[str, Any], LengthCheck]:
    """Check a hull length and keep the measurement as an annotation."""
    check = length_check(ctx, evidence_id, points, gsd_m)
    data = add_annotation(ctx, evidence_id, "measurement", points, label, gsd_m=gsd_m)
    return data, check


# --------------------------------------------------------------------------- derived files


@leaves_no_unused_objects
def export_annotated(ctx: Context, evidence_id: str, *, cancel: CancelToken = NEVER_CANCELLED) -> Evidence:
    """Store a PNG with the annotations drawn in, as evidence derived from the original, in the same incidents."""
    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        anns = [annotation_dict(a) for a in ev.annotations]
        incident_links = [(link.incident_id, link.relation) for link in ev.links]
        sha, name = ev.sha256, ev.original_name
    if not anns:
        raise ValidationError("this photo has no annotations to draw", field="annotations")
    original = ctx.store.objects.path_for(sha)
    with tempfile.TemporaryDirectory(dir=ctx.store.objects.scratch_dir()) as tmp:
        out = Path(tmp) / f"{Path(name).stem}-annotated.png"
        export_annotated_png(original, anns, out, max_pixels=2**62)
        cancel.raise_if_cancelled()
        info = probe_image(out, max_pixels=2**62)
        stored = ctx.store.objects.put_file(out, cancel=cancel)
    with ctx.store.write() as session:
        src = session.get(Evidence, ev.id)
        assert src is not None
        image = {
            **info.to_meta(),
            "georef": src.meta["image"].get("georef"),
            "derived": "annotated copy",
            "annotation_ids": [a["id"] for a in anns],
        }
        derived, created = evidence_svc.record_stored(
            session,
            ctx,
            stored,
            out,
            kind="photo",
            derived_from_id=src.id,
            capture_time=src.capture_time,
            lat=src.lat,
            lon=src.lon,
            footprint=src.footprint,
            gsd_m=src.gsd_m,
            source=src.source,
            provider=src.provider,
        )
        if created:
            derived.meta = {**(derived.meta or {}), "image": image}
            audit.record(
                session,
                ctx.actor,
                "photo.export_annotated",
                "evidence",
                derived.id,
                {"derived_from": src.id, "annotations": image["annotation_ids"]},
            )
        for incident_id, relation in incident_links:
            incident = session.get(Incident, incident_id)
            if incident is not None:
                evidence_svc.link(session, ctx, incident, derived, relation=relation, note="annotated copy")
        session.flush()
        session.expunge(derived)
    return derived


def overlay_for(ctx: Context, evidence_id: str) -> Overlay | None:
    """The photo warped to the map's Web Mercator grid (cached PNG) with its bounds; None if not georeferenced."""
    from PIL import Image

    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
    g = georef_of(ev)
    if g is None or g.transform is None or g.footprint is None:
        return None
    folder = cache_dir(ctx, ev.sha256) / "overlay"
    meta_path = folder / "overlay.json"
    try:
        m = json.loads(meta_path.read_text(encoding="utf-8"))
        if m.get("version") == ev.version:
            return Overlay(
                folder / "overlay.png", m["south"], m["west"], m["north"], m["east"], m["width"], m["height"]
            )
    except (OSError, ValueError, KeyError):
        pass
    image = ev.meta["image"]
    if image["width"] * image["height"] <= OVERLAY_FULL_PIXELS:
        src_path = ctx.store.objects.path_for(ev.sha256)
    else:
        ensure_cache(ctx, ev.id)
        src_path = cache_dir(ctx, ev.sha256) / "preview.png"
    with Image.open(src_path) as src:
        ov = overlay_png(src, g, folder / "overlay.png", nodata=image.get("nodata"))
    meta_path.write_text(
        json.dumps(
            {
                "version": ev.version,
                "south": ov.south,
                "west": ov.west,
                "north": ov.north,
                "east": ov.east,
                "width": ov.width,
                "height": ov.height,
            }
        ),
        encoding="utf-8",
    )
    return ov


# --------------------------------------------------------------------------- viewer model


class PhotoHandle:
    """One photo as the viewer sees it (``ui.photo_viewer.PhotoModel``); every write is a service call."""

    def __init__(self, ctx: Context, evidence_id: str, incident_id: str | None = None) -> None:
        self.ctx = ctx
        with ctx.store.read() as session:
            ev = resolve_photo(session, evidence_id)
        self.evidence_id = ev.id
        self.incident_id = incident_id  # the length check compares with this incident's vessels
        self.title = ev.original_name
        self.width = int(ev.meta["image"]["width"])
        self.height = int(ev.meta["image"]["height"])
        self.georef = georef_of(ev)
        self.gsd_m = ev.gsd_m
        root = cache_dir(ctx, ev.sha256)
        self.preview_path = build_preview(ctx.store.objects.path_for(ev.sha256), root, max_pixels=2**62)
        self.pyramid = open_pyramid(root)

    def annotations(self) -> list[dict[str, Any]]:
        return list_annotations(self.ctx, self.evidence_id)

    def add_annotation(
        self,
        shape: str,
        points: list[list[float]],
        label: str = "",
        style: dict[str, Any] | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]:
        return add_annotation(self.ctx, self.evidence_id, shape, points, label, style, gsd_m=gsd_m)

    def update_annotation(
        self,
        annotation_id: str,
        *,
        points: list[list[float]] | None = None,
        label: str | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]:
        return update_annotation(self.ctx, annotation_id, points=points, label=label, gsd_m=gsd_m)

    def delete_annotation(self, annotation_id: str) -> dict[str, Any]:
        return delete_annotation(self.ctx, annotation_id)

    def restore_annotation(self, data: dict[str, Any]) -> dict[str, Any]:
        return restore_annotation(self.ctx, data)

    def length_check(self, points: list[list[float]], gsd_m: float | None = None) -> LengthCheck:
        return length_check(self.ctx, self.evidence_id, points, gsd_m, incident_id=self.incident_id)

    def ais_check(self) -> Any:
        """The vessels AIS places in the photo at capture time, and its dark hulls (``services.photo_ais``)."""
        from evidence_app.services.photo_ais import check_photo

        return check_photo(self.ctx, self.evidence_id)
