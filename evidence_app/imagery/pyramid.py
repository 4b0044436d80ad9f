"""Reduced previews and tile pyramids for huge photos, built with Pillow in bounded memory.

Cache layout (one folder per image, given by the caller, usually named by SHA-256)::

    <cache>/preview.png          longest side <= PREVIEW_SIDE, for an instant first view
    <cache>/pyramid.json         written last: its presence means the pyramid is complete
    <cache>/<level>/<col>_<row>.png   level 0 = full resolution, each level halves the last

Memory: a JPEG preview is decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (``draft``),
so it never holds the full image. The pyramid holds one full-resolution copy plus the
next level while it writes tiles (about 1.25 × width × height × bands bytes); nothing
else scales with the image.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.imagery.display import to_display, wide_tiff
from evidence_app.imagery.images import DEFAULT_MAX_PIXELS, open_image

TILE_SIZE = 512
PREVIEW_SIDE = 2048
PREVIEW_NAME = "preview.png"
META_NAME = "pyramid.json"
FORMAT_VERSION = 1
# PNG level 1: tiles must show the exact pixels (analysts measure on them) and must be quick to write.
PNG_OPTIONS: dict[str, Any] = {"compress_level": 1}


@dataclass(frozen=True)
class Pyramid:
    """A finished tile pyramid on disk."""

    root: Path
    width: int
    height: int
    tile_size: int
    levels: int
    mode: str

    def level_size(self, level: int) -> tuple[int, int]:
        w, h = self.width, self.height
        for _ in range(level):
            w, h = (w + 1) // 2, (h + 1) // 2
        return w, h

    def grid(self, level: int) -> tuple[int, int]:
        w, h = self.level_size(level)
        return math.ceil(w / self.tile_size), math.ceil(h / self.tile_size)

    def tile_path(self, level: int, col: int, row: int) -> Path:
        return self.root / str(level) / f"{col}_{row}.png"

    def level_for_scale(self, scale: float) -> int:
        """The coarsest level that still has at least one source pixel per screen pixel at ``scale``."""
        if scale <= 0:
            return self.levels - 1
        level = int(math.floor(math.log2(1 / scale))) if scale < 1 else 0
        return max(0, min(self.levels - 1, level))

    def tiles_in(self, level: int, x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
        """(col, row) of the tiles of ``level`` that cover the full-resolution rectangle (x0, y0)–(x1, y1)."""
        f = 2**level * self.tile_size
        cols, rows = self.grid(level)
        c0, c1 = max(0, int(x0 // f)), min(cols - 1, int(math.ceil(x1 / f)) - 1)
        r0, r1 = max(0, int(y0 // f)), min(rows - 1, int(math.ceil(y1 / f)) - 1)
        return [(c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    @property
    def preview_path(self) -> Path:
        return self.root / PREVIEW_NAME


def open_pyramid(cache_dir: Path | str) -> Pyramid | None:
    """The complete pyramid in ``cache_dir``, or None when absent, partial or of an older format."""
    root = Path(cache_dir)
    try:
        meta = json.loads((root / META_NAME).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            return None
        return Pyramid(
            root, int(meta["width"]), int(meta["height"]), int(meta["tile_size"]), int(meta["levels"]), meta["mode"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _display_mode(im: Any) -> Any:
    """Any Pillow image as L, LA, RGB or RGBA for display, with the app's one stretch (``imagery.display``)."""
    return to_display(im)


def decoded_for_display(im: Any, path: Path, name: str) -> Any:
    """The whole image decoded and ready to show; wide multi-band TIFFs are read at full depth first."""
    if wide_tiff(im):
        try:
            return to_display(im, path)
        except MemoryError:
            raise UserError("not enough memory to decode this image", location=name) from None
    return to_display(_decode(im, name))


def _decode(im: Any, name: str) -> Any:
    try:
        im.load()
    except MemoryError:
        raise UserError("not enough memory to decode this image", location=name) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UserError(f"image data is truncated or corrupt ({exc})", location=name) from None
    return im


def _atomic_save(img: Any, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    img.save(tmp, "PNG", **PNG_OPTIONS)
    os.replace(tmp, target)


def build_preview(
    image_path: Path | str, cache_dir: Path | str, *, max_side: int = PREVIEW_SIDE, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Path:
    """Write ``preview.png`` (longest side <= ``max_side``) and return its path; reuse it when present.

    JPEGs are decoded at reduced scale (fast, small); other formats are decoded once and reduced.
    """
    root = Path(cache_dir)
    target = root / PREVIEW_NAME
    if target.is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    name = Path(image_path).name
    with open_image(Path(image_path), max_pixels) as im:
        w, h = im.size
        if im.format in ("JPEG", "MPO"):
            # Ask libjpeg for the smallest DCT scale that stays at least max_side long.
            im.draft(
                "RGB" if im.mode not in ("L", "CMYK") else im.mode,
                (max(1, w * max_side // max(w, h)), max(1, h * max_side // max(w, h))),
            )
        img = decoded_for_display(im, Path(image_path), name)
        factor = max(1, math.ceil(max(img.size) / max_side))
        if factor > 1:
            img = img.reduce(factor)
        _atomic_save(img, target)
    return target


def build_pyramid(
    image_path: Path | str,
    cache_dir: Path | str,
    *,
    tile_size: int = TILE_SIZE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Pyramid:
    """Decode the image once and write its tile pyramid into ``cache_dir``; reuse a complete one.

    Raises UserError for truncated or corrupt data; a cancelled or failed build leaves
    no ``pyramid.json``, so the next open rebuilds it.
    """
    root = Path(cache_dir)
    existing = open_pyramid(root)
    if existing is not None:
        return existing
    root.mkdir(parents=True, exist_ok=True)
    name = Path(image_path).name
    with open_image(Path(image_path), max_pixels) as im:
        w, h = im.size
        levels = 1
        lw, lh = w, h
        while max(lw, lh) > tile_size:
            lw, lh = (lw + 1) // 2, (lh + 1) // 2
            levels += 1
        total = 0
        lw, lh = w, h
        for _ in range(levels):
            total += math.ceil(lw / tile_size) * math.ceil(lh / tile_size)
            lw, lh = (lw + 1) // 2, (lh + 1) // 2
        progress(0, total, "decoding image")
        cancel.raise_if_cancelled()
        level_img = decoded_for_display(im, Path(image_path), name)
        mode = level_img.mode
        done = 0
        # Build into a scratch folder and swap it in, so a partial pyramid is never visible.
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            for level in range(levels):
                (scratch / str(level)).mkdir()
                lw, lh = level_img.size
                for row in range(math.ceil(lh / tile_size)):
                    for col in range(math.ceil(lw / tile_size)):
                        cancel.raise_if_cancelled()
                        box = (
                            col * tile_size,
                            row * tile_size,
                            min(lw, (col + 1) * tile_size),
                            min(lh, (row + 1) * tile_size),
                        )
                        level_img.crop(box).save(scratch / str(level) / f"{col}_{row}.png", "PNG", **PNG_OPTIONS)
                        done += 1
                    progress(done, total, f"level {level}")
                if level + 1 < levels:
                    nxt = level_img.reduce(2)
                    level_img.close()
                    level_img = nxt
                    if max(level_img.size) <= PREVIEW_SIDE and not (root / PREVIEW_NAME).exists():
                        _atomic_save(level_img, root / PREVIEW_NAME)
            if not (root / PREVIEW_NAME).exists():
                _atomic_save(level_img, root / PREVIEW_NAME)
            level_img.close()
            for level in range(levels):
                dest = root / str(level)
                if dest.exists():
                    shutil.rmtree(dest)
                os.replace(scratch / str(level), dest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    meta = {"format": FORMAT_VERSION, "width": w, "height": h, "tile_size": tile_size, "levels": levels, "mode": mode}
    tmp = root / (META_NAME + ".part")
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, root / META_NAME)
    progress(total, total, "done")
    result = open_pyramid(root)
    assert result is not None
    return result


def read_region(pyr: Pyramid, level: int, box: tuple[int, int, int, int]) -> Any:
    """Assemble the level-``level`` pixels in ``box`` (level coordinates) from tiles, as a Pillow image."""
    from PIL import Image

    x0, y0, x1, y1 = box
    ts = pyr.tile_size
    out = Image.new(pyr.mode, (max(1, x1 - x0), max(1, y1 - y0)))
    cols, rows = pyr.grid(level)
    for row in range(max(0, y0 // ts), min(rows, math.ceil(y1 / ts))):
        for col in range(max(0, x0 // ts), min(cols, math.ceil(x1 / ts))):
            with Image.open(pyr.tile_path(level, col, row)) as tile:
                out.paste(tile, (col * ts - x0, row * ts - y0))
    return out
