"""Small PNG previews of image evidence, made from the read-only original in the store."""

from __future__ import annotations

import io

from evidence_app.services.context import Context


def thumbnail_png(ctx: Context, sha256: str, media_type: str, *, size: int = 96) -> bytes | None:
    """A PNG at most ``size`` pixels on its longer side, or None when the item is not a readable image."""
    if not media_type.startswith("image/"):
        return None
    from evidence_app.imagery.display import open_for_display

    path = ctx.store.objects.path_for(sha256)
    try:
        preview = open_for_display(path, max_side=size)  # 16-bit and multi-band scenes stretched, as everywhere
    except (OSError, ValueError, MemoryError):
        return None  # a damaged or exotic image still lists; it just has no preview
    out = io.BytesIO()
    preview.save(out, format="PNG")
    return out.getvalue()
