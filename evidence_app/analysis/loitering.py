"""Loitering: one vessel moving slower than S knots for at least L hours, away from the coast.

Consecutive slow reports (SOG, or the speed the positions imply when SOG is missing)
form one stretch when the reports are at most ``bridge_hours`` apart, or further apart
(up to ``max_dark_hours``) if the vessel reappeared where it went silent. A stretch of
``min_hours`` or more is a loitering event unless ``places.screen`` removes it (within
``min_shore_m`` of the coast, at a port or anchorage, on land, in a zone); its radius
says how far the vessel wandered from the centre.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence_app.analysis.detection import Detection, params_dict
from evidence_app.analysis.places import Exclusion, Zone, places_for, screen
from evidence_app.analysis.tracks import Tracks, distance_m, lat_lon, segment_speeds_kn
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress


@dataclass(frozen=True)
class LoiteringParams:
    max_speed_kn: float = 2.0
    min_hours: float = 4.0
    min_shore_m: float = 5000.0  # 0 turns the check off
    bridge_hours: float = 2.0
    max_dark_hours: float = 12.0
    port_radius_m: float = 5000.0  # from a listed port or a learned anchorage; 0 turns the check off
    anchorage_min_vessels: int = 5

    def as_dict(self) -> dict[str, object]:
        return params_dict("loitering", self)


def detect_loitering(
    tracks: Tracks,
    params: LoiteringParams = LoiteringParams(),
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
    zones: list[Zone] | None = None,
    excluded: list[Exclusion] | None = None,
) -> list[Detection]:
    """Every loitering stretch, oldest first (screened like encounters: see ``places.screen``)."""
    import numpy as np

    cancel.raise_if_cancelled()
    n = len(tracks)
    if n < 2:
        return []
    slow = np.nan_to_num(tracks.speed_kn, nan=np.inf) < params.max_speed_kn
    seg = segment_speeds_kn(tracks)[:-1]
    dt = tracks.ts[1:] - tracks.ts[:-1]
    same = tracks.mmsi[1:] == tracks.mmsi[:-1]
    linked = (
        same
        & slow[1:]
        & slow[:-1]
        & ((dt <= params.bridge_hours * 3600) | ((dt <= params.max_dark_hours * 3600) & (seg <= params.max_speed_kn)))
    )
    # A stretch starts at a slow row not linked to its predecessor.
    starts_run = slow.copy()
    starts_run[1:] &= ~linked
    run_start = np.nonzero(starts_run)[0]
    link_ext = np.append(linked, False)
    # Each run ends at the first row after its start that is not linked onward.
    unlinked_rows = np.nonzero(~link_ext)[0]
    run_end = unlinked_rows[np.searchsorted(unlinked_rows, run_start)]
    span = tracks.ts[run_end] - tracks.ts[run_start]
    keep = span >= params.min_hours * 3600
    recorded = params.as_dict()
    out = []
    for s, e in zip(run_start[keep], run_end[keep], strict=True):
        cancel.raise_if_cancelled()
        xyz = tracks.xyz[s : e + 1]
        centre = xyz.sum(axis=0)
        lat, lon = (float(v) for v in lat_lon(centre))
        unit = centre / np.linalg.norm(centre)
        silences = np.diff(tracks.ts[s : e + 1])
        metrics = {
            "duration_hours": round(float(tracks.ts[e] - tracks.ts[s]) / 3600, 3),
            "median_speed_kn": round(float(np.median(tracks.speed_kn[s : e + 1])), 2),
            "radius_m": round(float(distance_m(xyz, unit[None, :]).max()), 1),
            "reports": int(e - s + 1),
            "max_silence_hours": round(float(silences.max()) / 3600, 2) if silences.size else 0.0,
        }
        out.append(
            Detection(
                "loitering", int(tracks.ts[s]), int(tracks.ts[e]), lat, lon, (int(tracks.mmsi[s]),), metrics, recorded
            )
        )
    if out:
        places = places_for(tracks, params.port_radius_m, params.anchorage_min_vessels, zones)
        out = screen(
            out, min_shore_m=params.min_shore_m, port_radius_m=params.port_radius_m, places=places, excluded=excluded
        )
    progress(1, 1, f"loitering: {len(out)} found")
    out.sort(key=lambda d: (d.start_ts, d.mmsis))
    return out
