"""The offline map in a real QWebEngineView: offline, counts, what a click or drag reports, escaping.

Placing writes through one route, the desk's ``PlaceCommand``: its tests (store, audit,
undo) are in ``test_desk_map.py``; here only what the view reports is checked."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from evidence_app.ui.map_view import MapView
from tests.gui.mapjs import map_state, run_js

pytestmark = pytest.mark.gui

XSS = "<img src=x onerror=alert(1)>"
SUSPECTED, CONFIRMED = (0xE6, 0xA1, 0x00), (0xC5, 0x1B, 0x1B)
N_VESSELS = 3


@pytest.fixture
def map_case(ctx, tmp_path):
    """A case with coloured incidents around Korea, AIS tracks for three vessels, a photo."""
    from PIL import Image
    from sqlalchemy import insert

    from evidence_app.services import cases, evidence, incidents, vessels
    from evidence_app.storage.models import AisPosition

    case = cases.create_case(ctx, "Map test")
    ids = []
    for k in range(3):  # all "suspected": the colour tests set statuses themselves
        vessels.add_vessel(ctx, mmsi=445000000 + k, name=f"VESSEL {k}")
        inc = incidents.add_incident(
            ctx,
            case.id,
            start_utc=datetime(2019, 3, 1 + k, tzinfo=UTC),
            lat=35.0 + k * 0.5,
            lon=124.0 + k * 0.5,
            radius_m=3000,
            title=XSS if k == 0 else f"Incident {k}",
            participants=[incidents.ParticipantSpec(str(445000000 + k), "receiver")],
        )
        ids.append(inc.id)
    ais = tmp_path / "ais.csv"
    ais.write_text("MMSI,BaseDateTime,LAT,LON\n")
    with ctx.store.write() as session:
        ev = evidence.add_file(session, ctx, ais, kind="ais")
        rows = [
            {
                "mmsi": 445000000 + v,
                "ts": 1551398400 + i * 600,
                "lat": 34.0 + v * 0.5 + i * 0.01,
                "lon": 123.0 + i * 0.015 + (i % 7) * 0.002,
                "evidence_id": ev.id,
            }
            for v in range(N_VESSELS)
            for i in range(200)
        ]
        session.execute(insert(AisPosition), rows)
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(png, format="PNG")
    return case, ids, png.getvalue()


@pytest.fixture
def map_view(qtbot, ctx, map_case):
    from evidence_app.mapview.data import load_map_data
    from evidence_app.mapview.layers import Overlay

    case, _ids, png = map_case
    with ctx.store.read() as session:
        data = load_map_data(session, case.id, overlays=[Overlay("photo1", "Photo", png, (35.2, 124.2, 35.6, 124.8))])
    view = MapView(data, center=(35.5, 124.5), zoom=7)
    view.resize(900, 700)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.layersReady, timeout=20000) as ready:
        view.load_map()
    view.ready_state = ready.args[0]
    view.data = data
    return view


js, state = run_js, map_state


def test_no_request_leaves_the_scheme(qtbot, map_view):
    map_view.add_overlay("/overlay/photo1.png", (35.0, 124.0, 35.2, 124.3), 0.5, title="again", overlay_id="p2")
    # Even a deliberate attempt from the page goes nowhere.
    js(
        qtbot,
        map_view,
        "fetch('https://example.com/x').catch(() => 0); new Image().src = 'http://example.com/y.png'; 1",
    )
    # Each attempt is stopped by one of two defences: the page's Content-Security-Policy (the
    # browser refuses it and says so on the console) or, behind it, the request guard. Wait
    # until both were stopped, so the checks below look at attempts that really happened.
    attempts = ("https://example.com/x", "http://example.com/y.png")

    def stopped(url: str) -> bool:
        refused = any(url in line and "Content Security Policy" in line for line in map_view.map_page.console)
        return refused or url in map_view.guard.blocked

    qtbot.waitUntil(lambda: all(stopped(u) for u in attempts), timeout=5000)
    seen = list(map_view.guard.seen)
    paths = {u.split("?")[0] for u in seen}
    for expected in (
        "evmap://local/index.html",
        "evmap://local/assets/leaflet/leaflet.js",
        "evmap://local/basemap/land.geojson",
        "evmap://local/data/incidents.json",
        "evmap://local/data/tracks.geojson",
        "evmap://local/overlay/photo1.png",
    ):
        assert expected in paths
    allowed = [u for u in seen if u.startswith("evmap://local/")]
    assert allowed == [u for u in seen if "example.com" not in u]
    assert all(u in map_view.guard.blocked for u in seen if not u.startswith("evmap://"))
    assert map_view.map_page.alerts == []


def stats(qtbot, view):
    return json.loads(js(qtbot, view, "EvidenceMap.stats()"))


def pixel(qtbot, view, lat, lon):
    found = js(qtbot, view, f"EvidenceMap.incidentPixel({lat}, {lon})")
    return tuple(int(v) for v in found.split(",")) if found else None


def test_layers_exist_with_expected_counts(qtbot, map_case, map_view):
    assert js(qtbot, map_view, "typeof L") == "object"
    counts = state(qtbot, map_view)["counts"]
    assert counts["land"] == 1 and counts["landPolygons"] > 1000
    assert counts["incidents"] == 3 and counts["incidentsShown"] == 3
    assert counts["tracks"] == N_VESSELS and counts["trackVertices"] >= 2 * N_VESSELS
    assert counts["overlays"] == 1 and counts["circles"] == 3
    assert map_view.ready_state["errors"] == []
    # Counted from what the tiles drew, not from the data: three single points, no cluster.
    drawn = stats(qtbot, map_view)
    assert drawn["incidentsDrawn"] == 3 and drawn["incidentSymbols"] == 3 and drawn["incidentClusters"] == 0
    assert drawn["trackLines"] == N_VESSELS and drawn["trackArrows"] > 0
    assert drawn["landPolygonsDrawn"] > 0 and drawn["landTiles"] > 0
    # And the pixels are there: each incident's centre has its status colour (all suspected).
    seen = {pixel(qtbot, map_view, 35.0 + k * 0.5, 124.0 + k * 0.5)[:3] for k in range(3)}
    assert seen == {SUSPECTED}
    assert pixel(qtbot, map_view, 34.2, 126.3)[3] == 0  # open sea: nothing drawn


def test_updated_incident_is_redrawn_in_its_new_colour_and_place(qtbot, map_case, map_view):
    from evidence_app.mapview.layers import incident_feature

    _case, ids, _png = map_case
    moved = map_view.data.incidents[ids[1]]
    moved.status, moved.lat, moved.lon = "confirmed", 35.3, 124.9
    map_view.update_incident(incident_feature(moved))
    qtbot.waitUntil(lambda: pixel(qtbot, map_view, 35.3, 124.9)[:3] == CONFIRMED, timeout=5000)
    assert pixel(qtbot, map_view, 35.5, 124.5)[3] == 0
    assert stats(qtbot, map_view)["incidentsDrawn"] == 3


def test_zoomed_out_incidents_are_clustered(qtbot, map_view):
    name = _map_name(qtbot, map_view)
    js(qtbot, map_view, f"window.{name}.setView([35.5, 124.5], 4); 1")
    qtbot.waitUntil(lambda: stats(qtbot, map_view)["incidentClusters"] == 1, timeout=5000)
    drawn = stats(qtbot, map_view)
    assert drawn["incidentSymbols"] == 1 and drawn["incidentsDrawn"] == 3
    assert state(qtbot, map_view)["counts"]["circles"] == 0
    js(qtbot, map_view, f"window.{name}.setView([35.5, 124.5], 8); 1")
    qtbot.waitUntil(lambda: stats(qtbot, map_view)["incidentSymbols"] == 3, timeout=5000)
    assert stats(qtbot, map_view)["incidentClusters"] == 0


def test_time_window_limits_what_is_shown(qtbot, map_view):
    start = datetime(2019, 3, 2, tzinfo=UTC)
    map_view.set_time_window(start - timedelta(hours=1), start + timedelta(hours=1))
    qtbot.waitUntil(lambda: state(qtbot, map_view)["counts"]["incidentsShown"] == 1)
    assert stats(qtbot, map_view)["incidentsDrawn"] == 1
    assert pixel(qtbot, map_view, 35.0, 124.0)[3] == 0  # the first incident is gone from the canvas
    assert pixel(qtbot, map_view, 35.5, 124.5)[:3] == SUSPECTED
    map_view.set_time_window(None, None)
    qtbot.waitUntil(lambda: state(qtbot, map_view)["counts"]["incidentsShown"] == 3)
    assert stats(qtbot, map_view)["incidentsDrawn"] == 3


def _container_point(qtbot, view, lat, lon):
    point = json.loads(
        js(qtbot, view, f"JSON.stringify(window.{_map_name(qtbot, view)}.latLngToContainerPoint([{lat}, {lon}]))")
    )
    return round(point["x"]), round(point["y"])


def _map_name(qtbot, view):
    return js(qtbot, view, "document.querySelector('.folium-map').id")


def _mouse(view, kind, x, y, buttons):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    target = view.focusProxy()
    local = QPointF(x, y)
    event_type = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
    }[kind]
    button = Qt.MouseButton.NoButton if kind == "move" else Qt.MouseButton.LeftButton
    event = QMouseEvent(event_type, local, target.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)


def test_click_in_place_mode_reports_the_position(qtbot, map_case, map_view):
    from PySide6.QtCore import Qt

    _case, ids, _png = map_case
    map_view.set_place_mode("incident", ids[1])
    qtbot.waitUntil(lambda: state(qtbot, map_view)["place"] is not None)
    x, y = 200, 500
    expected = json.loads(
        js(qtbot, map_view, f"JSON.stringify(window.{_map_name(qtbot, map_view)}.containerPointToLatLng([{x}, {y}]))")
    )
    with qtbot.waitSignal(map_view.positionPicked, timeout=5000) as picked:
        _mouse(map_view, "move", x, y, Qt.MouseButton.NoButton)
        _mouse(map_view, "press", x, y, Qt.MouseButton.LeftButton)
        _mouse(map_view, "release", x, y, Qt.MouseButton.NoButton)
    kind, item_id, lat, lon = picked.args
    assert (kind, item_id) == ("incident", ids[1])
    assert lat == pytest.approx(expected["lat"], abs=1e-3) and lon == pytest.approx(expected["lng"], abs=1e-3)
    qtbot.waitUntil(lambda: state(qtbot, map_view)["place"] is None)  # one click, then place mode ends


def test_dragging_the_selected_marker_reports_where_it_went(qtbot, map_case, map_view):
    from PySide6.QtCore import Qt

    _case, ids, _png = map_case
    map_view.select_incident(ids[2], centre=False)
    qtbot.waitUntil(lambda: state(qtbot, map_view)["selected"] == ids[2])
    x, y = _container_point(qtbot, map_view, 36.0, 125.0)
    with qtbot.waitSignal(map_view.markerMoved, timeout=5000) as moved:
        _mouse(map_view, "move", x, y, Qt.MouseButton.NoButton)
        _mouse(map_view, "press", x, y, Qt.MouseButton.LeftButton)
        for step in range(1, 11):
            _mouse(map_view, "move", x + step * 8, y + step * 5, Qt.MouseButton.LeftButton)
            qtbot.wait(10)
        _mouse(map_view, "release", x + 80, y + 50, Qt.MouseButton.NoButton)
    item_id, lat, lon = moved.args
    assert item_id == ids[2]
    assert lat < 36.0 and lon > 125.0


def _tooltip(qtbot, view):
    return json.loads(
        js(
            qtbot,
            view,
            """(() => {
        const tip = document.querySelector('.leaflet-tooltip');
        return JSON.stringify({text: tip ? tip.textContent : null,
                               imgs: document.querySelectorAll('.leaflet-tooltip img, img[src="x"]').length});
    })()""",
        )
    )


def test_clicking_an_incident_selects_it(qtbot, map_case, map_view):
    from PySide6.QtCore import Qt

    _case, ids, _png = map_case
    x, y = _container_point(qtbot, map_view, 35.5, 124.5)
    with qtbot.waitSignal(map_view.incidentClicked, timeout=5000) as clicked:
        _mouse(map_view, "move", x + 3, y - 2, Qt.MouseButton.NoButton)
        _mouse(map_view, "press", x + 3, y - 2, Qt.MouseButton.LeftButton)
        _mouse(map_view, "release", x + 3, y - 2, Qt.MouseButton.NoButton)
    assert clicked.args == [ids[1]]
    assert state(qtbot, map_view)["selected"] == ids[1]
    assert js(qtbot, map_view, "document.querySelectorAll('.evmap-selected').length") == 1


def test_user_text_is_shown_as_text(qtbot, map_case, map_view):
    from PySide6.QtCore import Qt

    x, y = _container_point(qtbot, map_view, 35.0, 124.0)
    # Hover the incident whose title is an HTML injection: the shared tooltip shows it as text.
    for dx in (-4, -1, 0):
        _mouse(map_view, "move", x + dx, y, Qt.MouseButton.NoButton)
        qtbot.wait(60)
    qtbot.waitUntil(lambda: _tooltip(qtbot, map_view)["text"] is not None, timeout=5000)
    result = _tooltip(qtbot, map_view)
    assert XSS in result["text"]
    assert result["imgs"] == 0
    qtbot.wait(300)
    assert map_view.map_page.alerts == []


def test_page_cannot_navigate_away(qtbot, map_view, caplog):
    js(qtbot, map_view, "window.location.href = 'https://example.com/'; 1")
    # The page asked to leave and was refused (MapPage.acceptNavigationRequest says so in the log).
    qtbot.waitUntil(lambda: "tried to navigate to https://example.com/; blocked" in caplog.text, timeout=5000)
    assert map_view.url().toString() == "evmap://local/index.html"
    assert js(qtbot, map_view, "typeof EvidenceMap") == "object"


def test_the_bridge_brings_longitudes_into_range(qtbot):
    from evidence_app.ui.map_view import MapBridge

    bridge = MapBridge()
    with qtbot.waitSignal(bridge.positionPicked) as picked:
        bridge.notifyPositionPicked("incident", "a", 30.0, -231.3)
    assert picked.args[3] == pytest.approx(128.7)
    with qtbot.waitSignal(bridge.markerMoved) as moved:
        bridge.notifyMarkerMoved("a", 30.0, 190.0)
    assert moved.args[2] == pytest.approx(-170.0)


@pytest.fixture
def dateline_view(qtbot):
    """Two incidents either side of 180°, a track across it and a photo footprint on it."""
    import numpy as np
    from PIL import Image

    from evidence_app.mapview.layers import Footprint, IncidentPoint, MapData, Overlay, Track

    png = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(png, format="PNG")
    data = MapData(
        overlays=[Overlay("photo", "Photo", png.getvalue(), (9.9, -179.95, 10.0, -179.8))],
        incidents=[
            IncidentPoint("east", "East", "suspected", 10.0, 179.9),
            IncidentPoint("west", "West", "confirmed", 10.05, -179.9),
        ],
        tracks=[
            Track(
                445000001,
                "CROSSER",
                np.array([1_600_000_000 + 600 * i for i in range(20)]),
                np.full(20, 10.02),
                np.array([179.5 + 0.05 * i if 179.5 + 0.05 * i <= 180 else 179.5 + 0.05 * i - 360 for i in range(20)]),
            )
        ],
        footprints=[
            Footprint(
                "fp",
                "Photo",
                "photo",
                {"type": "Polygon", "coordinates": [[[-179.95, 9.9], [-179.8, 9.9], [-179.8, 10.0], [-179.95, 9.9]]]},
            )
        ],
    )
    view = MapView(data, center=(10.0, 180.0), zoom=9)
    view.resize(900, 700)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.layersReady, timeout=20000):
        view.load_map()
    return view


def _drawn_lngs(qtbot, view):
    """Longitudes of every vector drawn (track vertices, footprint corners)."""
    return json.loads(
        js(
            qtbot,
            view,
            f"""(() => {{ const out = [];
        window.{_map_name(qtbot, view)}.eachLayer(l => {{
            if (l.getLatLngs && !l.getLayers) out.push(...l.getLatLngs().flat(3).map(p => p.lng));
        }});
        return JSON.stringify(out); }})()""",
        )
    )


@pytest.mark.parametrize("centre", [180.0, -180.0, 540.0])
def test_near_the_antimeridian_everything_is_drawn_once_on_the_side_in_view(qtbot, dateline_view, centre):
    view = dateline_view
    name = _map_name(qtbot, view)
    js(qtbot, view, f"window.{name}.setView([10.0, {centre}], 9, {{animate: false}}); 1")
    qtbot.waitUntil(lambda: stats(qtbot, view)["incidentsDrawn"] == 2, timeout=5000)
    # Both incidents are drawn within half a turn of the view's centre, each exactly once.
    for lng in (179.9, -179.9):
        near = lng + round((centre - lng) / 360) * 360
        assert pixel(qtbot, view, 10.0 if lng > 0 else 10.05, near)[3] == 255
    assert stats(qtbot, view)["trackLines"] == 2  # the track's two parts, joined at the meridian
    lngs = _drawn_lngs(qtbot, view)
    assert lngs and all(abs(v - centre) < 1.0 for v in lngs), lngs
    photo = json.loads(
        js(
            qtbot,
            view,
            f"""(() => {{ let at = null;
        window.{name}.eachLayer(l => {{ if (l._url && l.getBounds) at = l.getBounds().getCenter(); }});
        return JSON.stringify(at); }})()""",
        )
    )
    assert abs(photo["lng"] - centre) < 1.0, photo
    # Zoomed out so that two world copies fit: still one symbol per incident.
    js(qtbot, view, f"window.{name}.setView([10.0, {centre}], 2, {{animate: false}}); 1")
    qtbot.waitUntil(lambda: state(qtbot, view)["zoom"] == 2, timeout=5000)
    qtbot.waitUntil(lambda: stats(qtbot, view)["incidentsDrawn"] == 2, timeout=5000)
