"""Draw annotations onto a copy of a photo (for "Export annotated copy"); the original is never touched."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evidence_app.domain.annotations import normalise_points
from evidence_app.imagery.images import DEFAULT_MAX_PIXELS, open_image

DEFAULT_COLOURS = {
    "box": "#ffd400",
    "arrow": "#ff3b30",
    "line": "#00e5ff",
    "polygon": "#7cff4f",
    "text": "#ffffff",
    "measurement": "#ff00ff",
}


def _label_for(a: Mapping[str, Any]) -> str:
    label = str(a.get("label") or "")
    if a.get("shape") == "measurement" and a.get("length_m") is not None:
        metres = f"{float(a['length_m']):.1f} m"
        label = f"{label} {metres}".strip() if metres not in label else label
    return label


def draw_annotations(img: Any, annotations: Iterable[Mapping[str, Any]]) -> Any:
    """Return an RGB(A) copy of Pillow image ``img`` with the annotations drawn at its pixel scale."""
    from PIL import ImageDraw, ImageFont

    out = img.convert("RGBA" if "A" in img.mode else "RGB")
    draw = ImageDraw.Draw(out)
    # Stroke and text grow with the image so they stay legible on large scenes.
    base = max(2, round(max(out.size) / 400))
    font = ImageFont.load_default(size=max(12, base * 7))
    for a in annotations:
        shape = a["shape"]
        pts = [tuple(p) for p in normalise_points(shape, a["points"])]
        style = a.get("style") or {}
        colour = style.get("color") or DEFAULT_COLOURS.get(shape, "#ffffff")
        width = int(style.get("width") or base)
        label = _label_for(a)
        if shape == "box":
            (x0, y0), (x1, y1) = pts
            draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=colour, width=width)
        elif shape in ("line", "measurement"):
            draw.line(pts, fill=colour, width=width, joint="curve")
            if shape == "measurement":
                for p, q in ((pts[0], pts[1]), (pts[-1], pts[-2])):
                    _end_tick(draw, p, q, colour, width)
        elif shape == "arrow":
            draw.line(pts, fill=colour, width=width)
            _arrow_head(draw, pts[0], pts[1], colour, width)
        elif shape == "polygon":
            draw.polygon(pts, outline=colour, width=width)
        if label:
            anchor = pts[0] if shape == "text" else max(pts, key=lambda p: -p[1])
            pos = (anchor[0], anchor[1] - (0 if shape == "text" else base * 9))
            draw.text(pos, label, fill=colour, font=font, stroke_width=max(1, base // 2), stroke_fill="#000000")
    return out


def _arrow_head(draw: Any, tail: tuple[float, float], head: tuple[float, float], colour: str, width: int) -> None:
    ang = math.atan2(head[1] - tail[1], head[0] - tail[0])
    size = width * 5
    left = (head[0] - size * math.cos(ang - 0.45), head[1] - size * math.sin(ang - 0.45))
    right = (head[0] - size * math.cos(ang + 0.45), head[1] - size * math.sin(ang + 0.45))
    draw.polygon([head, left, right], fill=colour)


def _end_tick(draw: Any, p: tuple[float, float], q: tuple[float, float], colour: str, width: int) -> None:
    ang = math.atan2(q[1] - p[1], q[0] - p[0]) + math.pi / 2
    s = width * 3
    draw.line(
        [(p[0] - s * math.cos(ang), p[1] - s * math.sin(ang)), (p[0] + s * math.cos(ang), p[1] + s * math.sin(ang))],
        fill=colour,
        width=width,
    )


def export_annotated_png(
    image_path: Path | str,
    annotations: Iterable[Mapping[str, Any]],
    out_path: Path | str,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Path:
    """Write a full-resolution PNG of the photo with the annotations drawn in; returns ``out_path``."""
    from evidence_app.imagery.pyramid import decoded_for_display

    out_path = Path(out_path)
    with open_image(Path(image_path), max_pixels) as im:
        img = decoded_for_display(im, Path(image_path), Path(image_path).name)
        rendered = draw_annotations(img, list(annotations))
    tmp = out_path.with_name(out_path.name + ".part")
    rendered.save(tmp, "PNG", compress_level=6)
    os.replace(tmp, out_path)
    return out_path
