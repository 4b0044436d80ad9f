"""Vessel length from a photo: pixel length × ground sample distance, checked against the registry."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evidence_app.domain.errors import ValidationError

DEFAULT_TOLERANCE_PX = 2.0
"""A hull's ends are uncertain by about a pixel each, so ±2 pixels × GSD is the resolution limit."""


@dataclass(frozen=True)
class Comparison:
    """One participant vessel's registry length against the measured length."""

    vessel: str
    registry_length_m: float | None
    difference_m: float | None  # measured − registry
    consistent: bool | None  # None when the registry has no length

    @property
    def verdict(self) -> str:
        if self.consistent is None:
            return f"{self.vessel}: no registry length to compare"
        word = "consistent" if self.consistent else "INCONSISTENT"
        return f"{self.vessel}: registry {self.registry_length_m:.0f} m, difference {self.difference_m:+.0f} m — {word}"


@dataclass(frozen=True)
class LengthCheck:
    pixels: float
    gsd_m: float
    length_m: float
    tolerance_m: float
    comparisons: tuple[Comparison, ...] = ()

    @property
    def summary(self) -> str:
        head = f"{self.length_m:.1f} m ± {self.tolerance_m:.1f} m ({self.pixels:.1f} px × {self.gsd_m:.3g} m/px)"
        return "\n".join([head, *(c.verdict for c in self.comparisons)])


def pixel_length(points: Sequence[Sequence[float]]) -> float:
    """Length of a polyline in pixels."""
    if len(points) < 2:
        raise ValidationError(f"a length needs at least 2 points, got {len(points)}", field="points")
    return sum(math.dist(points[i], points[i + 1]) for i in range(len(points) - 1))


def check_length(
    points: Sequence[Sequence[float]],
    gsd_m: float,
    vessels: Sequence[tuple[str, float | None]] = (),
    *,
    tolerance_px: float = DEFAULT_TOLERANCE_PX,
) -> LengthCheck:
    """Measure ``points`` at ``gsd_m`` metres per pixel and compare with each (name, registry length)."""
    if not (isinstance(gsd_m, int | float) and math.isfinite(gsd_m) and gsd_m > 0):
        raise ValidationError(
            f"ground sample distance is {gsd_m!r}, expected a positive number of metres", field="gsd_m"
        )
    px = pixel_length(points)
    length = px * gsd_m
    tol = tolerance_px * gsd_m
    comps = []
    for name, reg in vessels:
        if reg is None or not math.isfinite(reg) or reg <= 0:
            comps.append(Comparison(name, None, None, None))
        else:
            diff = length - reg
            comps.append(Comparison(name, reg, diff, abs(diff) <= tol))
    return LengthCheck(px, float(gsd_m), length, tol, tuple(comps))
