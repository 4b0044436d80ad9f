"""The desk map's vessels on the demo case: playback moves them along their tracks, names at useful
zooms, the selected incident's participants highlighted, "Show track on map", folding the map's
controls at 1280 x 800, and the time sliders following a case switch."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from evidence_app.services import cases, demo, incident_queries, incidents
from evidence_app.ui.main_window import MainWindow
from tests.gui.mapjs import map_state, run_js

pytestmark = pytest.mark.gui

MAP = "window[document.querySelector('.folium-map').id]"
RECEIVER, SUPPLIER = 445127000, 352004567  # the demo's two tankers with AIS


def _window(qtbot, ctx, settings_path: Path, size=(1600, 1000)) -> MainWindow:
    window = MainWindow(
        ctx,
        settings=QSettings(str(settings_path), QSettings.Format.IniFormat),
        log_path=settings_path.with_suffix(".log"),
    )
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: window.desk_map.ready, timeout=30000)
    return window


@pytest.fixture
def demo_case(ctx, tmp_path):
    (tmp_path / "demo-files").mkdir()
    return demo.create_demo_case(ctx, tmp_path / "demo-files")


@pytest.fixture
def demo_window(qtbot, ctx, tmp_path, demo_case):
    window = _window(qtbot, ctx, tmp_path / "desk.ini")
    window.case_id = demo_case
    qtbot.waitUntil(lambda: len(vessels(qtbot, window)) == 2, timeout=20000)
    yield window
    window.runner.shutdown()


def js(qtbot, window, code, timeout=5000):
    return run_js(qtbot, window.desk_map.view, code, timeout)


def state(qtbot, window):
    return map_state(qtbot, window.desk_map.view)


def vessels(qtbot, window):
    """The vessel markers the page drew last, by MMSI."""
    return {v["mmsi"]: v for v in json.loads(js(qtbot, window, "EvidenceMap.vessels()"))}


def _save(image: QImage, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert image.save(str(path))
    extra = os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR")
    if extra:
        image.save(os.path.join(extra, name))
    return path


def _set_view(qtbot, window, lat, lon, zoom, settle_map):
    settle_map(window)
    js(qtbot, window, f"{MAP}.setView([{lat}, {lon}], {zoom}, {{animate: false}}); 1")
    qtbot.waitUntil(lambda: state(qtbot, window)["zoom"] == zoom, timeout=5000)
    settle_map(window)


def test_playback_moves_the_vessels_along_their_tracks(qtbot, demo_window, ctx, tmp_path, settle_map):
    window = demo_window
    transfer = next(
        r
        for r in incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(case_id=window.case_id))
        if "STS" in r.title
    )
    window.select_incident(transfer.id)
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == transfer.id, timeout=5000)
    _set_view(qtbot, window, 31.3, 123.6, 8, settle_map)
    # Not playing: each vessel at its last position in the window, named, pointing along its course.
    still = vessels(qtbot, window)
    assert set(still) == {RECEIVER, SUPPLIER}
    assert all(v["label"] for v in still.values())
    # The selected incident's participants are highlighted (markers and tracks).
    assert set(state(qtbot, window)["highlighted"]) >= {RECEIVER}
    assert still[RECEIVER]["highlighted"] is True

    # The day of the AIS, played at two hours a second.
    window.desk_map.set_time_range(datetime(2024, 5, 14, 12, tzinfo=UTC), datetime(2024, 5, 15, 12, tzinfo=UTC))
    qtbot.waitUntil(lambda: state(qtbot, window)["window"] is not None, timeout=5000)
    window.desk_map.view.play(4 * 3600)
    qtbot.waitUntil(lambda: state(qtbot, window)["playing"], timeout=5000)
    qtbot.waitUntil(lambda: SUPPLIER in vessels(qtbot, window), timeout=10000)
    first = vessels(qtbot, window)[SUPPLIER]
    qtbot.waitUntil(lambda: vessels(qtbot, window)[SUPPLIER]["lng"] != first["lng"], timeout=10000)
    moved = vessels(qtbot, window)[SUPPLIER]
    assert (moved["lat"], moved["lng"]) != (first["lat"], first["lng"])
    assert 0 <= moved["heading"] < 360
    # On their way to the meeting: each tanker with its bright trail behind it.
    half = datetime(2024, 5, 14, 21, tzinfo=UTC).timestamp()
    qtbot.waitUntil(lambda: (state(qtbot, window)["playTime"] or 0) >= half, timeout=15000)
    image = window.grab().toImage()
    path = _save(image, tmp_path, "map-playback.png")
    assert path.stat().st_size > 50_000
    window.desk_map.view.pause()
    qtbot.waitUntil(lambda: not state(qtbot, window)["playing"], timeout=5000)
    paused = vessels(qtbot, window)[SUPPLIER]
    qtbot.waitUntil(lambda: vessels(qtbot, window)[SUPPLIER] == paused, timeout=5000)
    # Playback narrows nothing: every incident is still drawn, the older track faded, not gone.
    assert json.loads(js(qtbot, window, "EvidenceMap.stats()"))["trackLines"] == 2
    # And asks for nothing outside the map's own scheme.
    assert list(window.desk_map.view.guard.blocked) == []
    assert all(url.startswith("evmap://local/") for url in window.desk_map.view.guard.seen)


def test_vessel_names_show_from_a_useful_zoom(qtbot, demo_window, settle_map):
    window = demo_window
    _set_view(qtbot, window, 31.3, 123.6, 8, settle_map)
    qtbot.waitUntil(lambda: all(v["label"] for v in vessels(qtbot, window).values()), timeout=5000)
    assert {v["label"] for v in vessels(qtbot, window).values()} == {"SONGHAE 7", "HAI RUN 16"}
    _set_view(qtbot, window, 31.3, 123.6, 5, settle_map)
    # Zoomed out, only the highlighted vessels (the selected incident's participants) keep their names.
    qtbot.waitUntil(lambda: vessels(qtbot, window)[RECEIVER]["label"] is None, timeout=5000)
    shown = vessels(qtbot, window)
    assert len(shown) == 2  # the markers stay
    assert all(v["label"] is None or v["highlighted"] for v in shown.values())
    assert not shown[RECEIVER]["highlighted"]


def test_show_track_on_map_centres_and_highlights_the_vessel(qtbot, demo_window, settle_map):
    window = demo_window
    window.map_tabs.setCurrentIndex(1)  # the photo tab: the button must bring the map back
    _set_view(qtbot, window, 10.0, 150.0, 6, settle_map)  # far away from the track
    page = window.open_vessel_page(str(SUPPLIER))
    assert page is not None and page.track_button.isEnabled()
    page.track_button.click()
    qtbot.waitUntil(lambda: state(qtbot, window)["focusTrack"] == SUPPLIER, timeout=5000)
    assert window.map_tabs.currentWidget() is window.desk_map.view
    settle_map(window)
    centre = json.loads(js(qtbot, window, f"JSON.stringify({MAP}.getCenter())"))
    # The supplier sails from off Shanghai (30.78 N 122.25 E) to 31.35 N 124.40 E.
    assert 30.7 <= centre["lat"] <= 31.5 and 122.2 <= centre["lng"] <= 124.5
    weights = json.loads(js(qtbot, window, "EvidenceMap.trackWeights()"))
    assert weights[str(SUPPLIER)] > weights[str(RECEIVER)]
    assert vessels(qtbot, window)[SUPPLIER]["highlighted"] is True
    page.close()


def _control_cover(qtbot, window) -> float:
    """The share of the map's area under its control boxes."""
    return json.loads(
        js(
            qtbot,
            window,
            """(() => { const map = document.querySelector('.folium-map').getBoundingClientRect();
            let area = 0;
            document.querySelectorAll('.leaflet-control').forEach(c => {
                const r = c.getBoundingClientRect(); area += r.width * r.height; });
            return JSON.stringify(area / (map.width * map.height)); })()""",
        )
    )


def test_map_controls_fold_and_stay_folded_at_1280_by_800(qtbot, ctx, tmp_path, demo_case, settle_map):
    window = _window(qtbot, ctx, tmp_path / "desk.ini", size=(1280, 800))
    try:
        qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["overlays"] == 1, timeout=20000)
        if hasattr(window, "compact_layout"):
            window.compact_layout()  # the desk's own share of the room (docks as tabs)
        settle_map(window)
        open_cover = _control_cover(qtbot, window)
        for name in ("legend", "time", "photos"):
            js(qtbot, window, f"document.querySelector('[data-panel={name}] .evmap-panel-head').click(); 1")
        qtbot.waitUntil(lambda: state(qtbot, window)["collapsed"] == dict.fromkeys(("legend", "time", "photos"), True))
        folded_cover = _control_cover(qtbot, window)
        _save(window.grab().toImage(), tmp_path, "map-folded-1280x800.png")
        assert folded_cover < open_cover / 2 and folded_cover < 0.15, (open_cover, folded_cover)
        # Remembered by the desk's settings: the next window opens with them folded.
        qtbot.waitUntil(lambda: window.settings.value("map/collapsed") is not None, timeout=5000)
        window.settings.sync()
        view = window.desk_map.view
        print(f"map {view.width()}x{view.height()} in window {window.width()}x{window.height()}")
    finally:
        window.runner.shutdown()
        window.close()
    again = _window(qtbot, ctx, tmp_path / "desk.ini", size=(1280, 800))
    try:
        assert state(qtbot, again)["collapsed"] == dict.fromkeys(("legend", "time", "photos"), True)
        assert js(qtbot, again, "document.querySelectorAll('.evmap-collapsed').length") >= 2
    finally:
        again.runner.shutdown()


def test_the_time_sliders_follow_a_case_switch(qtbot, ctx, demo_window):
    window = demo_window
    qtbot.waitUntil(lambda: state(qtbot, window)["extent"] is not None, timeout=5000)
    demo_extent = state(qtbot, window)["extent"]
    other = cases.create_case(ctx, "Later case")
    for day in (1, 20):
        incidents.add_incident(
            ctx,
            other.id,
            start_utc=datetime(2025, 3, day, tzinfo=UTC),
            lat=20.0 + day / 10,
            lon=130.0,
            title=f"Day {day}",
        )
    window.desk_map.show_case(other.id)
    later = (datetime(2025, 3, 1, tzinfo=UTC).timestamp(), datetime(2025, 3, 20, tzinfo=UTC).timestamp())
    qtbot.waitUntil(lambda: state(qtbot, window)["extent"] == pytest.approx(list(later)), timeout=10000)
    assert state(qtbot, window)["extent"] != demo_extent
    # The second half of the sliders is the second half of this case, not of the first one's.
    js(
        qtbot,
        window,
        "(() => { const r = document.querySelectorAll('[data-panel=time] input[type=range]');"
        " r[0].value = '500'; r[0].dispatchEvent(new Event('input')); return 1; })()",
    )
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 1, timeout=5000)
    # The desk can set the map's window itself, and go back to the filter's.
    window.desk_map.set_time_range(datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC))
    qtbot.waitUntil(lambda: state(qtbot, window)["window"] is not None, timeout=5000)
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 1, timeout=5000)
    window.desk_map.reset_time_range()
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 2, timeout=5000)
