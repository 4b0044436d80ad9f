"""The map as part of the review desk: keeps a ``MapView`` in step with the case, the list filter,
the selection and every edit, and turns the map's clicks and drags into the desk's undoable placements.

Data flows one way each: the desk's edits (``Desk.incidentChanged``, ``evidencePlaced``)
re-read the one changed record through ``services.map_data.CaseMap`` and send it to the
page with a small JavaScript call; the map's clicks come back as signals the window
turns into ``select_incident`` or a ``PlaceCommand`` on the window's undo stack.

Time: the list filter (and the timeline strip that sets it) is the one source of truth.
Its from/to window limits both the incidents the map shows and the map's time window
(tracks too). The map's own time slider narrows only what the map draws, inside that
window, and never changes the list; the next filter change resets it, and so does a case
switch (``show_case`` → ``MapView.reset_time``: the sliders span the new case's data, playback
stops). The desk may also set the window itself (``set_time_range``) or go back to the
filter's (``reset_time_range``).

Folded control panels are remembered in the desk's settings (``map/collapsed``) when given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from evidence_app.services.incident_queries import IncidentFilter
from evidence_app.services.map_data import CaseMap
from evidence_app.ui.commands import Desk
from evidence_app.ui.map_view import MapView
from evidence_app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

# Open ends of the list's time filter, as epoch seconds for the page (JSON has no infinity).
_EARLIEST = 0.0
_LATEST = 32_503_680_000.0  # the year 3000


class DeskMap(QObject):
    """Owns the desk's map view and its data; the window connects the two signals below."""

    incidentClicked = Signal(str)  # noqa: N815 - the analyst clicked an incident on the map
    placeRequested = Signal(str, str, float, float)  # noqa: N815 - kind, id, lat, lon (click in place mode, or a drag)

    def __init__(
        self,
        desk: Desk,
        case_map: CaseMap,
        parent: QObject | None = None,
        runner: TaskRunner | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.case_map = case_map
        # Reading a large case (100,000 incidents) takes a second or more: with a runner the
        # reads go to a worker and the list never waits for the map; without one (tests of
        # the map alone) they run here, synchronously.
        self.runner = runner
        self._case_generation = 0  # a newer show_case makes older results stale
        self._filter_generation = 0
        self._latest_filter: IncidentFilter | None = None
        # The map's query starts after the list has answered (a zero-delay, coalescing
        # timer): started at once, it competed with the list's own queries for the GIL.
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(0)
        self._filter_timer.timeout.connect(self._start_filter)
        self.view = MapView(case_map)
        self.view.setAccessibleName("Map of the case")
        self.settings = settings
        self.view.site.panel_state = _folded_panels(settings)
        self.view.panelsChanged.connect(self._panels_changed)
        self._pending_track: int | None = None
        # The user's own basemaps (evidence-app basemap add / File ▸ Add Basemap…); one that
        # cannot be opened is noted, never a reason for the map not to start.
        from evidence_app.services import basemaps

        tiles, self.basemap_problems = basemaps.open_basemaps()
        for package in tiles:
            self.view.site.add_mbtiles(package)
        self.loaded = False  # the page was asked to load
        self.ready = False  # the page has drawn its first layers
        self.selected: str | None = None
        self.placing: tuple[str, str] | None = None
        self._window: tuple[float, float] | None = None
        self._fit_pending = True
        self._shown_overlays: set[str] = set()
        self._footprints: list[Any] = []
        self.view.layersReady.connect(self._layers_ready)
        self.view.incidentClicked.connect(self._clicked)
        self.view.positionPicked.connect(self._picked)
        self.view.markerMoved.connect(lambda item_id, lat, lon: self.placeRequested.emit("incident", item_id, lat, lon))
        desk.incidentChanged.connect(self.refresh_incident)
        desk.incidentsChanged.connect(self.reload_incidents)
        desk.evidencePlaced.connect(lambda _id: self.refresh_evidence())

    # -- the case and the filter ----------------------------------------------------------
    def show_case(self, case_id: str | None, flt: IncidentFilter | None = None) -> None:
        """Show another case: its layers are read again and sent to the page (no page reload)."""
        self._case_generation += 1
        generation = self._case_generation
        self._latest_filter = flt
        # Cleared now, not when the data lands: the user may select an incident of the
        # new case while it is being read, and that selection must survive.
        self.selected = None

        def read() -> tuple[Any, set[str] | None]:
            data = self.case_map.read_case(case_id)
            return data, (self.case_map.shown_ids(flt) if flt is not None and case_id is not None else None)

        self._run(read, lambda result: self._install_case(generation, case_id, flt, *result), "map: read the case")

    def _install_case(
        self, generation: int, case_id: str | None, flt: IncidentFilter | None, data: Any, ids: set[str] | None
    ) -> None:
        if generation != self._case_generation:
            return  # another case was asked for meanwhile
        self.case_map.install_case(case_id, data)
        if flt is not None:
            self.case_map.show_only(flt, ids)
            self._window = _window_of(flt)
        self._footprints = list(self.case_map.data.footprints)
        self._fit_pending = True
        if self._latest_filter is not None and self._latest_filter is not flt:
            self.apply_filter(self._latest_filter)  # the list moved on while the case was read
        if not self.loaded:
            self.loaded = True
            self.view.load_map()
            return
        if self.ready:
            for layer in ("incidents", "tracks", "footprints"):
                self.view.reload_layer(layer)
            self.view.reset_time()
            self._sync_overlays()
            self._after_data_change()

    def apply_filter(self, flt: IncidentFilter) -> None:
        """The list's filter changed: show the same incidents, and its time window.

        The list answers first; the map's id query runs after it (on the worker), and a
        result overtaken by a newer filter is dropped.
        """
        self._latest_filter = flt
        if flt.case_id != self.case_map.case_id:
            return  # a new case's first filter; show_case follows with everything
        self._filter_generation += 1
        if self.runner is None:
            self._start_filter()
        else:
            self._filter_timer.start()

    def _start_filter(self) -> None:
        flt = self._latest_filter
        if flt is None or flt.case_id != self.case_map.case_id:
            return
        generation = self._filter_generation
        self._run(
            lambda: self.case_map.shown_ids(flt), lambda ids: self._install_filter(generation, flt, ids), "map: filter"
        )

    def _install_filter(self, generation: int, flt: IncidentFilter, ids: set[str] | None) -> None:
        if generation != self._filter_generation or flt.case_id != self.case_map.case_id:
            return
        self.case_map.show_only(flt, ids)
        self._window = _window_of(flt)
        if self.ready:
            self.view.reload_layer("incidents")
            self._send_window()

    def _run(self, read: Callable[[], Any], install: Callable[[Any], None], name: str) -> None:
        """Read on the worker and install on the GUI thread, or both here without a runner."""
        if self.runner is None:
            install(read())
            return
        self.runner.run_task(read, name=name, on_result=install, on_error=self._read_failed, with_progress=False)

    def _read_failed(self, error: BaseException) -> None:
        # The map is a view of the store: a failed read leaves the previous picture and logs why.
        log.warning("the map could not read the store: %s", error, exc_info=error)

    def _after_data_change(self) -> None:
        self._send_window()
        bounds = self.case_map.bounds()
        if self._fit_pending and bounds is not None:
            self.view.fit_bounds(bounds)
        self._fit_pending = False
        if self.selected:
            self.view.select_incident(self.selected, centre=False)
        if self._pending_track is not None:
            mmsi, self._pending_track = self._pending_track, None
            self.show_track(mmsi)

    def _send_window(self) -> None:
        start, end = self._window or (None, None)
        self.view.set_time_window(start, end)

    # -- time, for the desk ------------------------------------------------------------------
    def set_time_range(self, start: datetime | None, end: datetime | None) -> None:
        """Show only what happened between start and end on the map (open ends allowed); the
        sliders then span that range. The next filter change or case switch replaces it."""
        if start is None and end is None:
            self._window = None
        else:
            self._window = (_epoch(start) if start else _EARLIEST, _epoch(end) if end else _LATEST)
        if self.ready:
            self._send_window()

    def reset_time_range(self) -> None:
        """Back to the list filter's window, sliders spanning it, playback stopped."""
        flt = self.case_map.filter or self._latest_filter
        self._window = _window_of(flt) if flt is not None else None
        if self.ready:
            self.view.reset_time()
            self._send_window()

    # -- a vessel's track ---------------------------------------------------------------------
    def show_track(self, mmsi: int) -> bool:
        """Bring the map forward, centred on the vessel's AIS track, highlighted; False without AIS."""
        known = any(t.mmsi == mmsi for t in self.case_map.data.tracks)
        track = self.case_map.track_of(mmsi)
        if track is None or not len(track.lat):
            return False
        self._bring_forward()
        if not self.ready:
            self._pending_track = mmsi
            return True
        if not known:
            self.view.reload_layer("tracks")  # a vessel outside the case: its track joins the layer
        west, south, east, north = track.bbox
        self.view.show_track(mmsi, (south, west, north, east))
        return True

    def _bring_forward(self) -> None:
        """Make the map the visible tab of whatever tab widgets hold it."""
        chain: list[QWidget] = [self.view]
        parent = self.view.parentWidget()
        while parent is not None:
            if isinstance(parent, QTabWidget):
                for widget in chain:
                    if parent.indexOf(widget) >= 0:
                        parent.setCurrentWidget(widget)
            chain.append(parent)
            parent = parent.parentWidget()

    def _panels_changed(self, state: dict[str, bool]) -> None:
        if self.settings is not None:
            self.settings.setValue("map/collapsed", json.dumps(state))

    def _layers_ready(self, _state: dict[str, Any]) -> None:
        first = not self.ready
        self.ready = True
        if first:
            self._shown_overlays = set(self.case_map.data.overlays)
        self._after_data_change()

    # -- selection ------------------------------------------------------------------------
    def select(self, incident_id: str | None) -> None:
        """The desk selected an incident: centre and ring it on the map."""
        if not incident_id or incident_id == self.selected:
            return
        self.selected = incident_id
        if self.ready:
            self.view.select_incident(incident_id, centre=True)

    def _clicked(self, incident_id: str) -> None:
        self.selected = incident_id  # the page already rings it; no re-centring
        self.incidentClicked.emit(incident_id)

    # -- placing --------------------------------------------------------------------------
    def start_placing(self, kind: str, item_id: str) -> None:
        self.placing = (kind, item_id)
        self.view.set_place_mode(kind, item_id)

    def stop_placing(self) -> None:
        self.placing = None
        self.view.set_place_mode(None)

    def _picked(self, kind: str, item_id: str, lat: float, lon: float) -> None:
        self.placing = None  # the page leaves place mode after one click
        self.placeRequested.emit(kind, item_id, lat, lon)

    # -- edits from the desk --------------------------------------------------------------
    def refresh_incident(self, incident_id: str) -> None:
        """An incident changed (placed, undone, reviewed, retitled): redraw it from the store."""
        if self.case_map.case_id is None:
            return
        was_shown = incident_id in self.case_map.data.incidents
        feature = self.case_map.refresh_incident(incident_id)
        if self.ready:
            if feature is not None:
                self.view.update_incident(feature)
            elif was_shown:
                self.view.reload_layer("incidents")  # it lost its position: drawn no more
        self.refresh_evidence()  # attach/detach/undo may have added or removed a photo

    def reload_incidents(self) -> None:
        """Incidents were added or removed: read them again (on the worker) and redraw."""
        case_id = self.case_map.case_id
        if case_id is None:
            return
        generation = self._case_generation
        flt = self.case_map.filter

        def read() -> tuple[Any, set[str] | None]:
            return self.case_map.read_incidents(case_id), (self.case_map.shown_ids(flt) if flt is not None else None)

        def install(result: tuple[Any, set[str] | None]) -> None:
            if generation != self._case_generation or case_id != self.case_map.case_id:
                return
            self.case_map.install_incidents(*result)
            if self.ready:
                self.view.reload_layer("incidents")

        self._run(read, install, "map: reload incidents")

    def refresh_evidence(self) -> None:
        """Footprints, points and photo overlays again (only what changed is sent)."""
        if self.case_map.case_id is None:
            return
        self.case_map.refresh_evidence()
        footprints = list(self.case_map.data.footprints)
        if not self.ready:
            return
        if footprints != self._footprints:
            self.view.reload_layer("footprints")
        self._footprints = footprints
        self._sync_overlays()

    def _sync_overlays(self) -> None:
        wanted = {d["id"]: d for d in self.case_map.overlay_descriptors()}
        for gone in self._shown_overlays - set(wanted):
            self.view.remove_overlay(gone)
        for overlay_id, d in wanted.items():
            if overlay_id not in self._shown_overlays:
                (south, west), (north, east) = d["bounds"]
                self.view.add_overlay(
                    d["url"], (south, west, north, east), d["opacity"], title=d["title"], overlay_id=overlay_id
                )
        self._shown_overlays = set(wanted)


def _folded_panels(settings: QSettings | None) -> dict[str, bool]:
    if settings is None:
        return {}
    try:
        state = json.loads(str(settings.value("map/collapsed", "{}")))
    except ValueError:
        return {}
    return {str(k): bool(v) for k, v in state.items()} if isinstance(state, dict) else {}


def _window_of(flt: IncidentFilter) -> tuple[float, float] | None:
    if flt.since is None and flt.until is None:
        return None
    return (_epoch(flt.since) if flt.since else _EARLIEST, _epoch(flt.until) if flt.until else _LATEST)


def _epoch(value: datetime) -> float:
    return value.timestamp()
