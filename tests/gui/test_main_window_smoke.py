"""The main window opens on a store and lists its cases and incidents."""

import pytest

from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_window_lists_cases_and_incidents(qtbot, ctx, sample_case):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.case_list.count() == 1
    assert window.incident_table.rowCount() == 1
    assert window.incident_table.item(0, 2).text() == "STS south of Dalian"
    assert ctx.store.display_name in window.windowTitle()
