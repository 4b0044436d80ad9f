"""The offline map widget: a QWebEngineView showing the folium/Leaflet page served from our own
``evmap://`` URL scheme, with a QWebChannel bridge for clicks, placements and drags.

Call ``register_map_scheme()`` before the QApplication exists. The view is handed a data
provider (``mapview.layers.MapData`` or any callable answering ``/data/...`` paths): it
never opens a database session itself.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QFile,
    QIODevice,
    QObject,
    QUrl,
    QUrlQuery,
    Signal,
    Slot,
)
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from evidence_app.domain.antimeridian import wrap_lon
from evidence_app.mapview.assets import HOST, SCHEME
from evidence_app.mapview.mbtiles import MBTiles
from evidence_app.mapview.server import PAGE_PATH, PAGE_URL, DataProvider, MapSite

log = logging.getLogger(__name__)

_SCHEME_BYTES = SCHEME.encode()


def register_map_scheme() -> None:
    """Declare ``evmap:`` to Chromium. Must run before the QApplication is created; idempotent."""
    if QWebEngineUrlScheme.schemeByName(QByteArray(_SCHEME_BYTES)).name() == QByteArray(_SCHEME_BYTES):
        return
    scheme = QWebEngineUrlScheme(QByteArray(_SCHEME_BYTES))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = (
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.FetchApiAllowed  # the page fetch()es its GeoJSON
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    scheme.setFlags(flags)
    QWebEngineUrlScheme.registerScheme(scheme)


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ``evmap://local/...`` from a ``MapSite``; everything else is a 404."""

    def __init__(self, site: MapSite, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.site = site

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt API)
        url = job.requestUrl()
        if url.host() != HOST:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        query = {k: v for k, v in QUrlQuery(url).queryItems(QUrl.ComponentFormattingOption.FullyDecoded)}
        try:
            answer = self.site.handle(url.path(), query)
        except Exception:  # a bug in a data provider must not take the GUI down
            log.exception("map request %s failed", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        if answer is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buffer = QBuffer(job)
        buffer.setData(QByteArray(answer.body))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(answer.media_type.encode()), buffer)


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not on our scheme, and remembers the recent ones."""

    def __init__(self, parent: QObject | None = None, keep: int = 10_000) -> None:
        super().__init__(parent)
        self.seen: deque[str] = deque(maxlen=keep)
        self.blocked: deque[str] = deque(maxlen=keep)

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt API)
        url = info.requestUrl()
        self.seen.append(url.toString())
        if url.scheme() != SCHEME:
            self.blocked.append(url.toString())
            info.block(True)


class MapBridge(QObject):
    """The object the page sees as ``bridge`` over QWebChannel.

    The page calls the ``notify...`` slots; a slot must not share its name with a
    signal, or the page sees the signal object instead of a callable.

    Longitudes are brought into -180..180 here as well as in the page: after a pan across
    the antimeridian Leaflet reports the world copy in view (e.g. -231.3 for 128.7), and
    the store refuses those.
    """

    incidentClicked = Signal(str)  # noqa: N815 (Qt naming)
    positionPicked = Signal(str, str, float, float)  # noqa: N815
    markerMoved = Signal(str, float, float)  # noqa: N815
    layersReady = Signal(str)  # noqa: N815
    panelsChanged = Signal(str)  # noqa: N815

    @Slot(str)
    def notifyIncidentClicked(self, incident_id: str) -> None:
        self.incidentClicked.emit(incident_id)

    @Slot(str, str, float, float)
    def notifyPositionPicked(self, kind: str, item_id: str, lat: float, lon: float) -> None:
        self.positionPicked.emit(kind, item_id, lat, wrap_lon(lon))

    @Slot(str, float, float)
    def notifyMarkerMoved(self, incident_id: str, lat: float, lon: float) -> None:
        self.markerMoved.emit(incident_id, lat, wrap_lon(lon))

    @Slot(str)
    def notifyLayersReady(self, state_json: str) -> None:
        self.layersReady.emit(state_json)

    @Slot(str)
    def notifyPanelsChanged(self, state_json: str) -> None:
        self.panelsChanged.emit(state_json)


class MapPage(QWebEnginePage):
    """Stays on the map page: no navigation elsewhere, no new windows; console to the log."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.console: deque[str] = deque(maxlen=500)
        self.alerts: list[str] = []  # alert() never shows a dialog; a test checks none came

    def acceptNavigationRequest(self, url: QUrl | str, nav_type: Any, is_main_frame: bool) -> bool:  # noqa: N802
        target = QUrl(url) if isinstance(url, str) else url
        allowed = (target.scheme(), target.host(), target.path()) == (SCHEME, HOST, PAGE_PATH)
        if not allowed:
            log.warning("map page tried to navigate to %s; blocked", target.toString())
        return allowed

    def createWindow(self, window_type: Any) -> None:  # noqa: N802 (Qt API)
        return None

    def javaScriptAlert(self, origin: QUrl, message: str) -> None:  # noqa: N802 (Qt API)
        self.alerts.append(message)
        log.warning("map page raised an alert: %s", message)

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:  # noqa: N802
        self.console.append(f"{source}:{line}: {message}")
        log.debug("map page: %s:%s: %s", source, line, message)


def _qwebchannel_script() -> QWebEngineScript:
    """qwebchannel.js injected at document creation: works where a qrc: <script> is refused."""
    source = QFile(":/qtwebchannel/qwebchannel.js")
    if not source.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js is missing from the Qt resources")
    code = bytes(source.readAll().data()).decode()
    source.close()
    script = QWebEngineScript()
    script.setName("qwebchannel")
    script.setSourceCode(code)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


def _epoch(value: datetime | float | None) -> float | None:
    if value is None or isinstance(value, float | int):
        return value
    return value.timestamp()


class MapView(QWebEngineView):
    """The map. Signals carry what the analyst did; methods push small updates to the page."""

    incidentClicked = Signal(str)  # noqa: N815
    positionPicked = Signal(str, str, float, float)  # kind, id, lat, lon  # noqa: N815
    markerMoved = Signal(str, float, float)  # noqa: N815
    layersReady = Signal(dict)  # noqa: N815
    panelsChanged = Signal(dict)  # the map's control panels, name -> folded  # noqa: N815

    def __init__(
        self,
        provider: DataProvider,
        parent: QWidget | None = None,
        *,
        center: tuple[float, float] = (35.0, 125.0),
        zoom: int = 6,
    ) -> None:
        super().__init__(parent)
        self.site = MapSite(provider, center=center, zoom=zoom)
        # Off the record: no cookies, cache or storage written to disk.
        profile = QWebEngineProfile()
        self.guard = RequestGuard(profile)
        profile.setUrlRequestInterceptor(self.guard)
        self._handler = MapSchemeHandler(self.site, profile)
        profile.installUrlSchemeHandler(QByteArray(_SCHEME_BYTES), self._handler)
        self.map_page = MapPage(profile, self)
        # The page must go before its profile: the page owns it, so it is deleted last.
        profile.setParent(self.map_page)
        self.map_page.scripts().insert(_qwebchannel_script())
        self.bridge = MapBridge(self)
        self._channel = QWebChannel(self.map_page)
        self._channel.registerObject("bridge", self.bridge)
        self.map_page.setWebChannel(self._channel)
        self.setPage(self.map_page)
        self.bridge.incidentClicked.connect(self.incidentClicked)
        self.bridge.positionPicked.connect(self.positionPicked)
        self.bridge.markerMoved.connect(self.markerMoved)
        self.bridge.layersReady.connect(lambda text: self.layersReady.emit(json.loads(text)))
        self.bridge.panelsChanged.connect(self._panels_changed)

    # -- loading -------------------------------------------------------------------------

    def load_map(self) -> None:
        """(Re)load the page; layers are fetched from the provider as the page starts."""
        self.load(QUrl(PAGE_URL))

    def set_data(self, provider: DataProvider) -> None:
        """Show other data (another case): a reload, since every layer changes."""
        self.site.provider = provider
        self.load_map()

    def add_mbtiles(self, path: str) -> dict[str, Any]:
        """Add a user's MBTiles file as a basemap in the layer switcher (reloads the page)."""
        descriptor = self.site.add_mbtiles(MBTiles.open(path))
        self.load_map()
        return descriptor

    # -- small updates ---------------------------------------------------------------------

    def run_js(self, code: str, callback: Callable[[Any], None] | None = None) -> None:
        if callback is None:
            self.map_page.runJavaScript(code, 0)
        else:
            self.map_page.runJavaScript(code, 0, callback)

    def _call(self, function: str, *args: Any) -> None:
        arguments = ", ".join(json.dumps(a, allow_nan=False) for a in args)
        self.run_js(f"window.EvidenceMap && EvidenceMap.{function}({arguments});")

    def select_incident(self, incident_id: str, centre: bool = True) -> None:
        self._call("selectIncident", incident_id, centre)

    def update_incident(self, feature: Mapping[str, Any]) -> None:
        """Redraw one incident from its GeoJSON feature (``mapview.layers.incident_feature``)."""
        self._call("updateIncident", dict(feature))

    def set_time_window(self, start: datetime | float | None, end: datetime | float | None) -> None:
        """Show only what happened between start and end (UTC); None, None shows everything."""
        self._call("setTimeWindow", _epoch(start), _epoch(end))

    def set_place_mode(self, kind: str | None, item_id: str | None = None) -> None:
        """Next click on the map places ``kind`` ('incident' | 'evidence') ``item_id``; None ends it."""
        self._call("setPlaceMode", kind, item_id)

    def set_measure_mode(self, on: bool) -> None:
        self._call("setMeasureMode", on)

    def add_overlay(
        self,
        url: str,
        bounds: tuple[float, float, float, float],
        opacity: float = 0.7,
        *,
        title: str = "",
        overlay_id: str | None = None,
    ) -> None:
        """Draw a PNG served on our scheme over ``bounds`` = (south, west, north, east)."""
        if not (url.startswith("/") or url.startswith(f"{SCHEME}://{HOST}/")):
            raise ValueError(f"overlay URL {url!r} is not on the map's own scheme")
        south, west, north, east = bounds
        self._call(
            "addOverlay",
            {
                "id": overlay_id or url,
                "title": title,
                "url": url,
                "bounds": [[south, west], [north, east]],
                "opacity": opacity,
            },
        )

    def remove_overlay(self, overlay_id: str) -> None:
        self._call("removeOverlay", overlay_id)

    def fit_bounds(self, bounds: tuple[float, float, float, float], max_zoom: int = 11) -> None:
        """Show ``bounds`` = (south, west, north, east), zooming in no further than ``max_zoom``."""
        south, west, north, east = (float(v) for v in bounds)
        corners = json.dumps([[south, west], [north, east]], allow_nan=False)
        # folium keeps the Leaflet map in a global named after the map's element id.
        self.run_js(
            "(function () { var box = document.querySelector('.folium-map'); var map = box && window[box.id];"
            f" if (map) map.fitBounds({corners}, {{padding: [40, 40], maxZoom: {int(max_zoom)}}}); }})();"
        )

    # -- control panels, time and playback -----------------------------------------------------

    def _panels_changed(self, text: str) -> None:
        try:
            state = json.loads(text)
        except ValueError:
            return
        if isinstance(state, dict):
            self.site.panel_state = {str(k): bool(v) for k, v in state.items()}
            self.panelsChanged.emit(dict(self.site.panel_state))

    def set_collapsed_panels(self, state: Mapping[str, bool]) -> None:
        """Fold ('legend', 'time', 'photos') panels; kept for the next page load too."""
        self.site.panel_state = {str(k): bool(v) for k, v in state.items()}
        self._call("setCollapsed", self.site.panel_state)

    def reset_time(self) -> None:
        """Another case: the sliders span its data again, playback stops."""
        self._call("resetTime")

    def play(self, speed: float | None = None) -> None:
        """Play the tracks through the time window; ``speed`` in data seconds per second."""
        self._call("play", speed)

    def pause(self) -> None:
        self._call("pause")

    def set_play_time(self, when: datetime | float | None) -> None:
        """Show the vessels where they were at ``when``; None puts them at their last position."""
        self._call("setPlayTime", _epoch(when))

    def show_track(self, mmsi: int, bounds: tuple[float, float, float, float] | None) -> None:
        """Highlight one vessel's track and fit ``bounds`` = (south, west, north, east) in view."""
        box = None if bounds is None else [float(v) for v in bounds]
        self._call("showTrack", int(mmsi), box)

    def reload_layer(self, what: str) -> None:
        """Fetch one layer again ('incidents' | 'tracks' | 'footprints') after the data changed."""
        self._call("reload", what)
