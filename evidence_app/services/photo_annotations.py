"""Annotations on a photo (points, lines, boxes with labels), hull length checks against the vessels of an incident, and the annotated derived copy."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence_app.analysis.length import LengthCheck, check_length
from evidence_app.casefile.record_dicts import bury
from evidence_app.domain import limits
from evidence_app.domain.annotations import normalise_points
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken
from evidence_app.imagery.images import probe_image
from evidence_app.imagery.render import export_annotated_png
from evidence_app.services import evidence as evidence_svc
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.photos import annotation_dict, resolve_photo
from evidence_app.services.record_edits import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import (
    Annotation,
    Evidence,
    Incident,
    IncidentEvidence,
    Participant,
    Vessel,
)


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
