"""A photo against the AIS record: which vessels were in its footprint at capture time, and which marked hulls were dark.

For a georeferenced photo with a capture time, every vessel's AIS track is interpolated
to that moment (between its reports either side, at most ``max_gap_h`` apart). Vessels
whose position falls inside the footprint are listed with their distance from the
photo's centre and their heading (the course between the two reports). Each hull the
analyst marked on the photo (an annotation drawn as a box, a polygon or a measurement)
is placed on the map by the photo's georeferencing; one with no AIS position within
``DARK_RADIUS_M`` of it at capture time is a **dark vessel**, the rule Skylight applies
to its satellite detections. ``flag_dark_vessels`` records that as the ``dark_vessel``
indicator on every incident the photo is linked to (audited), and keeps the check with
the photo.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.timeparse import iso_utc
from evidence_app.services.context import Context
from evidence_app.storage import audit
from evidence_app.storage.models import Incident, IncidentEvidence

DARK_RADIUS_M = 1500.0  # Skylight: a detection with no AIS within 1.5 km is unmatched ("dark")
HULL_SHAPES = ("box", "polygon", "measurement")
MAX_GAP_H = 1.0


@dataclass
class VesselAtCapture:
    mmsi: int
    name: str | None
    lat: float
    lon: float
    distance_m: float  # from the photo's centre
    heading_deg: float | None  # course between the reports either side
    speed_kn: float | None
    inside: bool  # inside the footprint
    x: float | None = None  # pixel position on the photo, where the georeferencing can say
    y: float | None = None


@dataclass
class MarkedHull:
    annotation_id: str
    label: str
    lat: float
    lon: float
    nearest_mmsi: int | None
    nearest_m: float | None
    dark: bool


@dataclass
class PhotoAisCheck:
    evidence_id: str
    capture_time: str
    footprint: list[list[float]]
    vessels: list[VesselAtCapture] = field(default_factory=list)  # inside the footprint, nearest first
    hulls: list[MarkedHull] = field(default_factory=list)
    dark_radius_m: float = DARK_RADIUS_M

    @property
    def dark(self) -> list[MarkedHull]:
        return [h for h in self.hulls if h.dark]

    def as_dict(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "capture_time": self.capture_time,
            "footprint": self.footprint,
            "dark_radius_m": self.dark_radius_m,
            "vessels": [asdict(v) for v in self.vessels],
            "hulls": [asdict(h) for h in self.hulls],
            "dark": len(self.dark),
        }


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


def _pixel_of(g: Any, lon: float, lat: float) -> tuple[float | None, float | None]:
    """The photo pixel of a WGS 84 position (None where the photo has no map transform)."""
    from evidence_app.imagery.georef import apply_affine, crs_transformer, invert_affine

    if g.transform is None or g.crs is None:
        return None, None
    mx, my = crs_transformer(g.crs).transform(lon, lat, direction="INVERSE")
    x, y = apply_affine(invert_affine(g.transform), mx, my)
    return round(float(x), 1), round(float(y), 1)


def check_photo(
    ctx: Context, evidence_id: str, *, dark_radius_m: float = DARK_RADIUS_M, max_gap_h: float = MAX_GAP_H
) -> PhotoAisCheck:
    """The vessels in a photo's footprint at its capture time, and its marked hulls matched against AIS."""
    import numpy as np
    import shapely

    from evidence_app.analysis.tracks import chord_to_m, lat_lon, prepare_tracks, unit_vectors
    from evidence_app.imagery.georef import pixel_to_lonlat
    from evidence_app.services.photos import georef_of, resolve_photo
    from evidence_app.storage.models import Vessel
    from evidence_app.storage.positions import position_blocks

    with ctx.store.read() as session:
        ev = resolve_photo(session, evidence_id)
        g = georef_of(ev)
        if ev.capture_time is None:
            raise ValidationError(
                f"photo {ev.id[:8]} has no capture time: set it with `photo set-time`", field="capture_time"
            )
        if g is None or not g.footprint:
            raise ValidationError(
                f"photo {ev.id[:8]} has no footprint on the map: place it first (`photo place`)", field="georef"
            )
        t = int(ev.capture_time.timestamp())
        window = int(max_gap_h * 3600)
        blocks = list(position_blocks(session, t - window, t + window))
        hull_notes = [(a.id, a.label or "", a.points) for a in ev.annotations if a.shape in HULL_SHAPES]
        names = dict(session.execute(select(Vessel.mmsi, Vessel.name).where(Vessel.mmsi.is_not(None))).all())
        evidence_full_id = ev.id
    footprint = [list(p) for p in g.footprint]
    check = PhotoAisCheck(evidence_full_id, iso_utc(ev.capture_time), footprint, dark_radius_m=dark_radius_m)
    area = shapely.Polygon(footprint)
    centre = area.centroid
    centre_xyz = unit_vectors(centre.y, centre.x)
    # Every vessel with reports either side of the capture time, interpolated to it.
    at: list[tuple[int, np.ndarray, float | None, float | None]] = []
    block = np.concatenate(blocks) if blocks else np.zeros((0, 5))
    if block.shape[0]:
        tracks = prepare_tracks(
            block[:, 0].astype(np.int64), block[:, 1].astype(np.int64), block[:, 2], block[:, 3], block[:, 4]
        )
        for v, mmsi in enumerate(tracks.vessels.tolist()):
            s, e = int(tracks.starts[v]), int(tracks.starts[v + 1])
            ts = tracks.ts[s:e]
            j = int(np.searchsorted(ts, t, side="right")) - 1
            if j < 0:
                continue
            if ts[j] == t or j + 1 >= ts.size:
                if ts[j] != t:
                    continue  # no report after the capture: where it went is unknown
                k = min(j + 1, ts.size - 1)
            else:
                k = j + 1
            a, b = s + j, s + k
            dt = float(tracks.ts[b] - tracks.ts[a])
            frac = (t - tracks.ts[a]) / dt if dt > 0 else 0.0
            xyz = tracks.xyz[a] + (tracks.xyz[b] - tracks.xyz[a]) * frac
            xyz /= np.linalg.norm(xyz)
            heading = None if a == b else _bearing(tracks.lat[a], tracks.lon[a], tracks.lat[b], tracks.lon[b])
            speed = float(tracks.speed_kn[a] + (tracks.speed_kn[b] - tracks.speed_kn[a]) * frac)
            at.append((int(mmsi), xyz, heading, speed if math.isfinite(speed) else None))
    for mmsi, xyz, heading, speed in at:
        lat, lon = (float(x) for x in lat_lon(xyz))
        inside = bool(area.covers(shapely.Point(lon, lat)))
        if not inside:
            continue
        check.vessels.append(
            VesselAtCapture(
                mmsi=mmsi,
                name=names.get(mmsi),
                lat=round(lat, 6),
                lon=round(lon, 6),
                distance_m=round(float(chord_to_m(np.linalg.norm(xyz - centre_xyz))), 1),
                heading_deg=None if heading is None else round(heading, 1),
                speed_kn=None if speed is None else round(speed, 2),
                inside=True,
            )
        )
    for v in check.vessels:
        v.x, v.y = _pixel_of(g, v.lon, v.lat)
    check.vessels.sort(key=lambda v: v.distance_m)
    positions = np.array([xyz for _, xyz, _, _ in at]) if at else np.zeros((0, 3))
    for note_id, label, points in hull_notes:
        px = sum(p[0] for p in points) / len(points)
        py = sum(p[1] for p in points) / len(points)
        lon, lat = pixel_to_lonlat(g, px, py)
        nearest_mmsi, nearest_m = None, None
        if positions.shape[0]:
            d = chord_to_m(np.linalg.norm(positions - unit_vectors(lat, lon)[None, :], axis=1))
            i = int(np.argmin(d))
            nearest_mmsi, nearest_m = at[i][0], round(float(d[i]), 1)
        dark = nearest_m is None or nearest_m > dark_radius_m
        check.hulls.append(MarkedHull(note_id, label, round(lat, 6), round(lon, 6), nearest_mmsi, nearest_m, dark))
    return check


def flag_dark_vessels(ctx: Context, evidence_id: str, *, dark_radius_m: float = DARK_RADIUS_M) -> PhotoAisCheck:
    """Run ``check_photo`` and record it: the check kept with the photo, ``dark_vessel`` on its incidents when a hull is dark."""
    from evidence_app.services.photos import resolve_photo
    from evidence_app.services.record_edits import apply_changes

    check = check_photo(ctx, evidence_id, dark_radius_m=dark_radius_m)
    with ctx.store.write() as session:
        ev = resolve_photo(session, evidence_id)
        ev.meta = {**(ev.meta or {}), "ais_check": check.as_dict()}
        ev.version += 1
        audit.record(
            session,
            ctx.actor,
            "photo.ais_check",
            "evidence",
            ev.id,
            {"vessels": [v.mmsi for v in check.vessels], "dark_hulls": [h.annotation_id for h in check.dark]},
        )
        if check.dark:
            incident_ids = session.scalars(
                select(IncidentEvidence.incident_id).where(IncidentEvidence.evidence_id == ev.id)
            ).all()
            for incident_id in sorted(set(incident_ids)):
                incident = session.get(Incident, incident_id)
                if incident is None or "dark_vessel" in (incident.indicators or []):
                    continue
                diff = apply_changes(incident, {"indicators": sorted({*(incident.indicators or []), "dark_vessel"})})
                diff["reason"] = (
                    f"{len(check.dark)} hull(s) on photo {ev.id[:8]} with no AIS within "
                    f"{dark_radius_m:,.0f} m at {check.capture_time}"
                )  # type: ignore[assignment]
                audit.record(session, ctx.actor, "incident.update", "incident", incident.id, diff)
    return check
