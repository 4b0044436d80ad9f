"""An imported event's figures are shown in the incident detail and, on demand, as list columns."""

import csv

import pytest
from PySide6.QtCore import QSettings

from evidence_app.services import cases, imports
from evidence_app.ui.main_window import MainWindow
from evidence_app.ui.models.incident_table_model import IncidentTableModel
from tests.published_layouts import GFW_ENCOUNTER_COLUMNS, GFW_ENCOUNTER_EXAMPLE

pytestmark = pytest.mark.gui


def test_event_figures_in_detail_panel_and_optional_list_columns(qtbot, ctx, tmp_path):
    case = cases.create_case(ctx, "GFW")
    path = tmp_path / "encounter-events.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(GFW_ENCOUNTER_COLUMNS)
        writer.writerow(GFW_ENCOUNTER_EXAMPLE)
    imports.import_incidents(ctx, path, case.id)
    window = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "log" / "desk.log",
    )
    qtbot.addWidget(window)
    try:
        panel = window.list_panel
        panel.reload_cases(case.id)
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
        assert panel.select(panel.model.data(panel.model.index(0, 0), IncidentTableModel.IdRole))
        qtbot.waitUntil(lambda: window.detail.metrics_label.text() != "")
        text = window.detail.metrics_label.text()
        assert "Distance between vessels: 36 m" in text and "Speed: 0.8 kn" in text and "Duration: 6.7 h" in text
        assert window.detail.metrics_label.isVisibleTo(window.detail)
        header = panel.view.horizontalHeader()
        assert header.isSectionHidden(IncidentTableModel.DISTANCE)  # optional: hidden until chosen
        panel.column_actions[IncidentTableModel.DISTANCE].trigger()
        assert not header.isSectionHidden(IncidentTableModel.DISTANCE)
        model = panel.model
        assert model.data(model.index(0, IncidentTableModel.DISTANCE)) == "36 m"
        assert model.data(model.index(0, IncidentTableModel.SPEED)) == "0.8 kn"
        assert model.data(model.index(0, IncidentTableModel.DURATION)) == "6.7 h"
        assert "±36 m" in model.data(model.index(0, IncidentTableModel.POSITION))
    finally:
        window.runner.shutdown()
