"""The desk map's data provider: one case's layers read from the store, kept in step with edits and the list filter.

``CaseMap`` is what the review desk hands its ``MapView``: a callable answering the page's
``/data/...`` and ``/overlay/...`` requests from memory (``mapview.layers.MapData``). It
reads the store only when told to (a case is shown, an incident or item changed, the
filter changed), each time in its own read transaction; the widget never opens one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from evidence_app.domain.errors import UserError
from evidence_app.mapview.assets import Asset
from evidence_app.mapview.data import footprints, incident_points, load_map_data, participant_mmsis, tracks
from evidence_app.mapview.layers import IncidentPoint, MapData, Overlay, Track, incident_feature
from evidence_app.services import overlays
from evidence_app.services.context import Context
from evidence_app.services.incident_queries import IncidentFilter, filtered_query
from evidence_app.storage.models import Evidence, Incident, IncidentEvidence

log = logging.getLogger(__name__)

OVERLAY_OPACITY = 0.75


class CaseMap:
    """One case's map layers; ``incidents shown`` follow the desk's list filter."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.case_id: str | None = None
        self.data = MapData()
        self.all_incidents: dict[str, IncidentPoint] = {}
        self.filter: IncidentFilter | None = None

    def __call__(self, path: str, query: Mapping[str, str]) -> Asset | None:
        return self.data(path, query)

    # -- loading ------------------------------------------------------------------------
    def load_case(self, case_id: str | None) -> None:
        """Read every layer of a case (incidents, its vessels' AIS tracks, footprints, photo overlays)."""
        self.install_case(case_id, self.read_case(case_id))

    def read_case(self, case_id: str | None) -> MapData:
        """The case's layers, read without touching this object: safe on a worker thread."""
        if case_id is None:
            return MapData()
        with self.ctx.store.read() as session:
            data = load_map_data(session, case_id)
        for overlay in self.photo_overlays(case_id):
            data.add_overlay(overlay)
        return data

    def install_case(self, case_id: str | None, data: MapData) -> None:
        """Make layers read by ``read_case`` the ones the page is served (GUI thread)."""
        self.case_id = case_id
        self.filter = None
        self.all_incidents = dict(data.incidents)
        self.data = data

    def photo_overlays(self, case_id: str | None = None) -> list[Overlay]:
        """The case's georeferenced photos, warped to Web Mercator PNGs (cached by the photo service)."""
        case_id = case_id or self.case_id
        if case_id is None:
            return []
        with self.ctx.store.read() as session:
            rows = session.execute(
                select(Evidence.id, Evidence.original_name)
                .join(IncidentEvidence, IncidentEvidence.evidence_id == Evidence.id)
                .join(Incident, Incident.id == IncidentEvidence.incident_id)
                .where(Incident.case_id == case_id, Evidence.kind == "photo", Evidence.footprint.is_not(None))
                .distinct()
            ).all()
        out = []
        for evidence_id, name in rows:
            try:
                warped = overlays.overlay_for(self.ctx, evidence_id)
            except UserError as exc:  # a photo attached as a plain file, or one that cannot be warped
                log.info("no map overlay for %s: %s", name, exc)
                continue
            if warped is not None:
                bounds = (warped.south, warped.west, warped.north, warped.east)
                out.append(Overlay(evidence_id, name, warped.path, bounds, OVERLAY_OPACITY))
        return out

    # -- keeping in step ----------------------------------------------------------------
    def apply_filter(self, flt: IncidentFilter) -> int:
        """Show only the incidents the list shows (same filter, one id query); how many."""
        return self.show_only(flt, self.shown_ids(flt))

    def shown_ids(self, flt: IncidentFilter) -> set[str] | None:
        """The ids the filter lets through (None: not this case's filter). Safe on a worker thread."""
        if flt.case_id is None:
            return None
        plain = IncidentFilter(**{**flt.__dict__, "limit": None, "offset": 0})
        with self.ctx.store.read() as session:
            return set(session.scalars(filtered_query(session, plain)))

    def show_only(self, flt: IncidentFilter, ids: set[str] | None) -> int:
        """Show the incidents ``shown_ids`` found for ``flt`` (GUI thread); how many are shown."""
        if self.case_id is None or ids is None or flt.case_id != self.case_id:
            return len(self.data.incidents)
        self.filter = flt
        self.data.incidents = {i: p for i, p in self.all_incidents.items() if i in ids}
        return len(self.data.incidents)

    def reload_incidents(self) -> None:
        """Incidents were added or removed: read the case's incidents again, under the same filter."""
        if self.case_id is None:
            return
        self.install_incidents(self.read_incidents(self.case_id))

    def read_incidents(self, case_id: str) -> dict[str, IncidentPoint]:
        """The case's incidents (no filter), read without touching this object: worker-safe."""
        with self.ctx.store.read() as session:
            return {p.id: p for p in incident_points(session, case_id)}

    def install_incidents(self, incidents: dict[str, IncidentPoint], ids: set[str] | None = None) -> None:
        """Put freshly read incidents in place, under the current filter (GUI thread)."""
        self.all_incidents = incidents
        self.data.incidents = dict(incidents)
        if self.filter is not None:
            self.show_only(self.filter, ids if ids is not None else self.shown_ids(self.filter))

    def refresh_incident(self, incident_id: str) -> dict[str, Any] | None:
        """Re-read one incident after an edit; its feature when the map shows it, else None."""
        with self.ctx.store.read() as session:
            found = session.get(Incident, incident_id)
            if found is None or found.case_id != self.case_id:
                self.all_incidents.pop(incident_id, None)
                self.data.incidents.pop(incident_id, None)
                return None
            point = IncidentPoint(
                id=found.id,
                title=found.title,
                status=found.status,
                lat=found.lat,
                lon=found.lon,
                radius_m=found.radius_m,
                start=found.start_utc.timestamp() if found.start_utc else None,
                end=found.end_utc.timestamp() if found.end_utc else None,
                mmsis=participant_mmsis(session, incident_id=incident_id).get(incident_id, ()),
            )
        self.all_incidents[incident_id] = point
        if incident_id not in self.data.incidents:
            return None
        self.data.incidents[incident_id] = point
        return incident_feature(point)

    def refresh_evidence(self) -> list[dict[str, Any]]:
        """Re-read footprints and photo overlays (an item was placed, attached or detached); the overlay descriptors."""
        if self.case_id is None:
            return []
        with self.ctx.store.read() as session:
            self.data.footprints = footprints(session, self.case_id)
        self.data.overlays = {o.id: o for o in self.photo_overlays()}
        return [MapData.overlay_descriptor(o) for o in self.data.overlays.values()]

    def track_of(self, mmsi: int) -> Track | None:
        """One vessel's AIS track: the case's copy, or read from the store (a vessel outside the case)."""
        for track in self.data.tracks:
            if track.mmsi == mmsi:
                return track
        with self.ctx.store.read() as session:
            found = tracks(session, [mmsi])
        if not found:
            return None
        self.data.tracks.append(found[0])
        return found[0]

    def overlay_descriptors(self) -> list[dict[str, Any]]:
        return [MapData.overlay_descriptor(o) for o in self.data.overlays.values()]

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) of the case's placed incidents and tracks, for fitting the view."""
        lats = [p.lat for p in self.all_incidents.values() if p.lat is not None]
        lons = [p.lon for p in self.all_incidents.values() if p.lon is not None]
        for track in self.data.tracks:
            if len(track.lat):
                west, south, east, north = track.bbox
                lats += [south, north]
                lons += [west, east]
        if not lats:
            return None
        return min(lats), min(lons), max(lats), max(lons)
