"""Placing a photo by hand: its capture time and its footprint on the map (centre and scale, or corners)."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.imagery.georef import Georef, manual_georef
from evidence_app.services.context import Context
from evidence_app.services.photos import cache_dir, resolve_photo
from evidence_app.services.record_edits import plain
from evidence_app.storage import audit


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
