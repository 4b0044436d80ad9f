"""Satellite and camera photos as stored: the evidence row, its georeferencing, its annotations as records, and derived files.

Import is `services/photo_import`, placing by hand `photo_placement`, annotations and
length checks `annotations`, map overlays `overlays`, the viewer's handle `photo_handle`.

Previews, tile pyramids and map overlays are derived files kept in a cache folder beside
the object store (``<objects>/cache/photos/<sha256>/``); they can be deleted and are
rebuilt on demand. The original bytes are never changed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.imagery.georef import Georef
from evidence_app.imagery.pyramid import Pyramid, build_preview, build_pyramid
from evidence_app.services.context import Context
from evidence_app.services.record_edits import resolve, snapshot
from evidence_app.storage.models import (
    Annotation,
    Evidence,
)


def cache_dir(ctx: Context, sha256: str) -> Path:
    return ctx.store.objects.root / "cache" / "photos" / sha256


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


# --------------------------------------------------------------------------- viewer model
