"""Where a detection is not a lead: near the coast, on land by the coastline data, at a port or anchorage, in a zone.

Global Fishing Watch keeps bunkering and waiting ships out of its encounter list by
excluding events at known anchorages; we do the same with three offline sources:

- **ports**: the world port list shipped in the ``searoute`` package (3,962 ports with
  their UN/LOCODE, package licence Apache-2.0), read from the installed package;
- **anchorages learned from the loaded AIS**, as GFW learns its own: cells about 1 km
  across in which, with their neighbours, at least ``anchorage_min_vessels`` distinct
  vessels lay stationary (below 0.5 kn);
- **exclusion zones** the analyst defines (boxes, with a name).

``screen`` splits candidate detections into kept ones and ``Exclusion`` records, one per
candidate removed, naming the rule and the place, so a report can show what was left out
and why. Nothing is dropped without such a record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from evidence_app.analysis.detection import Detection
from evidence_app.analysis.tracks import EARTH_RADIUS_M, Tracks, chord_to_m, lat_lon, unit_vectors

if TYPE_CHECKING:
    import numpy as np

STATIONARY_KN = 0.5
ANCHORAGE_CELL_M = 1000.0
PORTS_SOURCE = "searoute 1.6 world port list (UN/LOCODE ports)"
REASONS = ("zone", "port", "anchorage", "on_land", "near_shore")


@dataclass(frozen=True)
class Zone:
    """A box the analyst keeps out of the results (W > E crosses the antimeridian)."""

    name: str
    west: float
    south: float
    east: float
    north: float

    def contains(self, lat: float, lon: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lon <= self.east
        return lon >= self.west or lon <= self.east

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bbox": [self.west, self.south, self.east, self.north]}


@dataclass
class Places:
    """Named points to keep away from: (unit vectors, labels)."""

    ports: tuple[np.ndarray, list[str]] | None = None
    anchorages: tuple[np.ndarray, list[str]] | None = None
    zones: list[Zone] = field(default_factory=list)


@dataclass(frozen=True)
class Exclusion:
    """A candidate the screen removed, with the rule and the place that removed it."""

    detection: Detection
    reason: str  # one of REASONS
    detail: str

    def as_dict(self) -> dict[str, Any]:
        d = self.detection
        return {
            "reason": self.reason,
            "detail": self.detail,
            "kind": d.kind,
            "mmsis": list(d.mmsis),
            "start": d.start.isoformat(),
            "end": d.end.isoformat(),
            "start_ts": d.start_ts,
            "end_ts": d.end_ts,
            "hours": round(d.hours, 3),
            "lat": None if d.lat is None else round(d.lat, 6),
            "lon": None if d.lon is None else round(d.lon, 6),
        }


@lru_cache(maxsize=1)
def world_ports() -> tuple[np.ndarray, list[str]] | None:
    """The ports of the installed ``searoute`` package as (unit vectors, "Name, Country (LOCODE)"); None if absent."""
    import importlib.util
    from pathlib import Path

    import numpy as np

    spec = importlib.util.find_spec("searoute")  # located, not imported: its import pulls in a graph library
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "data" / "ports.geojson"
    else:
        # The frozen build carries the one data file, not the package, beside our own (packaging/evidence-app.spec).
        from importlib.resources import files

        path = Path(str(files("evidence_app"))).parent / "searoute" / "data" / "ports.geojson"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    lats, lons, labels = [], [], []
    for feature in data.get("features", []):
        try:
            lon, lat = (float(v) for v in feature["geometry"]["coordinates"][:2])
        except (KeyError, TypeError, ValueError):
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        props = feature.get("properties") or {}
        lats.append(lat)
        lons.append(lon)
        labels.append(f"{props.get('name', '?')}, {props.get('cty', '?')} ({props.get('port', '?')})")
    if not labels:
        return None
    return unit_vectors(np.array(lats), np.array(lons)), labels


def learn_anchorages(
    tracks: Tracks, min_vessels: int, cell_m: float = ANCHORAGE_CELL_M
) -> tuple[np.ndarray, list[str]] | None:
    """Cells where at least ``min_vessels`` distinct vessels lay stationary, as (centre unit vectors, labels).

    A cell counts the vessels stationary in it and in its 26 neighbours (cubes of
    ``cell_m`` in Earth-centred coordinates), so a crowd is found wherever the grid's
    lines happen to fall across it.
    """
    import numpy as np

    if min_vessels <= 0 or not len(tracks):
        return None
    still = np.nan_to_num(tracks.speed_kn, nan=np.inf) < STATIONARY_KN
    if not still.any():
        return None
    offset = 1 << 20
    idx = np.floor(tracks.xyz[still] * (EARTH_RADIUS_M / cell_m)).astype(np.int64) + offset

    def pack(i: np.ndarray) -> np.ndarray:
        return (i[:, 0] << 42) | (i[:, 1] << 21) | i[:, 2]

    pairs = np.unique(np.column_stack([pack(idx), tracks.vessel_index[still]]), axis=0)
    cells = np.column_stack([(pairs[:, 0] >> 42) & 0x1FFFFF, (pairs[:, 0] >> 21) & 0x1FFFFF, pairs[:, 0] & 0x1FFFFF])
    spread = [
        np.column_stack([pack(cells + np.array([dx, dy, dz])), pairs[:, 1]])
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
        for dz in (-1, 0, 1)
    ]
    near = np.unique(np.concatenate(spread), axis=0)
    keys, counts = np.unique(near[:, 0], return_counts=True)
    # Only cells where a vessel actually lay still stand for the anchorage.
    busy = np.isin(keys, pairs[:, 0]) & (counts >= min_vessels)
    if not busy.any():
        return None
    k = keys[busy]
    centre_idx = np.column_stack([(k >> 42) & 0x1FFFFF, (k >> 21) & 0x1FFFFF, k & 0x1FFFFF]) - offset
    centres = (centre_idx + 0.5) * (cell_m / EARTH_RADIUS_M)
    centres /= np.linalg.norm(centres, axis=1)[:, None]
    lat, lon = lat_lon(centres)
    labels = [
        f"anchorage learned from the AIS at {la:.4f},{lo:.4f} ({n} vessels stationary within about "
        f"{cell_m * 1.5 / 1000:.1f} km)"
        for la, lo, n in zip(lat.tolist(), lon.tolist(), counts[busy].tolist(), strict=True)
    ]
    return centres, labels


def _nearest(points: tuple[np.ndarray, list[str]] | None, lat: float, lon: float) -> tuple[float, str] | None:
    import numpy as np

    if points is None:
        return None
    xyz, labels = points
    d = chord_to_m(np.linalg.norm(xyz - unit_vectors(lat, lon)[None, :], axis=1))
    i = int(np.argmin(d))
    return float(d[i]), labels[i]


def screen(
    candidates: list[Detection],
    *,
    min_shore_m: float,
    port_radius_m: float,
    places: Places,
    excluded: list[Exclusion] | None = None,
) -> list[Detection]:
    """The candidates that pass every rule; each one removed is appended to ``excluded`` with its reason.

    Kept detections gain ``shore_distance_m`` (when the shore rule is on) and, when the
    coastline data puts them on land, are not kept: they are excluded as ``on_land`` with
    the distance inland, so the analyst sees them and can turn the shore rule off.
    """
    from evidence_app.analysis.shore import shore_fix

    kept: list[Detection] = []

    def drop(det: Detection, reason: str, detail: str) -> None:
        if excluded is not None:
            excluded.append(Exclusion(det, reason, detail))

    for det in candidates:
        if det.lat is None or det.lon is None:
            kept.append(det)
            continue
        zone = next((z for z in places.zones if z.contains(det.lat, det.lon)), None)
        if zone is not None:
            drop(det, "zone", f"inside the exclusion zone {zone.name!r}")
            continue
        if port_radius_m > 0:
            near = _nearest(places.ports, det.lat, det.lon)
            if near is not None and near[0] <= port_radius_m:
                drop(det, "port", f"{near[0]:,.0f} m from the port {near[1]}")
                continue
            near = _nearest(places.anchorages, det.lat, det.lon)
            if near is not None and near[0] <= port_radius_m:
                drop(det, "anchorage", f"{near[0]:,.0f} m from an {near[1]}")
                continue
        if min_shore_m > 0:
            fix = shore_fix(det.lat, det.lon)
            if fix is not None:
                det.metrics.update(fix.as_metrics())
                if fix.on_land:
                    drop(
                        det,
                        "on_land",
                        f"inside the coastline's land polygons, {fix.distance_m:,.0f} m from the "
                        "coast: AIS places the vessels at sea, the 1:10m coastline does not "
                        "(check the positions; --min-shore-m 0 keeps such events)",
                    )
                    continue
                if fix.distance_m < min_shore_m:
                    drop(det, "near_shore", f"{fix.distance_m:,.0f} m from the coast (less than {min_shore_m:,.0f} m)")
                    continue
        kept.append(det)
    return kept


def places_for(
    tracks: Tracks, port_radius_m: float, anchorage_min_vessels: int, zones: list[Zone] | None = None
) -> Places:
    """Ports, the anchorages learned from ``tracks`` and the zones, as one ``Places``."""
    if port_radius_m <= 0:
        return Places(zones=list(zones or []))
    return Places(
        ports=world_ports(), anchorages=learn_anchorages(tracks, anchorage_min_vessels), zones=list(zones or [])
    )
