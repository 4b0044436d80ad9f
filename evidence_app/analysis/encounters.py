"""Encounters (rendezvous): two vessels within D metres of each other for at least T hours, both slow, at sea.

Method. Each vessel's reports are interpolated onto one time grid (every
``grid_minutes``, aligned to the epoch so runs are reproducible) along the great circle
between consecutive reports. A silence is bridged only when it is short
(``bridge_hours``), or when the vessel reappears close to where it vanished
(``max_dark_hours`` at no more than the slow speed): a ship that switches AIS off
alongside another and reappears there has been there all along. At every grid step the
positions are binned into cubes of at least D on a side in Earth-centred coordinates
(so the antimeridian and the poles need no special case) and only vessels in the same
or neighbouring cubes are compared: the work grows with the number of positions and of
close pairs, never with the square of the fleet. Consecutive close steps of a pair make
a run. The grid only finds candidates: each run's start and end are then refined on the
real reports (both tracks interpolated between their reports, the crossing of D found
to the second), so a run lasting ``min_hours`` to the minute, with both vessels' median
speed below ``max_speed_kn``, is an encounter, unless ``places.screen`` removes it (near
the coast, at a port or anchorage, on land by the coastline data, in an exclusion zone).
The grid is processed a few days at a time, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from evidence_app.analysis.detection import Detection, params_dict
from evidence_app.analysis.places import Exclusion, Zone, places_for, screen
from evidence_app.analysis.tracks import (
    EARTH_RADIUS_M,
    KNOT_MS,
    Tracks,
    chord_to_m,
    lat_lon,
    max_silence_s,
)
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

if TYPE_CHECKING:
    import numpy as np

_FIELD_BITS = 15
_FIELD_OFFSET = 1 << (_FIELD_BITS - 1)
# A cube edge below this would overflow the 15-bit cell fields of the packed key.
_MIN_CELL_M = EARTH_RADIUS_M / (_FIELD_OFFSET - 2)
_CHUNK_STEPS = 576  # grid steps per chunk (4 days at 10 minutes)


@dataclass(frozen=True)
class EncounterParams:
    max_distance_m: float = 500.0
    min_hours: float = 2.0
    max_speed_kn: float = 2.0  # median speed of each vessel over the encounter
    min_shore_m: float = 5000.0  # 0 turns the check off
    grid_minutes: float = 10.0
    bridge_hours: float = 2.0  # silences up to this long are always interpolated
    max_dark_hours: float = 12.0  # longer silences are bridged only if the vessel stayed put
    max_missing_steps: int = 1  # grid steps apart (or unbridged) tolerated inside one encounter
    port_radius_m: float = 5000.0  # from a listed port or a learned anchorage; 0 turns the check off
    anchorage_min_vessels: int = 5  # distinct vessels stationary in one cell that make it an anchorage

    def as_dict(self) -> dict[str, object]:
        return params_dict("encounter", self)


def detect_encounters(
    tracks: Tracks,
    params: EncounterParams = EncounterParams(),
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
    zones: list[Zone] | None = None,
    excluded: list[Exclusion] | None = None,
) -> list[Detection]:
    """Encounters between any two vessels in ``tracks``, oldest first.

    Candidates near the coast, at a port or anchorage, on land by the coastline data or in
    one of ``zones`` are left out; each one left out is appended to ``excluded``.
    """
    import numpy as np

    step = int(round(params.grid_minutes * 60))
    if step <= 0 or len(tracks) == 0 or tracks.vessels.size < 2:
        return []
    starts, ends = tracks.starts[:-1], tracks.starts[1:] - 1
    k_first = -(-tracks.ts[starts] // step)  # ceil
    k_last = tracks.ts[ends] // step
    k_lo, k_hi = int(k_first.min()), int(k_last.max()) + 1
    cell = max(params.max_distance_m, _MIN_CELL_M)
    key_base = tracks.vessel_index * (1 << 36) + (tracks.ts - tracks.ts.min())
    found: list[np.ndarray] = []
    chunks = list(range(k_lo, k_hi, _CHUNK_STEPS))
    for n, k0 in enumerate(chunks):
        cancel.raise_if_cancelled()
        progress(n, len(chunks), f"encounters: grid step {n + 1} of {len(chunks)}")
        k1 = min(k0 + _CHUNK_STEPS, k_hi)
        grid = _grid_chunk(tracks, params, step, k0, k1, k_first, k_last, key_base)
        if grid is not None:
            close = _close_pairs(grid, k0, cell, params.max_distance_m)
            if close is not None:
                found.append(close)
    progress(len(chunks), len(chunks), "encounters: grouping")
    if not found:
        return []
    close = np.concatenate(found, axis=0)
    candidates = _runs_to_detections(tracks, params, step, close)
    if not candidates:
        return []
    places = places_for(tracks, params.port_radius_m, params.anchorage_min_vessels, zones)
    return screen(
        candidates, min_shore_m=params.min_shore_m, port_radius_m=params.port_radius_m, places=places, excluded=excluded
    )


def _grid_chunk(
    tracks: Tracks,
    params: EncounterParams,
    step: int,
    k0: int,
    k1: int,
    k_first: np.ndarray,
    k_last: np.ndarray,
    key_base: np.ndarray,
) -> dict[str, np.ndarray] | None:
    """Every vessel's interpolated position and speed at grid steps k0..k1-1 (where bridged)."""
    import numpy as np

    lo = np.maximum(k_first, k0)
    hi = np.minimum(k_last + 1, k1)
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        return None
    vessel = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    first_of = np.cumsum(counts) - counts
    k = np.repeat(lo, counts) + (np.arange(total, dtype=np.int64) - np.repeat(first_of, counts))
    t = k * step
    t0 = int(tracks.ts.min())
    j = np.searchsorted(key_base, vessel * (1 << 36) + (t - t0), side="right") - 1
    exact = tracks.ts[j] == t
    nxt = np.where(exact, j, j + 1)
    dt = (tracks.ts[nxt] - tracks.ts[j]).astype(np.float64)
    frac = np.where(dt > 0, (t - tracks.ts[j]) / np.where(dt > 0, dt, 1.0), 0.0)
    a, b = tracks.xyz[j], tracks.xyz[nxt]
    gap_m = chord_to_m(np.linalg.norm(b - a, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_speed = np.where(dt > 0, gap_m / np.where(dt > 0, dt, 1.0) / KNOT_MS, 0.0)
    short = dt <= params.bridge_hours * 3600
    stayed = (dt <= params.max_dark_hours * 3600) & (gap_speed <= params.max_speed_kn)
    keep = exact | short | stayed
    xyz = a + (b - a) * frac[:, None]
    xyz /= np.linalg.norm(xyz, axis=1)[:, None]
    sa, sb = tracks.speed_kn[j], tracks.speed_kn[nxt]
    speed = np.where(np.isfinite(sa) & np.isfinite(sb), sa + (sb - sa) * frac, np.where(np.isfinite(sa), sa, sb))
    # Across a long silence the reported speeds say nothing: use the speed the gap implies.
    speed = np.where(short | exact, speed, gap_speed)
    speed = np.where(np.isfinite(speed), speed, gap_speed)
    return {"vessel": vessel[keep], "k": k[keep], "xyz": xyz[keep], "speed": speed[keep]}


def _close_pairs(grid: dict[str, np.ndarray], k0: int, cell: float, max_m: float) -> np.ndarray | None:
    """Rows (vessel_a, vessel_b, k, distance_m, speed_a, speed_b, x, y, z) with a < b, distance <= max_m."""
    import numpy as np

    xyz, k = grid["xyz"], grid["k"]
    idx = np.floor(xyz * (EARTH_RADIUS_M / cell)).astype(np.int64) + _FIELD_OFFSET
    key = ((k - k0) << (3 * _FIELD_BITS)) | (idx[:, 0] << (2 * _FIELD_BITS)) | (idx[:, 1] << _FIELD_BITS) | idx[:, 2]
    order = np.argsort(key, kind="stable")
    skey = key[order]
    cells, cell_start, cell_count = np.unique(skey, return_index=True, return_counts=True)
    point_cell = np.repeat(np.arange(cells.size), cell_count)
    pairs_a: list[np.ndarray] = []
    pairs_b: list[np.ndarray] = []
    # Pairs inside one cube.
    pos = np.arange(skey.size)
    partners = cell_start[point_cell] + cell_count[point_cell] - 1 - pos
    total = int(partners.sum())
    if total:
        ia = np.repeat(pos, partners)
        within = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
        pairs_a.append(ia)
        pairs_b.append(ia + 1 + within)
    # Pairs with the 13 neighbouring cubes that come "after" this one (each pair once).
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dz in (-1, 0, 1):
                if (dx, dy, dz) <= (0, 0, 0):
                    continue
                delta = (dx << (2 * _FIELD_BITS)) + (dy << _FIELD_BITS) + dz
                target = cells + delta
                where = np.searchsorted(cells, target)
                where_c = np.minimum(where, cells.size - 1)
                match = cells[where_c] == target
                if not match.any():
                    continue
                points = np.nonzero(match[point_cell])[0]
                other = where_c[point_cell[points]]
                n_other = cell_count[other]
                total = int(n_other.sum())
                ia = np.repeat(points, n_other)
                within = np.arange(total) - np.repeat(np.cumsum(n_other) - n_other, n_other)
                pairs_a.append(ia)
                pairs_b.append(np.repeat(cell_start[other], n_other) + within)
    if not pairs_a:
        return None
    pa = order[np.concatenate(pairs_a)]
    pb = order[np.concatenate(pairs_b)]
    dist = chord_to_m(np.linalg.norm(xyz[pa] - xyz[pb], axis=1))
    near = dist <= max_m
    if not near.any():
        return None
    pa, pb, dist = pa[near], pb[near], dist[near]
    va, vb = grid["vessel"][pa], grid["vessel"][pb]
    swap = va > vb
    pa, pb = np.where(swap, pb, pa), np.where(swap, pa, pb)
    mid = xyz[pa] + xyz[pb]
    return np.column_stack(
        [grid["vessel"][pa], grid["vessel"][pb], k[pa], dist, grid["speed"][pa], grid["speed"][pb], mid]
    ).astype(np.float64)


def _position_at(tracks: Tracks, v: int, t: np.ndarray) -> np.ndarray:
    """Vessel index ``v``'s interpolated unit vectors at times ``t`` (clamped to its first and last report)."""
    import numpy as np

    s, e = int(tracks.starts[v]), int(tracks.starts[v + 1])
    ts, xyz = tracks.ts[s:e], tracks.xyz[s:e]
    j = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, ts.size - 1)
    nxt = np.minimum(j + 1, ts.size - 1)
    dt = (ts[nxt] - ts[j]).astype(np.float64)
    frac = np.clip(np.where(dt > 0, (t - ts[j]) / np.where(dt > 0, dt, 1.0), 0.0), 0.0, 1.0)
    out = xyz[j] + (xyz[nxt] - xyz[j]) * frac[:, None]
    return out / np.linalg.norm(out, axis=1)[:, None]


def _edge_time(tracks: Tracks, va: int, vb: int, inside: int, outside: int, max_m: float) -> int:
    """The moment, to the second, between ``outside`` and ``inside`` (grid times) when the pair came within ``max_m``.

    The pair is close at ``inside``; ``outside`` is one grid step before (start) or after
    (end). Both tracks are interpolated between their real reports at 30-second steps;
    the last far sample next to the close stretch and the first close one are then split
    by bisection. Where either track has no report beyond ``inside``, the window ends
    where its data does.
    """
    import numpy as np

    sa, ea = int(tracks.starts[va]), int(tracks.starts[va + 1]) - 1
    sb, eb = int(tracks.starts[vb]), int(tracks.starts[vb + 1]) - 1
    if outside < inside:
        bound = max(outside, int(tracks.ts[sa]), int(tracks.ts[sb]))
    else:
        bound = min(outside, int(tracks.ts[ea]), int(tracks.ts[eb]))
    if bound == inside:
        return inside
    samples = np.linspace(inside, bound, int(abs(bound - inside) // 30) + 2).round().astype(np.int64)

    def close(t: np.ndarray) -> np.ndarray:
        return chord_to_m(np.linalg.norm(_position_at(tracks, va, t) - _position_at(tracks, vb, t), axis=1)) <= max_m

    ok = close(samples)
    far = np.nonzero(~ok)[0]
    if not far.size:
        return int(bound)
    near_t, far_t = int(samples[far[0] - 1]), int(samples[far[0]])
    while abs(far_t - near_t) > 1:
        mid = (near_t + far_t) // 2
        if close(np.array([mid]))[0]:
            near_t = mid
        else:
            far_t = mid
    return near_t


def _runs_to_detections(tracks: Tracks, params: EncounterParams, step: int, close: np.ndarray) -> list[Detection]:
    import numpy as np

    va, vb, k = close[:, 0].astype(np.int64), close[:, 1].astype(np.int64), close[:, 2].astype(np.int64)
    order = np.lexsort((k, vb, va))
    close, va, vb, k = close[order], va[order], vb[order], k[order]
    new_run = np.ones(k.size, dtype=bool)
    new_run[1:] = (va[1:] != va[:-1]) | (vb[1:] != vb[:-1]) | (k[1:] - k[:-1] > 1 + params.max_missing_steps)
    run_start = np.nonzero(new_run)[0]
    run_end = np.append(run_start[1:], k.size)
    span = (k[run_end - 1] - k[run_start]) * step
    # The grid finds candidates; the window is then refined on the reports, which can add
    # up to one step at each end.
    long_enough = span >= params.min_hours * 3600 - 2 * step
    detections: list[Detection] = []
    recorded = params.as_dict()
    for s, e in zip(run_start[long_enough], run_end[long_enough], strict=True):
        rows = close[s:e]
        speed_a, speed_b = float(np.median(rows[:, 4])), float(np.median(rows[:, 5]))
        if not (speed_a < params.max_speed_kn and speed_b < params.max_speed_kn):
            continue
        first_t, last_t = int(k[s] * step), int(k[e - 1] * step)
        start_ts = _edge_time(tracks, int(va[s]), int(vb[s]), first_t, first_t - step, params.max_distance_m)
        end_ts = _edge_time(tracks, int(va[s]), int(vb[s]), last_t, last_t + step, params.max_distance_m)
        # Durations are exact to the minute: a 2.0 h meeting passes a 2 h threshold.
        if round((end_ts - start_ts) / 60) < round(params.min_hours * 60):
            continue
        centre = rows[:, 6:9].sum(axis=0)
        lat, lon = (float(v) for v in lat_lon(centre))
        a, b = int(tracks.vessels[va[s]]), int(tracks.vessels[vb[s]])
        metrics = {
            "min_distance_m": round(float(rows[:, 3].min()), 1),
            "median_distance_m": round(float(np.median(rows[:, 3])), 1),
            "duration_hours": round((end_ts - start_ts) / 3600, 3),
            "median_speed_kn": {str(a): round(speed_a, 2), str(b): round(speed_b, 2)},
            "max_silence_hours": {str(m): round(max_silence_s(tracks, m, start_ts, end_ts) / 3600, 2) for m in (a, b)},
            "grid_steps_close": int(e - s),
        }
        detections.append(Detection("encounter", start_ts, end_ts, lat, lon, (a, b), metrics, recorded))
    detections.sort(key=lambda d: (d.start_ts, d.mmsis))
    return detections
