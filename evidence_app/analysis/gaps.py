"""AIS gaps ("going dark"): a vessel that was reporting regularly falls silent for G hours or more.

A silence alone is weak evidence (coverage is patchy, satellite AIS has holes), so a
gap counts only when the vessel sent at least ``min_reports_before`` reports in the
``lookback_hours`` before it fell silent. Each gap carries where the vessel was when it
went dark and where it reappeared, and the speed that implies: more than
``max_plausible_kn`` means the two ends cannot be the same ship sailing normally, a
spoofing or identity flag rather than a simple silence.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence_app.analysis.detection import Detection, params_dict
from evidence_app.analysis.tracks import KNOT_MS, Tracks, distance_m
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress


@dataclass(frozen=True)
class GapParams:
    min_gap_hours: float = 6.0
    lookback_hours: float = 6.0
    min_reports_before: int = 6
    max_plausible_kn: float = 40.0

    def as_dict(self) -> dict[str, object]:
        return params_dict("gap", self)


def detect_gaps(
    tracks: Tracks,
    params: GapParams = GapParams(),
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> list[Detection]:
    """Every qualifying silence, oldest first."""
    import numpy as np

    cancel.raise_if_cancelled()
    n = len(tracks)
    if n < 2:
        return []
    same = tracks.mmsi[1:] == tracks.mmsi[:-1]
    dt = tracks.ts[1:] - tracks.ts[:-1]
    i = np.nonzero(same & (dt >= params.min_gap_hours * 3600))[0]
    if not i.size:
        return []
    # Reports of the same vessel in [t - lookback, t] before the gap's start (inclusive of it).
    base = tracks.ts.min()
    key = tracks.vessel_index * (1 << 36) + (tracks.ts - base)
    lookback = int(params.lookback_hours * 3600)
    first = np.searchsorted(key, tracks.vessel_index[i] * (1 << 36) + (tracks.ts[i] - base - lookback), side="left")
    before = i - first + 1
    i, before = i[before >= params.min_reports_before], before[before >= params.min_reports_before]
    dist = distance_m(tracks.xyz[i], tracks.xyz[i + 1])
    hours = (tracks.ts[i + 1] - tracks.ts[i]) / 3600.0
    speed = dist / (hours * 3600.0) / KNOT_MS
    recorded = params.as_dict()
    out = []
    for n_row, row in enumerate(i):
        if n_row % 1000 == 0:
            cancel.raise_if_cancelled()
        metrics = {
            "gap_hours": round(float(hours[n_row]), 3),
            "reports_before": int(before[n_row]),
            "end_lat": round(float(tracks.lat[row + 1]), 6),
            "end_lon": round(float(tracks.lon[row + 1]), 6),
            "distance_m": round(float(dist[n_row]), 1),
            "implied_speed_kn": round(float(speed[n_row]), 2),
            "implausible_jump": bool(speed[n_row] > params.max_plausible_kn),
        }
        out.append(
            Detection(
                "gap",
                int(tracks.ts[row]),
                int(tracks.ts[row + 1]),
                float(tracks.lat[row]),
                float(tracks.lon[row]),
                (int(tracks.mmsi[row]),),
                metrics,
                recorded,
            )
        )
    progress(1, 1, f"gaps: {len(out)} found")
    out.sort(key=lambda d: (d.start_ts, d.mmsis))
    return out
