"""Identity checks: one MMSI in two places at once (implausible jumps), and name/flag/IMO/MMSI changes.

Jumps. Consecutive reports of one MMSI more than ``min_jump_m`` apart at an implied
speed above ``max_plausible_kn`` (reports at the same second from different places
count as simultaneous). Two transmitters sharing an MMSI, or a spoofed position,
produce runs of such jumps; jumps of one MMSI less than ``merge_hours`` apart are
reported as one finding with their count. These rows must be read *without* the
duplicate and spike cleaning the other detectors use, since they are the signal here.

Changes. From a vessel's identity history (what AIS static data and registries said
it was called, over time): each change of name, flag, IMO number or MMSI between one
identity and the next, and any MMSI claimed by two different hulls at overlapping times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from evidence_app.analysis.detection import Detection, params_dict
from evidence_app.analysis.tracks import KNOT_MS, Tracks, distance_m
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken


@dataclass(frozen=True)
class SpoofingParams:
    max_plausible_kn: float = 40.0
    min_jump_m: float = 5000.0  # shorter jumps are GPS noise, whatever speed they imply
    merge_hours: float = 24.0

    def as_dict(self) -> dict[str, object]:
        return params_dict("spoofing", self)


@dataclass(frozen=True)
class IdentityRecord:
    """One identity a hull used (from ``vessel_identities``); times are epoch seconds or None."""

    vessel: str  # the hull's id
    name: str = ""
    flag: str = ""
    mmsi: int | None = None
    imo: int | None = None
    call_sign: str = ""
    first_seen: int | None = None
    last_seen: int | None = None
    source: str = ""


def detect_jumps(
    tracks: Tracks, params: SpoofingParams = SpoofingParams(), *, cancel: CancelToken = NEVER_CANCELLED
) -> list[Detection]:
    """Implausible position jumps per MMSI, merged into episodes, oldest first."""
    import numpy as np

    cancel.raise_if_cancelled()
    if len(tracks) < 2:
        return []
    same = tracks.mmsi[1:] == tracks.mmsi[:-1]
    dt = (tracks.ts[1:] - tracks.ts[:-1]).astype(np.float64)
    dist = distance_m(tracks.xyz[1:], tracks.xyz[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0) / KNOT_MS, np.inf)
    jump = np.nonzero(same & (dist >= params.min_jump_m) & (speed > params.max_plausible_kn))[0]
    if not jump.size:
        return []
    merge = params.merge_hours * 3600
    new_episode = np.ones(jump.size, dtype=bool)
    new_episode[1:] = (tracks.mmsi[jump[1:]] != tracks.mmsi[jump[:-1]]) | (
        tracks.ts[jump[1:]] - tracks.ts[jump[:-1] + 1] > merge
    )
    bounds = np.append(np.nonzero(new_episode)[0], jump.size)
    recorded = params.as_dict()
    out = []
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        rows = jump[s:e]
        first = int(rows[0])
        finite = speed[rows][np.isfinite(speed[rows])]
        metrics = {
            "jumps": int(rows.size),
            "simultaneous": int(np.count_nonzero(dt[rows] == 0)),
            "max_distance_m": round(float(dist[rows].max()), 1),
            "max_implied_speed_kn": round(float(finite.max()), 1) if finite.size else None,
            "to_lat": round(float(tracks.lat[first + 1]), 6),
            "to_lon": round(float(tracks.lon[first + 1]), 6),
        }
        out.append(
            Detection(
                "spoofing",
                int(tracks.ts[first]),
                int(tracks.ts[int(rows[-1]) + 1]),
                float(tracks.lat[first]),
                float(tracks.lon[first]),
                (int(tracks.mmsi[first]),),
                metrics,
                recorded,
            )
        )
    out.sort(key=lambda d: (d.start_ts, d.mmsis))
    return out


def identity_changes(records: Iterable[IdentityRecord]) -> list[Detection]:
    """Changes between consecutive identities of each hull, and MMSIs shared by two hulls at once."""
    by_vessel: dict[str, list[IdentityRecord]] = defaultdict(list)
    records = list(records)
    for rec in records:
        by_vessel[rec.vessel].append(rec)
    recorded = {
        "detector": "identity_change",
        "algorithm_version": params_dict("x", SpoofingParams())["algorithm_version"],
    }
    out: list[Detection] = []
    far_future = 1 << 62
    for vessel, recs in by_vessel.items():
        # Undated identities (registry rows) go last: they say what the hull is called now.
        recs.sort(key=lambda r: (r.first_seen if r.first_seen is not None else far_future, r.last_seen or 0, r.name))
        for old, new in zip(recs, recs[1:], strict=False):
            changed = {}
            for attr in ("name", "flag", "imo", "mmsi"):
                a, b = getattr(old, attr), getattr(new, attr)
                if a and b and a != b:
                    changed[attr] = [a, b]
            if not changed:
                continue
            when = new.first_seen if new.first_seen is not None else (old.last_seen or 0)
            start = old.last_seen if old.last_seen is not None and old.last_seen <= when else when
            mmsis = tuple(sorted({m for m in (old.mmsi, new.mmsi) if m}))
            out.append(
                Detection(
                    "identity_change",
                    int(start),
                    int(when),
                    None,
                    None,
                    mmsis,
                    {
                        "vessel_id": vessel,
                        "changed": changed,
                        "from_source": old.source,
                        "to_source": new.source,
                    },
                    recorded,
                )
            )
    by_mmsi: dict[int, list[IdentityRecord]] = defaultdict(list)
    for rec in records:
        if rec.mmsi:
            by_mmsi[rec.mmsi].append(rec)
    for mmsi, recs in sorted(by_mmsi.items()):
        for i, a in enumerate(recs):
            for b in recs[i + 1 :]:
                if a.vessel == b.vessel or None in (a.first_seen, a.last_seen, b.first_seen, b.last_seen):
                    continue
                if a.first_seen <= b.last_seen and b.first_seen <= a.last_seen:  # type: ignore[operator]
                    start, end = max(a.first_seen, b.first_seen), min(a.last_seen, b.last_seen)  # type: ignore[type-var]
                    out.append(
                        Detection(
                            "identity_change",
                            int(start),
                            int(end),
                            None,
                            None,
                            (mmsi,),
                            {
                                "shared_mmsi": mmsi,
                                "vessel_ids": sorted([a.vessel, b.vessel]),
                                "names": sorted({a.name, b.name}),
                            },
                            recorded,
                        )
                    )
    out.sort(key=lambda d: (d.start_ts, d.mmsis))
    return out
