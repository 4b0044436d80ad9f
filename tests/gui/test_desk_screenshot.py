"""Screenshots of the main window on the demo case (light and dark), saved for a person to look at."""

import json
import os

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from evidence_app.ui.main_window import MainWindow
from evidence_app.ui.style import apply_theme

pytestmark = pytest.mark.gui


def _variety(image: QImage) -> int:
    """Distinct colours on a coarse grid: a blank or single-colour grab has very few."""
    return len({image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)})


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_of_the_demo_case(qtbot, ctx, tmp_path, scheme, settle_map):
    app = QApplication.instance()
    old_style, old_palette = app.style().name(), app.palette()
    apply_theme(app, scheme)
    try:
        home = MainWindow(
            ctx,
            settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
            log_path=tmp_path / "desk.log",
        )
        qtbot.addWidget(home)
        task = home.open_demo_case()  # the demo opens in its own window, on its own store
        qtbot.waitUntil(lambda: task.done and home.demo.window is not None, timeout=20000)
        window = home.demo.window
        window.resize(1600, 1000)
        qtbot.waitUntil(lambda: window.list_panel.model.rowCount() == 3, timeout=20000)
        window.select_incident(
            next(
                window.list_panel.model.index(r, 0).data(window.list_panel.model.IdRole)
                for r in range(3)
                if window.list_panel.model.index(r, 2).data() == "under review"
            )
        )
        window.evidence_panel.view.selectRow(0)
        # The map draws in its own process: wait for its layers, then for it to paint at
        # the window's size, or the grab shows a stale surface where the map will be.
        qtbot.waitUntil(lambda: window.desk_map.ready, timeout=20000)
        # The map was ready on the empty store already: wait for the demo case's incidents.
        shown: dict = {}

        def demo_drawn() -> bool:
            window.desk_map.view.run_js("EvidenceMap.stats()", lambda r: shown.update(json.loads(r)))
            qtbot.wait(100)
            return shown.get("incidentsDrawn") == 3 and shown.get("trackLines") == 2

        qtbot.waitUntil(demo_drawn, timeout=20000)
        settle_map(window)
        # The incident selected while the case was still loading is ringed on the map.
        ringed: dict = {}
        window.desk_map.view.run_js(
            "document.querySelectorAll('.evmap-selected').length", lambda r: ringed.setdefault("n", r)
        )
        qtbot.waitUntil(lambda: "n" in ringed, timeout=5000)
        assert ringed["n"] == 1
        # the incident tiles redraw after the last zoom step
        qtbot.waitUntil(lambda: _variety(window.grab().toImage()) > 200, timeout=10000)
        assert window.demo_label.isVisible()
        assert window.evidence_panel.model.rowCount() == 2
        assert window.review_panel.history.rowCount() == 1
        image = window.grab().toImage()
        path = tmp_path / f"desk_{scheme}.png"
        assert image.save(str(path))
        extra = os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR")
        if extra:
            image.save(os.path.join(extra, "desk.png" if scheme == "light" else "desk_dark.png"))
        assert path.stat().st_size > 50_000
        assert image.width() >= 1600 and _variety(image) > 200
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)
        window.close()
        home.runner.shutdown()
