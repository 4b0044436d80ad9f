"""Douglas–Peucker line simplification in Web Mercator, with a tolerance of one screen pixel
at a given zoom, so a 500,000-point track set draws as a few thousand vertices zoomed out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_SIMPLIFIED_ZOOM = 14  # beyond this, one pixel is under 10 m: tracks are sent whole


def pixel_tolerance(zoom: int) -> float:
    """One 256-px tile pixel at ``zoom``, in Mercator 'degrees' (x in degrees of longitude)."""
    return 360.0 / (256.0 * 2.0**zoom)


def mercator_y(lat: np.ndarray) -> np.ndarray:
    """Latitude → Mercator y, scaled so it has the same unit as longitude in degrees."""
    import numpy as np

    clipped = np.clip(lat, -85.05, 85.05)
    return np.degrees(np.log(np.tan(np.pi / 4.0 + np.radians(clipped) / 2.0)))


def douglas_peucker(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the points kept when simplifying the line (x, y) to ``tolerance``.

    Iterative (no recursion limit); each step measures all points of one span at once.
    The first and last points are always kept.
    """
    import numpy as np

    n = len(x)
    if n <= 2 or tolerance <= 0.0:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        xs, ys = x[start + 1 : end], y[start + 1 : end]
        dx, dy = x[end] - x[start], y[end] - y[start]
        length = math.hypot(dx, dy)
        if length == 0.0:
            dist = np.hypot(xs - x[start], ys - y[start])
        else:
            dist = np.abs(dy * (xs - x[start]) - dx * (ys - y[start])) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            split = start + 1 + i
            keep[split] = True
            stack.append((start, split))
            stack.append((split, end))
    return np.flatnonzero(keep)


def simplify_for_zoom(lon: np.ndarray, lat: np.ndarray, zoom: int) -> np.ndarray:
    """Indices of the vertices worth drawing at ``zoom`` (all of them past MAX_SIMPLIFIED_ZOOM)."""
    import numpy as np

    if zoom > MAX_SIMPLIFIED_ZOOM:
        return np.arange(len(lon))
    return douglas_peucker(np.asarray(lon, float), mercator_y(np.asarray(lat, float)), pixel_tolerance(zoom))
