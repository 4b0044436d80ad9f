"""A photo resampled onto the map (Web Mercator) as a PNG overlay, cached beside the object store."""

from __future__ import annotations

import json

from evidence_app.imagery.overlay import Overlay, overlay_png
from evidence_app.services.context import Context
from evidence_app.services.photos import cache_dir, ensure_cache, georef_of, resolve_photo

# Overlays are drawn from the full image up to this size, from the preview above it.
OVERLAY_FULL_PIXELS = 16_000_000


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
