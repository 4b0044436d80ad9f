"""AIS positions as sorted numpy arrays per vessel, cleaned of sentinels, duplicates and spikes.

Every detector works on a ``Tracks``: rows sorted by (MMSI, time), with each vessel's rows
contiguous. Positions are also kept as unit vectors on the sphere, which makes
interpolation and distances indifferent to the antimeridian and the poles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

EARTH_RADIUS_M = 6_371_008.8
KNOT_MS = 1852.0 / 3600.0
SOG_NOT_AVAILABLE = 102.2  # AIS reports 102.3 kn for "not available"; 102.2 means "102.2 or more"


@dataclass(frozen=True)
class CleanReport:
    """What cleaning removed, so a detection report can say how much data it rested on."""

    read: int
    bad_position: int
    duplicate_time: int
    spikes: int

    @property
    def kept(self) -> int:
        return self.read - self.bad_position - self.duplicate_time - self.spikes

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "bad_position": self.bad_position,
            "duplicate_time": self.duplicate_time,
            "spikes": self.spikes,
            "kept": self.kept,
        }


@dataclass
class Tracks:
    """Rows sorted by (mmsi, ts); ``starts[i]:starts[i+1]`` are the rows of ``vessels[i]``."""

    mmsi: np.ndarray  # int64
    ts: np.ndarray  # int64, UTC epoch seconds
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    sog: np.ndarray  # float64 knots, NaN when not reported
    xyz: np.ndarray  # (n, 3) unit vectors
    vessel_index: np.ndarray  # int64 row -> index into vessels
    vessels: np.ndarray  # int64 distinct MMSIs, ascending
    starts: np.ndarray  # int64, len(vessels) + 1
    speed_kn: np.ndarray  # reported SOG, else the speed implied by the neighbouring reports
    clean: CleanReport

    def __len__(self) -> int:
        return int(self.ts.size)

    def rows_of(self, mmsi: int) -> slice:
        import numpy as np

        i = int(np.searchsorted(self.vessels, mmsi))
        if i >= self.vessels.size or self.vessels[i] != mmsi:
            return slice(0, 0)
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    def time_range(self) -> tuple[int, int] | None:
        if not len(self):
            return None
        return int(self.ts.min()), int(self.ts.max())


def unit_vectors(lat: Any, lon: Any) -> np.ndarray:
    import numpy as np

    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def lat_lon(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees from (not necessarily unit) vectors; longitude in [-180, 180]."""
    import numpy as np

    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.degrees(np.arctan2(z, np.hypot(x, y))), np.degrees(np.arctan2(y, x))


def chord_to_m(chord: Any) -> Any:
    """Great-circle metres from the chord length between unit vectors."""
    import numpy as np

    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))


def distance_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import numpy as np

    return chord_to_m(np.linalg.norm(a - b, axis=-1))


def prepare_tracks(
    mmsi: Any,
    ts: Any,
    lat: Any,
    lon: Any,
    sog: Any = None,
    *,
    dedupe: bool = True,
    drop_spikes: bool = True,
    spike_speed_kn: float = 60.0,
) -> Tracks:
    """Sort and clean raw columns into ``Tracks``.

    Dropped: positions outside ±90/±180 or not finite (AIS sentinels 91/181); with
    ``dedupe``, a second report of one MMSI at the same second (the first in input order
    is kept); with ``drop_spikes``, a lone position implying more than ``spike_speed_kn``
    both from its predecessor and to its successor while those two agree (a GPS glitch).
    SOG of 102.2 kn or more, or negative, counts as not reported.
    """
    import numpy as np

    mmsi = np.asarray(mmsi, dtype=np.int64)
    ts = np.asarray(ts, dtype=np.int64)
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    sog = np.full(ts.shape, np.nan) if sog is None else np.asarray(sog, dtype=np.float64).copy()
    n_read = int(ts.size)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    bad_position = int(n_read - ok.sum())
    mmsi, ts, lat, lon, sog = mmsi[ok], ts[ok], lat[ok], lon[ok], sog[ok]
    sog[(sog >= SOG_NOT_AVAILABLE) | (sog < 0)] = np.nan
    order = np.lexsort((ts, mmsi))  # stable: equal keys keep input order
    mmsi, ts, lat, lon, sog = mmsi[order], ts[order], lat[order], lon[order], sog[order]
    duplicates = 0
    if dedupe and ts.size:
        keep = np.ones(ts.size, dtype=bool)
        keep[1:] = (mmsi[1:] != mmsi[:-1]) | (ts[1:] != ts[:-1])
        duplicates = int(ts.size - keep.sum())
        mmsi, ts, lat, lon, sog = mmsi[keep], ts[keep], lat[keep], lon[keep], sog[keep]
    xyz = unit_vectors(lat, lon)
    spikes = 0
    if drop_spikes and ts.size >= 3:
        keep = ~_spikes(mmsi, ts, xyz, spike_speed_kn)
        spikes = int(ts.size - keep.sum())
        mmsi, ts, lat, lon, sog, xyz = mmsi[keep], ts[keep], lat[keep], lon[keep], sog[keep], xyz[keep]
    vessels, first = np.unique(mmsi, return_index=True)
    starts = np.append(first, ts.size).astype(np.int64)
    vessel_index = np.repeat(np.arange(vessels.size, dtype=np.int64), np.diff(starts))
    tracks = Tracks(
        mmsi=mmsi,
        ts=ts,
        lat=lat,
        lon=lon,
        sog=sog,
        xyz=xyz,
        vessel_index=vessel_index,
        vessels=vessels,
        starts=starts,
        speed_kn=sog,
        clean=CleanReport(n_read, bad_position, duplicates, spikes),
    )
    tracks.speed_kn = _speed_filled(tracks)
    return tracks


def segment_speeds_kn(tracks: Tracks) -> np.ndarray:
    """Implied speed from each row to the next of the same vessel (NaN at a track's end, inf at dt 0)."""
    import numpy as np

    n = len(tracks)
    out = np.full(n, np.nan)
    if n < 2:
        return out
    same = tracks.mmsi[1:] == tracks.mmsi[:-1]
    dt = (tracks.ts[1:] - tracks.ts[:-1]).astype(np.float64)
    dist = distance_m(tracks.xyz[1:], tracks.xyz[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0) / KNOT_MS, np.where(dist > 0, np.inf, 0.0))
    out[:-1] = np.where(same, speed, np.nan)
    return out


def _speed_filled(tracks: Tracks) -> np.ndarray:
    """SOG where reported, else the mean implied speed of the segments either side."""
    import numpy as np

    speed = tracks.sog.copy()
    missing = ~np.isfinite(speed)
    if not missing.any():
        return speed
    seg = segment_speeds_kn(tracks)
    seg[~np.isfinite(seg)] = np.nan
    before = np.concatenate([[np.nan], seg[:-1]])
    with np.errstate(invalid="ignore"):
        pair = np.stack([before, seg])
        counts = np.isfinite(pair).sum(axis=0)
        mean = np.where(counts > 0, np.nansum(pair, axis=0) / np.maximum(counts, 1), np.nan)
    speed[missing] = mean[missing]
    return speed


def _spikes(mmsi: np.ndarray, ts: np.ndarray, xyz: np.ndarray, limit_kn: float) -> np.ndarray:
    import numpy as np

    n = ts.size
    flag = np.zeros(n, dtype=bool)

    def speed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        dt = np.maximum((ts[b] - ts[a]).astype(np.float64), 1.0)
        return distance_m(xyz[a], xyz[b]) / dt / KNOT_MS

    # Each segment's speed once; a row is a candidate only when the segments in and out both jump.
    rows = np.arange(n - 1)
    fast = speed(rows, rows + 1) > limit_kn
    i = np.nonzero(fast[:-1] & fast[1:])[0] + 1
    same = (mmsi[i - 1] == mmsi[i]) & (mmsi[i + 1] == mmsi[i])
    i = i[same]
    if not i.size:
        return flag
    bridge_ok = speed(i - 1, i + 1) <= limit_kn
    flag[i[bridge_ok]] = True
    return flag


def subset(tracks: Tracks, rows: np.ndarray) -> Tracks:
    """The tracks restricted to a boolean row mask (kept sorted; cleaning counts carried over)."""
    import numpy as np

    t = Tracks(
        mmsi=tracks.mmsi[rows],
        ts=tracks.ts[rows],
        lat=tracks.lat[rows],
        lon=tracks.lon[rows],
        sog=tracks.sog[rows],
        xyz=tracks.xyz[rows],
        vessel_index=tracks.vessel_index[rows],
        vessels=tracks.vessels,
        starts=tracks.starts,
        speed_kn=tracks.speed_kn[rows],
        clean=tracks.clean,
    )
    vessels, first = np.unique(t.mmsi, return_index=True)
    t.vessels = vessels
    t.starts = np.append(first, t.ts.size).astype(np.int64)
    t.vessel_index = np.repeat(np.arange(vessels.size, dtype=np.int64), np.diff(t.starts))
    return t


def max_silence_s(tracks: Tracks, mmsi: int, start: int, end: int) -> int:
    """The longest stretch of [start, end] without a report from ``mmsi`` (whole span if none)."""
    import numpy as np

    rows = tracks.rows_of(mmsi)
    ts = tracks.ts[rows]
    inside = ts[(ts >= start) & (ts <= end)]
    points = np.concatenate([[start], inside, [end]])
    return int(np.max(np.diff(points))) if points.size > 1 else 0
