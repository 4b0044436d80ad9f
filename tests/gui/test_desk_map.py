"""The map and photo viewer inside the real review desk, on the demo case: offline, in step with the
list, placements on the window's undo stack, photos through photo import, and screenshots."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, QSettings, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from evidence_app.services import demo, incident_queries
from evidence_app.storage import audit
from evidence_app.storage.models import Annotation, Evidence, IncidentEvidence
from evidence_app.ui.main_window import MainWindow
from tests.gui.mapjs import map_state, run_js

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_window(qtbot, ctx, tmp_path):
    """The main window on the demo case, the map drawn (layers ready)."""
    (tmp_path / "demo-files").mkdir()
    case_id = demo.create_demo_case(ctx, tmp_path / "demo-files")
    window = MainWindow(
        ctx, settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), log_path=tmp_path / "desk.log"
    )
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitUntil(lambda: window.desk_map.ready, timeout=30000)
    window.case_id = case_id
    yield window
    window.runner.shutdown()


def js(qtbot, window, code, timeout=5000):
    return run_js(qtbot, window.desk_map.view, code, timeout)


def state(qtbot, window):
    return map_state(qtbot, window.desk_map.view)


MAP = "window[document.querySelector('.folium-map').id]"


def container_point(qtbot, window, lat, lon, settle_map):
    settle_map(window)
    point = json.loads(js(qtbot, window, f"JSON.stringify({MAP}.latLngToContainerPoint([{lat}, {lon}]))"))
    return round(point["x"]), round(point["y"])


def highlight_position(qtbot, window):
    """Where the page draws the selection ring (it follows the selected incident's marker)."""
    found = js(
        qtbot,
        window,
        f"""(() => {{ let at = null;
        {MAP}.eachLayer(l => {{ if (l.options && l.options.icon && l.options.icon.options.className === 'evmap-selected') at = l.getLatLng(); }});
        return JSON.stringify(at); }})()""",
    )
    at = json.loads(found)
    return None if at is None else (at["lat"], at["lng"])


def click(view, x, y):
    target = view.focusProxy()
    for kind, button, buttons in (
        (QEvent.Type.MouseMove, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton),
        (QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton),
        (QEvent.Type.MouseButtonRelease, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton),
    ):
        local = QPointF(x, y)
        QApplication.sendEvent(
            target, QMouseEvent(kind, local, target.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier)
        )


def demo_incidents(ctx, case_id):
    rows = incident_queries.list_incidents(ctx, incident_queries.IncidentFilter(case_id=case_id))
    return {r.title: r for r in rows}


def audit_since(ctx, seq):
    with ctx.store.read() as session:
        return [(e.action, e.entity_id, json.loads(e.payload)) for e in audit.iter_entries(session) if e.seq > seq]


def audit_head(ctx):
    with ctx.store.read() as session:
        return max(e.seq for e in audit.iter_entries(session))


def test_the_desk_map_is_offline_and_draws_the_demo_case(qtbot, demo_window, ctx):
    window = demo_window
    assert window.map_tabs.currentWidget() is window.desk_map.view
    with ctx.store.read() as session:
        photo_id = session.scalar(select(Evidence.id).where(Evidence.kind == "photo"))
    overlay_url = f"evmap://local/overlay/{photo_id}.png"
    qtbot.waitUntil(lambda: overlay_url in window.desk_map.view.guard.seen, timeout=10000)

    # The overlay image really arrived and decoded (not a broken image).
    def overlay_widths():
        return json.loads(
            js(
                qtbot,
                window,
                "JSON.stringify([...document.querySelectorAll('img.leaflet-image-layer')].map(i => i.complete && i.naturalWidth))",
            )
        )

    qtbot.waitUntil(lambda: bool(overlay_widths()) and all(w and w > 100 for w in overlay_widths()), timeout=10000)
    # Its opacity slider is visible inside the panel, not clipped by the photo's long name.
    slider = json.loads(
        js(
            qtbot,
            window,
            """(() => {
        const s = document.querySelector('.evmap-panel input[type=range]');
        const r = s.getBoundingClientRect(), p = s.closest('.evmap-panel').getBoundingClientRect();
        return JSON.stringify({w: r.width, h: r.height, inside: r.left >= p.left - 1 && r.right <= p.right + 1 && r.bottom <= p.bottom + 1});
    })()""",
        )
    )
    assert slider["w"] > 50 and slider["h"] > 5 and slider["inside"], slider
    counts = state(qtbot, window)["counts"]
    assert counts["landPolygons"] > 1000  # Natural Earth land
    assert counts["incidents"] == 3 and counts["incidentsShown"] == 3
    assert counts["tracks"] == 2 and counts["trackVertices"] >= 4  # the two tankers with AIS (simplified for the zoom)
    assert counts["overlays"] == 1 and counts["footprints"] == 2  # the photo; the AIS extent and the photo outline
    assert state(qtbot, window)["errors"] == []
    seen = list(window.desk_map.view.guard.seen)
    assert seen and all(url.startswith("evmap://local/") for url in seen), [
        u for u in seen if not u.startswith("evmap://local/")
    ]
    assert list(window.desk_map.view.guard.blocked) == []
    for path in (
        "index.html",
        "basemap/land.geojson",
        "data/incidents.json",
        "data/footprints.geojson",
        "data/overlays.json",
    ):
        assert f"evmap://local/{path}" in seen
    # What the canvas tiles actually drew, not only what the page was given.
    drawn = json.loads(js(qtbot, window, "EvidenceMap.stats()"))
    assert drawn["incidentsDrawn"] == 3 and drawn["landPolygonsDrawn"] > 0
    assert drawn["trackLines"] == 2
    assert window.desk_map.view.map_page.alerts == []


def test_map_click_selects_the_row_and_the_list_selects_on_the_map(qtbot, demo_window, ctx, settle_map):
    window = demo_window
    by_title = demo_incidents(ctx, window.case_id)
    second = by_title["Second meeting off Yangshan"]
    window.map_tabs.setCurrentWidget(window.desk_map.view)
    x, y = container_point(qtbot, window, second.lat, second.lon, settle_map)
    assert window.current_incident != second.id
    click(window.desk_map.view, x, y)
    qtbot.waitUntil(lambda: window.current_incident == second.id, timeout=5000)
    assert window.list_panel.selected_incident_id() == second.id
    assert window.detail.fields["title"][0].text() == second.title
    # And the other way: a row selected in the list is ringed (and centred) on the map.
    transfer = by_title["STS transfer east of Zhoushan"]
    row = window.list_panel.model.row_of(transfer.id)
    window.list_panel.view.selectRow(row)
    assert window.current_incident == transfer.id
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == transfer.id, timeout=5000)
    assert highlight_position(qtbot, window) == pytest.approx((transfer.lat, transfer.lon), abs=1e-6)


def test_filter_and_time_window_follow_the_list(qtbot, demo_window):
    window = demo_window
    window.list_panel.status_combo.setCurrentIndex(window.list_panel.status_combo.findData("confirmed"))
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 1, timeout=5000)
    window.list_panel.status_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 3, timeout=5000)
    # The timeline's (the list's) time filter is the map's time window: tracks go with it.
    from datetime import UTC, datetime

    window.list_panel.set_time_range(datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 4, 30, tzinfo=UTC))
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["incidentsShown"] == 1, timeout=5000)
    shown = state(qtbot, window)
    assert shown["window"] is not None and shown["counts"]["tracks"] == 0  # the AIS is from May
    window.list_panel.set_time_range(None, None)
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["tracks"] == 2, timeout=5000)
    assert state(qtbot, window)["window"] is None


def test_place_on_map_then_undo_and_redo(qtbot, demo_window, ctx, settle_map):
    window = demo_window
    transfer = demo_incidents(ctx, window.case_id)["STS transfer east of Zhoushan"]
    window.select_incident(transfer.id)
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == transfer.id, timeout=5000)
    start = audit_head(ctx)
    window.list_panel.view.setFocus()
    window.place_action.trigger()
    qtbot.waitUntil(lambda: state(qtbot, window)["place"] is not None, timeout=5000)
    assert state(qtbot, window)["place"] == {"kind": "incident", "id": transfer.id}
    # Open sea between the incidents, south of every track, at the centre (clear of the corner panels).
    settle_map(window)
    js(qtbot, window, f"{MAP}.setView([30.35, 123.6], 8, {{animate: false}}); 1")
    x, y = container_point(qtbot, window, 30.35, 123.6, settle_map)
    target = json.loads(js(qtbot, window, f"JSON.stringify({MAP}.containerPointToLatLng([{x}, {y}]))"))
    click(window.desk_map.view, x, y)
    qtbot.waitUntil(lambda: incident_queries.get_incident(ctx, transfer.id).lat != transfer.lat, timeout=5000)
    placed = incident_queries.get_incident(ctx, transfer.id)
    assert (placed.lat, placed.lon) == pytest.approx((target["lat"], target["lng"]), abs=1e-3)
    assert placed.position_method == "placed on map"
    assert window.desk_map.view is not None and window.desk.undo_stack.undoText() == "Place incident on map"
    qtbot.waitUntil(
        lambda: highlight_position(qtbot, window) == pytest.approx((placed.lat, placed.lon), abs=1e-6), timeout=5000
    )
    [(action, entity, payload)] = audit_since(ctx, start)
    assert (action, entity) == ("incident.update", transfer.id)
    assert payload["lat"] == [pytest.approx(transfer.lat), pytest.approx(placed.lat)]

    window.undo_action.trigger()  # Ctrl+Z: the marker and the store go back, audited
    back = incident_queries.get_incident(ctx, transfer.id)
    assert (back.lat, back.lon) == pytest.approx((transfer.lat, transfer.lon))
    assert back.position_method == "AIS convergence, confirmed on imagery"
    qtbot.waitUntil(
        lambda: highlight_position(qtbot, window) == pytest.approx((transfer.lat, transfer.lon), abs=1e-6), timeout=5000
    )
    window.redo_action.trigger()
    again = incident_queries.get_incident(ctx, transfer.id)
    assert (again.lat, again.lon) == pytest.approx((placed.lat, placed.lon))
    qtbot.waitUntil(
        lambda: highlight_position(qtbot, window) == pytest.approx((placed.lat, placed.lon), abs=1e-6), timeout=5000
    )
    entries = audit_since(ctx, start)
    assert [a for a, _e, _p in entries] == ["incident.update"] * 3
    assert entries[1][2]["lat"] == [pytest.approx(placed.lat), pytest.approx(transfer.lat)]
    assert entries[2][2]["lat"] == [pytest.approx(transfer.lat), pytest.approx(placed.lat)]
    # A dragged marker goes the same way: one more command on the same stack.
    assert window.place_incident(transfer.id, 31.5, 123.9)
    assert window.desk.undo_stack.count() == 2


def drag(view, x, y, dx, dy, qtbot):
    target = view.focusProxy()

    def send(kind, px, py, button, buttons):
        local = QPointF(px, py)
        QApplication.sendEvent(
            target, QMouseEvent(kind, local, target.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier)
        )

    send(QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    send(QEvent.Type.MouseButtonPress, x, y, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    for step in range(1, 11):
        send(
            QEvent.Type.MouseMove,
            x + dx * step / 10,
            y + dy * step / 10,
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
        )
        qtbot.wait(10)
    send(QEvent.Type.MouseButtonRelease, x + dx, y + dy, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def test_dragging_the_selected_marker_is_an_undoable_placement(qtbot, demo_window, ctx, settle_map):
    window = demo_window
    second = demo_incidents(ctx, window.case_id)["Second meeting off Yangshan"]
    window.select_incident(second.id)
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == second.id, timeout=5000)
    js(qtbot, window, f"{MAP}.setView([{second.lat}, {second.lon}], 9, {{animate: false}}); 1")
    x, y = container_point(qtbot, window, second.lat, second.lon, settle_map)
    start = audit_head(ctx)
    drag(window.desk_map.view, x, y, 80, 50, qtbot)
    qtbot.waitUntil(lambda: incident_queries.get_incident(ctx, second.id).lat != second.lat, timeout=5000)
    moved = incident_queries.get_incident(ctx, second.id)
    assert moved.lat < second.lat and moved.lon > second.lon and moved.position_method == "placed on map"
    assert window.desk.undo_stack.undoText() == "Place incident on map"
    assert [(a, e) for a, e, _p in audit_since(ctx, start)] == [("incident.update", second.id)]
    window.undo_action.trigger()
    back = incident_queries.get_incident(ctx, second.id)
    assert (back.lat, back.lon) == pytest.approx((second.lat, second.lon))
    qtbot.waitUntil(
        lambda: highlight_position(qtbot, window) == pytest.approx((second.lat, second.lon), abs=1e-6), timeout=5000
    )


def test_placing_after_panning_across_the_dateline_stores_a_longitude_in_range(qtbot, demo_window, ctx, settle_map):
    window = demo_window
    transfer = demo_incidents(ctx, window.case_id)["STS transfer east of Zhoushan"]
    window.select_incident(transfer.id)
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == transfer.id, timeout=5000)
    settle_map(window)
    # Westward across 180°: the same sea, one world copy to the west (Leaflet says -236.4).
    west = 123.6 - 360.0
    js(qtbot, window, f"{MAP}.setView([30.35, {west}], 8, {{animate: false}}); 1")
    settle_map(window)
    # What the case holds is drawn on this side, once: the tracks and the ring are here too.
    qtbot.waitUntil(lambda: json.loads(js(qtbot, window, "EvidenceMap.stats()"))["trackLines"] == 2, timeout=5000)
    assert json.loads(js(qtbot, window, "EvidenceMap.stats()"))["incidentsDrawn"] == 3
    ring = highlight_position(qtbot, window)
    assert ring == pytest.approx((transfer.lat, transfer.lon - 360.0), abs=1e-6)
    window.place_action.trigger()
    qtbot.waitUntil(lambda: state(qtbot, window)["place"] is not None, timeout=5000)
    x, y = container_point(qtbot, window, 30.35, west, settle_map)
    target = json.loads(js(qtbot, window, f"JSON.stringify({MAP}.containerPointToLatLng([{x}, {y}]))"))
    assert target["lng"] < -180  # the click lands in the western copy
    click(window.desk_map.view, x, y)
    qtbot.waitUntil(lambda: incident_queries.get_incident(ctx, transfer.id).lat != transfer.lat, timeout=5000)
    placed = incident_queries.get_incident(ctx, transfer.id)
    assert -180.0 <= placed.lon <= 180.0
    assert (placed.lat, placed.lon) == pytest.approx((target["lat"], target["lng"] + 360.0), abs=1e-3)
    assert window.last_error_box is None
    # The ring stays on the side in view, at the stored place.
    qtbot.waitUntil(
        lambda: highlight_position(qtbot, window) == pytest.approx((placed.lat, placed.lon - 360.0), abs=1e-6),
        timeout=5000,
    )


def test_place_an_evidence_item_and_undo(qtbot, demo_window, ctx):
    window = demo_window
    transfer = demo_incidents(ctx, window.case_id)["STS transfer east of Zhoushan"]
    window.select_incident(transfer.id)
    photo_row = next(i for i, item in enumerate(window.evidence_panel.model.rows()) if item.kind == "photo")
    window.evidence_panel.view.selectRow(photo_row)
    photo_id = window.evidence_panel.selected().evidence_id
    window.evidence_panel.view.setFocus()
    assert window.place_on_map()  # the Evidence panel has the focus: the item is placed
    qtbot.waitUntil(lambda: state(qtbot, window)["place"] == {"kind": "evidence", "id": photo_id}, timeout=5000)
    window.desk_map.view.set_place_mode(None)
    before = audit_head(ctx)
    assert window.place_evidence(photo_id, 31.1, 123.6)
    assert [(a, e) for a, e, _p in audit_since(ctx, before)] == [("evidence.update", photo_id)]
    window.undo_action.trigger()
    with ctx.store.read() as session:
        ev = session.get(Evidence, photo_id)
        assert (ev.lat, ev.lon) == pytest.approx((31.021, 123.4819), abs=1e-3)


def test_photo_tab_shows_the_selected_photo_with_undo_on_the_window_stack(qtbot, demo_window, ctx):
    window = demo_window
    transfer = demo_incidents(ctx, window.case_id)["STS transfer east of Zhoushan"]
    window.select_incident(transfer.id)
    photo_row = next(i for i, item in enumerate(window.evidence_panel.model.rows()) if item.kind == "photo")
    window.evidence_panel.view.selectRow(photo_row)
    viewer = window.photo_viewer
    assert viewer is not None and window.map_tabs.currentWidget() is viewer
    assert viewer.undo_stack is window.desk.undo_stack and viewer.model.incident_id == transfer.id
    assert len(viewer.annotation_ids()) == 3  # the demo's box, measurement and arrow
    check = viewer.last_check
    assert check is not None and check.length_m == pytest.approx(86, abs=1)
    verdicts = {c.vessel.split(" (")[0]: c.consistent for c in check.comparisons}
    assert verdicts == {"SONGHAE 7": True, "HAI RUN 16": False}  # the incident's participants
    viewer.draw("box", [[100, 100], [300, 200]], "wake")
    assert len(viewer.annotation_ids()) == 4
    window.undo_action.trigger()
    assert len(viewer.annotation_ids()) == 3
    with ctx.store.read() as session:
        assert len(session.scalars(select(Annotation)).all()) == 3
    # Another incident without that photo: the tab goes back to its placeholder; undo still works.
    window.redo_action.trigger()
    other = demo_incidents(ctx, window.case_id)["Coal transfer report, Ningbo anchorage"]
    window.select_incident(other.id)
    assert window.photo_viewer is None
    window.undo_action.trigger()
    with ctx.store.read() as session:
        assert len(session.scalars(select(Annotation)).all()) == 3


def _georeferenced_png(folder: Path) -> Path:
    from PIL import Image

    path = folder / "sighting.png"
    Image.new("RGB", (200, 150), (30, 90, 140)).save(path)
    # 0.0001° a pixel, north-up, top-left corner near the demo meeting point.
    path.with_suffix(".pgw").write_text("0.0001\n0\n0\n-0.0001\n123.40005\n31.09995\n")
    return path


def test_attaching_an_image_goes_through_photo_import_and_onto_the_map(qtbot, demo_window, ctx, tmp_path):
    window = demo_window
    second = demo_incidents(ctx, window.case_id)["Second meeting off Yangshan"]
    window.select_incident(second.id)
    image = _georeferenced_png(tmp_path)
    note = tmp_path / "report.txt"
    note.write_text("crew statement")
    task = window.attach_files(second.id, [str(image), str(note)])
    qtbot.waitUntil(lambda: task.done and window.attach_task is None, timeout=20000)
    with ctx.store.read() as session:
        photo = session.scalar(select(Evidence).where(Evidence.original_name == "sighting.png"))
        plain = session.scalar(select(Evidence).where(Evidence.original_name == "report.txt"))
        assert photo.kind == "photo" and photo.meta["image"]["georef"]["method"] == "world-file"
        assert photo.footprint is not None and photo.gsd_m == pytest.approx(10.6, abs=1.5)
        assert plain.kind == "document" and "image" not in (plain.meta or {})
    assert (ctx.store.objects.root / "cache" / "photos" / photo.sha256 / "overlay" / "overlay.png").is_file()
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["overlays"] == 2, timeout=10000)
    window.undo_action.trigger()  # detach: the overlay leaves the map
    qtbot.waitUntil(lambda: state(qtbot, window)["counts"]["overlays"] == 1, timeout=10000)


def test_a_bad_image_in_an_attach_attaches_nothing(qtbot, demo_window, ctx, tmp_path):
    window = demo_window
    second = demo_incidents(ctx, window.case_id)["Second meeting off Yangshan"]
    good = _georeferenced_png(tmp_path)
    bad = tmp_path / "truncated.png"
    bad.write_bytes(good.read_bytes()[:120])
    with ctx.store.read() as session:
        links_before = len(session.scalars(select(IncidentEvidence)).all())
    task = window.attach_files(second.id, [str(good), str(bad)])
    qtbot.waitUntil(lambda: task.done and window.attach_task is None, timeout=20000)
    assert window.last_error_box is not None and "truncated.png" in window.last_error_box.text()
    window.last_error_box.close()
    with ctx.store.read() as session:
        assert len(session.scalars(select(IncidentEvidence)).all()) == links_before
        assert session.scalar(select(Evidence).where(Evidence.original_name == "sighting.png")) is None


# --------------------------------------------------------------------------- screenshots


def _variety(image: QImage) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)})


def _save(image: QImage, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert image.save(str(path))
    extra = os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR")
    if extra:
        image.save(os.path.join(extra, name))
    return path


def _map_region_colours(image: QImage, window) -> set[int]:
    view = window.desk_map.view
    origin = view.mapTo(window, view.rect().topLeft())
    return {
        image.pixel(origin.x() + x, origin.y() + y)
        for x in range(0, view.width(), 5)
        for y in range(0, view.height(), 5)
    }


def test_screenshots_of_the_map_and_the_photo(qtbot, demo_window, ctx, tmp_path, settle_map):
    window = demo_window
    transfer = demo_incidents(ctx, window.case_id)["STS transfer east of Zhoushan"]
    window.select_incident(transfer.id)
    qtbot.waitUntil(lambda: state(qtbot, window)["selected"] == transfer.id, timeout=5000)
    settle_map(window)
    js(
        qtbot, window, f"{MAP}.setView([30.55, 123.05], 8, {{animate: false}}); 1"
    )  # all three incidents and both tracks
    qtbot.waitUntil(lambda: state(qtbot, window)["zoom"] == 8, timeout=5000)
    from evidence_app.mapview.layers import status_colour

    # Each incident's symbol, where the map puts it, in its status colour (the legend's swatches do not count).
    view = window.desk_map.view
    origin = view.mapTo(window, view.rect().topLeft())
    symbols = {}
    for row in demo_incidents(ctx, window.case_id).values():
        point = json.loads(js(qtbot, window, f"JSON.stringify({MAP}.latLngToContainerPoint([{row.lat}, {row.lon}]))"))
        symbols[row.title] = (
            origin.x() + round(point["x"]),
            origin.y() + round(point["y"]),
            int(status_colour(row.status)[1:], 16) | 0xFF000000,
        )

    def near(pixel: int, rgb: int) -> bool:  # symbols are shaded (and the selected one lit): close, not equal
        return all(abs((pixel >> shift & 0xFF) - (rgb >> shift & 0xFF)) <= 24 for shift in (0, 8, 16))

    def missing_statuses() -> list[str]:  # once the canvas has drawn them
        image = window.grab().toImage()
        return [
            title
            for title, (x, y, rgb) in symbols.items()
            if not any(near(image.pixel(x + dx, y + dy), rgb) for dx in range(-4, 5) for dy in range(-4, 5))
        ]

    qtbot.waitUntil(lambda: not missing_statuses(), timeout=10000)
    image = window.grab().toImage()
    path = _save(image, tmp_path, "window_map.png")
    assert path.stat().st_size > 100_000 and _variety(image) > 200

    # Close in on the meeting point: the photo lies on the map, warped from its world file.
    js(qtbot, window, f"{MAP}.setView([31.021, 123.482], 15, {{animate: false}}); 1")
    qtbot.waitUntil(lambda: state(qtbot, window)["zoom"] == 15, timeout=5000)
    overlay_loaded = (
        "Array.from(document.querySelectorAll('img.leaflet-image-layer'))"
        ".some(function (i) { return i.complete && i.naturalWidth > 0; })"
    )
    qtbot.waitUntil(lambda: js(qtbot, window, overlay_loaded) is True, timeout=10000)
    qtbot.waitUntil(lambda: _variety(window.grab().toImage()) > 200, timeout=10000)
    image = window.grab().toImage()
    path = _save(image, tmp_path, "window_map_overlay.png")

    photo_row = next(i for i, item in enumerate(window.evidence_panel.model.rows()) if item.kind == "photo")
    window.evidence_panel.view.selectRow(photo_row)
    viewer = window.photo_viewer
    qtbot.waitUntil(lambda: viewer is not None and viewer.isVisible(), timeout=5000)
    [box] = [a for a in viewer.model.annotations() if a["shape"] == "box"]
    (x0, y0), (x1, y1) = box["points"]
    viewer.view.fitInView(QRectF(x0 - 160, y0 - 90, x1 - x0 + 320, y1 - y0 + 180), Qt.AspectRatioMode.KeepAspectRatio)
    viewer.update_tiles()
    qtbot.waitUntil(lambda: _variety(window.grab().toImage()) > 200, timeout=10000)
    image = window.grab().toImage()
    path = _save(image, tmp_path, "window_photo.png")
    assert path.stat().st_size > 100_000
    assert (
        "SONGHAE 7" in window.photo_viewer.check_label.text() and "consistent" in window.photo_viewer.check_label.text()
    )
    # One participant matches, so the verdict is green even though HAI RUN 16 does not fit.
    assert "Consistent with SONGHAE 7 (IMO 9147368)." in window.photo_viewer.check_label.text()
    assert "#1b5e20" in window.photo_viewer.check_label.styleSheet()
