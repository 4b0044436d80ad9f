"""Rules for annotations drawn on images: which shapes exist and how many points each needs."""

from __future__ import annotations

import math
from typing import Any

from evidence_app.domain.errors import ValidationError

# shape → (minimum points, maximum points or None for unbounded)
SHAPES: dict[str, tuple[int, int | None]] = {
    "box": (2, 2),  # two opposite corners
    "arrow": (2, 2),  # tail, head
    "line": (2, None),  # a polyline
    "polygon": (3, None),
    "text": (1, 1),  # anchor (top-left of the text)
    "measurement": (2, None),  # a polyline along a hull
}


def normalise_points(
    shape: str, points: Any, *, width: int | None = None, height: int | None = None
) -> list[list[float]]:
    """Check ``points`` for ``shape`` and return them as [[x, y], ...] floats in image pixels.

    Points may lie slightly outside the image (an arrow pointing at an edge), but not
    further than one image size away, which catches swapped or mis-scaled coordinates.
    """
    if shape not in SHAPES:
        raise ValidationError(f"shape is {shape!r}, expected one of {', '.join(SHAPES)}", field="shape")
    lo, hi = SHAPES[shape]
    try:
        pts = [[float(p[0]), float(p[1])] for p in points]
        if any(len(p) != 2 for p in points):
            raise ValueError
    except (TypeError, ValueError, IndexError, KeyError):
        raise ValidationError(f"points are {points!r}, expected a list of [x, y] pairs", field="points") from None
    if len(pts) < lo or (hi is not None and len(pts) > hi):
        want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo}–{hi}"
        raise ValidationError(f"a {shape} has {len(pts)} points, expected {want}", field="points")
    for x, y in pts:
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValidationError(f"point ({x}, {y}) is not a finite pixel position", field="points")
        if width is not None and height is not None and not (-width <= x <= 2 * width and -height <= y <= 2 * height):
            raise ValidationError(
                f"point ({x:.0f}, {y:.0f}) lies far outside the {width}×{height} image", field="points"
            )
    return pts
