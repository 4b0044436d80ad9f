"""The desk on a 1280 × 800 laptop: it fits, the map gets at least half the window, panels close and come back."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import QSettings

from evidence_app.services import demo
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_the_desk_at_1280_by_800(qtbot, ctx, tmp_path, settle_map):
    (tmp_path / "demo").mkdir()
    demo.create_demo_case(ctx, tmp_path / "demo")
    window = MainWindow(
        ctx, settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), log_path=tmp_path / "d.log"
    )
    qtbot.addWidget(window)
    window.show()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.size().width() == 1280 and window.size().height() == 800, timeout=5000)
    assert window.minimumSizeHint().width() <= 1000  # was 1324: the window would not fit the screen

    window.compact_layout()
    window.desk_map.view.set_collapsed_panels({"legend": True, "time": True, "photos": True})
    qtbot.waitUntil(lambda: window.desk_map.ready, timeout=30000)
    map_widget = window.desk_map.view

    def map_share() -> float:
        return map_widget.width() * map_widget.height() / (window.width() * window.height())

    qtbot.waitUntil(lambda: map_share() >= 0.5, timeout=5000)
    assert map_widget.isVisible()
    # The panels are all still reachable: the list shown, the rest as tabs.
    assert window.docks["incidents"].isVisible() and window.list_panel.model.rowCount() == 3

    # A closed panel comes back from the View menu.
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggle = next(a for a in view_menu.actions() if a.text() == "Evidence")
    window.docks["evidence"].close()
    assert not window.docks["evidence"].isVisible() and not toggle.isChecked()
    toggle.trigger()
    assert window.docks["evidence"].isVisible() or window.docks["evidence"].isVisibleTo(window)

    window.select_incident(window.list_panel.model.index(0, 0).data(window.list_panel.model.IdRole))
    drawn: dict = {}

    def case_drawn() -> bool:
        map_widget.run_js("EvidenceMap.stats()", lambda r: drawn.update(json.loads(r)))
        qtbot.wait(50)
        return drawn.get("incidentsDrawn") == 3

    qtbot.waitUntil(case_drawn, timeout=20000)
    settle_map(window)
    image = window.grab().toImage()
    assert (image.width(), image.height()) == (1280, 800)
    path = tmp_path / "desk-1280x800.png"
    assert image.save(str(path))
    extra = os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR")
    if extra:
        image.save(os.path.join(extra, "desk-1280x800.png"))
    window.runner.shutdown()
