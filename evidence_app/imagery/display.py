"""One display stretch for every place an image is drawn: thumbnails, reports, the viewer's pyramid, map overlays.

Satellite bands (Sentinel-2, Landsat) are 16-bit, with useful values in a narrow part of
the range: converted to 8 bits as Pillow does by default they come out white (single
band, clipped) or black (three bands, high byte only). Here every image wider than 8 bits
per sample is stretched the same way, band by band: the 2nd to 98th percentile of its
finite, non-nodata values maps to 0–255. Multi-band TIFFs that Pillow cannot decode at
full depth (16-bit RGB, planar or 4+ band files) are read with tifffile. Ordinary 8-bit
photos are shown exactly as they are.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

LOW_PERCENT = 2.0
HIGH_PERCENT = 98.0
SAMPLE_VALUES = 1_000_000  # percentiles from at most this many values per band (an even subsample)
EIGHT_BIT_MODES = ("L", "LA", "RGB", "RGBA")


def stretch(array: Any, nodata: float | None = None) -> Any:
    """A uint8 array of the same shape: each band's 2–98 % range mapped to 0–255; NaN and nodata to 0."""
    import numpy as np

    a = np.asarray(array)
    bands = a[..., None] if a.ndim == 2 else a
    out = np.zeros(bands.shape, dtype=np.uint8)
    for b in range(bands.shape[-1]):
        band = bands[..., b].astype(np.float64, copy=False)
        valid = np.isfinite(band)
        if nodata is not None and math.isfinite(nodata):
            valid &= band != nodata
        values = band[valid]
        if values.size == 0:
            continue
        if values.size > SAMPLE_VALUES:
            values = values[:: values.size // SAMPLE_VALUES + 1]
        lo, hi = np.percentile(values, [LOW_PERCENT, HIGH_PERCENT])
        if hi <= lo:  # a flat band: show it mid-grey rather than as nothing
            out[..., b] = np.where(valid, 128, 0)
            continue
        scaled = (np.nan_to_num(band, nan=lo) - lo) * (255.0 / (hi - lo))
        out[..., b] = np.where(valid, np.clip(scaled, 0, 255), 0).astype(np.uint8)
    return out[..., 0] if a.ndim == 2 else out


def wide_tiff(im: Any) -> bool:
    """A TIFF whose samples are wider than 8 bits and that Pillow would narrow or refuse (several samples per pixel)."""
    if getattr(im, "format", None) != "TIFF":
        return False
    tags = getattr(im, "tag_v2", {})
    bits = tags.get(258, (8,))
    bits = bits if isinstance(bits, tuple) else (bits,)
    samples = int(tags.get(277, 1) or 1)
    return max(int(b) for b in bits) > 8 and samples > 1


def _from_array(array: Any, nodata: float | None) -> Any:
    """Bands (H×W or H×W×B) as a displayable Pillow image: one band grey, three or more the first three as RGB."""
    from PIL import Image

    a = array
    if a.ndim == 3 and a.shape[-1] == 2:
        a = a[..., 0]
    if a.ndim == 3:
        a = a[..., :3]
    shown = stretch(a, nodata) if a.dtype != "uint8" else a
    return Image.fromarray(shown, "L" if shown.ndim == 2 else "RGB")


def _read_tiff(path: Path, max_side: int | None) -> Any:
    """The first image of a TIFF as an H×W or H×W×B array (planar files made pixel-interleaved), every ``k``-th
    pixel for a preview of ``max_side``."""
    import numpy as np
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        try:
            array = page.asarray(out="memmap") if page.is_contiguous else page.asarray()
        except (ValueError, TypeError):
            array = page.asarray()
        if page.planarconfig == 2 and array.ndim == 3:  # SEPARATE: bands first
            array = np.moveaxis(array, 0, -1)
    if max_side:
        k = max(1, max(array.shape[0], array.shape[1]) // max_side)  # at least max_side left: the caller resamples
        array = array[::k, ::k]
    return np.ascontiguousarray(array)


def to_display(
    im: Any, path: Path | str | None = None, *, nodata: float | None = None, max_side: int | None = None
) -> Any:
    """A Pillow image in L, LA, RGB or RGBA with 16-bit, float and multi-band data stretched for the eye.

    ``path`` lets a wide multi-band TIFF be re-read at full depth (Pillow keeps only the
    high byte of 16-bit RGB); ``max_side`` lets that read skip pixels for a small preview.
    """
    if path is not None and wide_tiff(im):
        try:
            return _from_array(_read_tiff(Path(path), max_side), nodata)
        except (ImportError, OSError, ValueError, KeyError, IndexError):
            pass  # tifffile absent or the layout unusual: fall back to what Pillow decodes
    if im.mode in EIGHT_BIT_MODES:
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        import numpy as np

        return _from_array(np.asarray(im), nodata)
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def open_for_display(path: Path | str, *, max_side: int, nodata: float | None = None) -> Any:
    """Open an image file and return a displayable Pillow image whose longer side is at most ``max_side``.

    JPEGs are decoded at reduced scale (libjpeg's draft mode). Raises OSError (Pillow's
    UnidentifiedImageError included) or ValueError when the file cannot be shown.
    """
    from PIL import Image

    with Image.open(path) as im:
        full = im.size
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB" if im.mode not in ("L", "CMYK") else im.mode, (max_side, max_side))
        if wide_tiff(im):
            shown = to_display(im, path, nodata=nodata, max_side=max_side)
        else:
            im.load()
            shown = to_display(im, nodata=nodata)
            if shown is im:
                shown = im.copy()
    if max(shown.size) > max_side:
        shown.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    shown.info["full_size"] = full
    return shown
