"""The Tools menu reaches the detection dialog, and incidents it creates show in the list."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from evidence_app.ui.detect_dialog import DetectDialog
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_detect_action_opens_dialog_for_current_case(qtbot, ctx, sample_case, tmp_path):
    case, _ = sample_case
    window = MainWindow(
        ctx, settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), log_path=tmp_path / "desk.log"
    )
    qtbot.addWidget(window)
    action = next(a for m in window.menuBar().actions() for a in m.menu().actions() if a.text().startswith("&Detect"))
    assert action.shortcut().toString() == "Ctrl+Shift+D"
    action.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, DetectDialog) and w.isVisible()]
    assert len(dialogs) == 1
    rows_before = window.list_panel.model.rowCount()
    dialogs[0].incidentsCreated.emit([])
    assert window.list_panel.model.rowCount() == rows_before
    dialogs[0].close()
