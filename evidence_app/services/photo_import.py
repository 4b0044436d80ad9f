"""Photo import: checks, georeferencing from the file, tile pyramid, then one evidence row (alone or attached to an incident)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.incident import validate_evidence_kind, validate_relation
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.imagery.images import DEFAULT_MAX_PIXELS, ImageInfo, probe_image
from evidence_app.imagery.pyramid import build_preview, build_pyramid, open_pyramid
from evidence_app.services import evidence as evidence_svc
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.photos import cache_dir
from evidence_app.services.record_edits import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import (
    Evidence,
    Incident,
)
from evidence_app.storage.objects import StoredObject

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
