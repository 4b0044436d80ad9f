"""Reads a case's map layers from the store: incidents with their status colour, AIS tracks of
the case's vessels (or all), and evidence footprints. The caller opens the session.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.mapview.layers import Footprint, IncidentPoint, MapData, Overlay, Track
from evidence_app.storage.models import (
    AisPosition,
    Evidence,
    Incident,
    IncidentEvidence,
    Participant,
    Vessel,
)


def _epoch(value: object) -> float | None:
    return value.timestamp() if value is not None else None  # type: ignore[attr-defined]


def participant_mmsis(
    session: Session, case_id: str | None = None, incident_id: str | None = None
) -> dict[str, tuple[int, ...]]:
    """Per incident, the MMSIs of its participants (the vessel's, and one claimed in a report)."""
    query = select(Participant.incident_id, Vessel.mmsi, Participant.claimed_mmsi).join(
        Vessel, Vessel.id == Participant.vessel_id
    )
    if incident_id is not None:
        query = query.where(Participant.incident_id == incident_id)
    elif case_id is not None:
        query = query.join(Incident, Incident.id == Participant.incident_id).where(Incident.case_id == case_id)
    found: dict[str, set[int]] = {}
    for incident, mmsi, claimed in session.execute(query):
        found.setdefault(incident, set()).update(m for m in (mmsi, claimed) if m is not None)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def incident_points(session: Session, case_id: str | None = None) -> list[IncidentPoint]:
    query = select(Incident)
    if case_id is not None:
        query = query.where(Incident.case_id == case_id)
    mmsis = participant_mmsis(session, case_id)
    return [
        IncidentPoint(
            id=i.id,
            title=i.title,
            status=i.status,
            lat=i.lat,
            lon=i.lon,
            radius_m=i.radius_m,
            start=_epoch(i.start_utc),
            end=_epoch(i.end_utc),
            mmsis=mmsis.get(i.id, ()),
        )
        for i in session.scalars(query)
    ]


def case_mmsis(session: Session, case_id: str) -> set[int]:
    """MMSIs of the vessels taking part in the case's incidents (assessed and claimed)."""
    rows = session.execute(
        select(Vessel.mmsi, Participant.claimed_mmsi)
        .join(Participant, Participant.vessel_id == Vessel.id)
        .join(Incident, Incident.id == Participant.incident_id)
        .where(Incident.case_id == case_id)
    )
    return {m for row in rows for m in row if m is not None}


def tracks(session: Session, mmsis: Iterable[int] | None = None) -> list[Track]:
    """One Track per MMSI, sorted by time; all MMSIs when ``mmsis`` is None. Bulk read."""
    import numpy as np

    names = dict(session.execute(select(Vessel.mmsi, Vessel.name).where(Vessel.mmsi.is_not(None))).all())
    query = select(AisPosition.mmsi, AisPosition.ts, AisPosition.lat, AisPosition.lon).order_by(
        AisPosition.mmsi, AisPosition.ts
    )
    if mmsis is not None:
        wanted = sorted(set(mmsis))
        if not wanted:
            return []
        query = query.where(AisPosition.mmsi.in_(wanted))
    rows = session.connection().execute(query).all()
    if not rows:
        return []
    table = np.array(rows, dtype=float)
    mmsi_col = table[:, 0].astype(np.int64)
    cuts = np.flatnonzero(np.diff(mmsi_col)) + 1
    result = []
    for chunk in np.split(np.arange(len(table)), cuts):
        mmsi = int(mmsi_col[chunk[0]])
        result.append(
            Track(
                mmsi=mmsi,
                name=names.get(mmsi) or "",
                ts=table[chunk, 1].astype(np.int64),
                lat=table[chunk, 2],
                lon=table[chunk, 3],
            )
        )
    return result


def footprints(session: Session, case_id: str | None = None) -> list[Footprint]:
    """Footprint geometries (or positions) of the evidence attached to the case's incidents."""
    query = select(Evidence).where((Evidence.footprint.is_not(None)) | (Evidence.lat.is_not(None)))
    if case_id is not None:
        query = query.where(
            Evidence.id.in_(
                select(IncidentEvidence.evidence_id)
                .join(Incident, Incident.id == IncidentEvidence.incident_id)
                .where(Incident.case_id == case_id)
            )
        )
    out = []
    for ev in session.scalars(query):
        geometry = ev.footprint or {"type": "Point", "coordinates": [ev.lon, ev.lat]}
        out.append(Footprint(ev.id, ev.original_name, ev.kind, geometry, _epoch(ev.capture_time)))
    return out


def load_map_data(
    session: Session,
    case_id: str | None = None,
    *,
    all_tracks: bool = False,
    overlays: Iterable[Overlay] = (),
) -> MapData:
    """Everything the map shows for a case (or the whole store when case_id is None)."""
    mmsis = None if all_tracks or case_id is None else case_mmsis(session, case_id)
    return MapData(
        incidents=incident_points(session, case_id),
        tracks=tracks(session, mmsis),
        footprints=footprints(session, case_id),
        overlays=overlays,
    )
