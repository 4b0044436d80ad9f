"""Warp a georeferenced photo onto the map's Web Mercator grid, as a PNG with its WGS 84 bounds.

Leaflet's ImageOverlay stretches a picture linearly between two lat/lon corners in Web
Mercator, so the picture must be resampled onto a grid uniform in EPSG:3857; pixels
outside the photo (or equal to its nodata value) are transparent.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.imagery.display import to_display
from evidence_app.imagery.georef import Georef, invert_affine

MAX_MERCATOR_LAT = 85.05112878


@dataclass(frozen=True)
class Overlay:
    path: Path
    south: float
    west: float
    north: float
    east: float
    width: int
    height: int

    @property
    def leaflet_bounds(self) -> list[list[float]]:
        """[[south, west], [north, east]], as ``L.imageOverlay`` takes them."""
        return [[self.south, self.west], [self.north, self.east]]


def overlay_png(
    source: Any,
    georef: Georef,
    out_path: Path | str,
    *,
    max_side: int = 2048,
    nodata: float | None = None,
) -> Overlay:
    """Resample ``source`` (a Pillow image of the whole photo, any reduction) onto a Web Mercator grid.

    ``source`` may be smaller than the photo (a preview): its pixels are scaled to the
    photo's size given in ``georef``. Writes an RGBA PNG to ``out_path``.
    """
    import numpy as np
    from PIL import Image
    from pyproj import Transformer

    if georef.transform is None or georef.crs is None or georef.footprint is None:
        raise UserError("this photo has no map georeferencing; it can only be shown as a marker")
    west, south, east, north = georef.bounds()  # type: ignore[misc]
    if east - west > 180:
        raise UserError("footprint crosses the antimeridian; overlay not supported for it yet")
    south, north = max(south, -MAX_MERCATOR_LAT), min(north, MAX_MERCATOR_LAT)
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (mx0, mx1), (my0, my1) = to_merc.transform([west, east], [south, north])
    # Output resolution: about the photo's own (or the source's, if reduced), capped at max_side.
    # The app's one display stretch: a 16-bit scene would otherwise come out white or black.
    shown = to_display(source, getattr(source, "filename", None) or None, nodata=nodata)
    src = shown.convert("RGBA") if shown.mode in ("LA", "RGBA") else shown.convert("RGB")
    src_scale = src.size[0] / georef.width
    lat_c = math.radians((south + north) / 2)
    merc_px = (georef.gsd_m or 1.0) / src_scale / max(math.cos(lat_c), 1e-6)
    out_w = max(1, round((mx1 - mx0) / merc_px))
    out_h = max(1, round((my1 - my0) / merc_px))
    shrink = max(out_w, out_h) / max_side
    if shrink > 1:
        out_w, out_h = max(1, round(out_w / shrink)), max(1, round(out_h / shrink))
    # Centres of the output pixels in Mercator, row 0 at the north edge.
    xs = mx0 + (np.arange(out_w) + 0.5) * (mx1 - mx0) / out_w
    ys = my1 - (np.arange(out_h) + 0.5) * (my1 - my0) / out_h
    gx, gy = np.meshgrid(xs, ys)
    to_src = Transformer.from_crs("EPSG:3857", georef.crs, always_xy=True)
    sx, sy = to_src.transform(gx.ravel(), gy.ravel())
    a, b, c, d, e, f = invert_affine(georef.transform)
    px = (a * sx + b * sy + c) * src_scale
    py = (d * sx + e * sy + f) * src_scale
    arr = np.asarray(src)
    h, w = arr.shape[:2]
    inside = np.isfinite(px) & np.isfinite(py) & (px >= 0) & (py >= 0) & (px < w) & (py < h)
    ix = np.clip(np.nan_to_num(px), 0, w - 1).astype(np.intp)
    iy = np.clip(np.nan_to_num(py), 0, h - 1).astype(np.intp)
    picked = arr[iy, ix] if arr.ndim == 3 else np.repeat(arr[iy, ix][:, None], 3, axis=1)
    rgb = picked[:, :3]
    alpha = np.where(inside, picked[:, 3] if picked.shape[1] == 4 else 255, 0).astype(np.uint8)
    if nodata is not None:
        alpha[np.all(rgb == nodata, axis=1)] = 0
    out = np.concatenate([rgb, alpha[:, None]], axis=1).reshape(out_h, out_w, 4).astype(np.uint8)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer: the map and the photo viewer may build the same overlay at
    # once on two threads, and a shared ".part" lets one writer rename the other's file away.
    tmp = out_path.with_name(f"{out_path.name}.{os.getpid()}.{threading.get_ident()}.part")
    Image.fromarray(out, "RGBA").save(tmp, "PNG")
    os.replace(tmp, out_path)
    return Overlay(out_path, south, west, north, east, out_w, out_h)
