"""The desk follows the case: a case switch starts the new case whole (time window, selection, fields),
case counts follow added incidents, and a case arriving from a case file ends the welcome page."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings

from evidence_app.services import cases, incidents
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _window(qtbot, ctx, tmp_path, **kw):
    window = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "d.log",
        **kw,
    )
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def _map_state(qtbot, window):
    box = {}
    window.desk_map.view.run_js("EvidenceMap.state()", lambda result: box.setdefault("r", result))
    qtbot.waitUntil(lambda: "r" in box, timeout=5000)
    return json.loads(box["r"])


def _add(ctx, case_id, day, lat, title):
    return incidents.add_incident(ctx, case_id, start_utc=day, lat=lat, lon=124.0, title=title)


def test_after_a_case_switch_the_time_window_spans_the_new_case(qtbot, ctx, tmp_path):
    first = cases.create_case(ctx, "Yellow Sea 2019")
    _add(ctx, first.id, datetime(2019, 3, 11, tzinfo=UTC), 36.5, "March")
    _add(ctx, first.id, datetime(2019, 5, 2, tzinfo=UTC), 36.9, "May")
    second = cases.create_case(ctx, "East China Sea 2021")
    later = _add(ctx, second.id, datetime(2021, 6, 20, tzinfo=UTC), 30.1, "June 2021")
    window = _window(qtbot, ctx, tmp_path)
    window.list_panel.reload_cases(select_id=first.id)
    qtbot.waitUntil(lambda: window.desk_map.ready, timeout=30000)

    window.list_panel.set_time_range(datetime(2019, 3, 10, tzinfo=UTC), datetime(2019, 3, 12, tzinfo=UTC))
    assert window.list_panel.model.rowCount() == 1
    qtbot.waitUntil(lambda: _map_state(qtbot, window)["window"] is not None, timeout=10000)
    march = window.current_incident
    assert window.detail.fields["title"][0].text() == "March"

    window.list_panel.case_combo.setCurrentIndex(window.list_panel.cases.row_of(second.id))

    # The list and the map show all of the new case: no window left from the old one.
    assert (window.list_panel.since_edit.text(), window.list_panel.until_edit.text()) == ("", "")
    assert window.list_panel.model.rowCount() == 1
    assert window.current_incident == later.id and window.current_incident != march
    assert window.detail.fields["title"][0].text() == "June 2021"

    def new_case_drawn() -> bool:
        state = _map_state(qtbot, window)
        return state["window"] is None and state["counts"]["incidentsShown"] == 1 and state["selected"] == later.id

    qtbot.waitUntil(new_case_drawn, timeout=15000)
    window.runner.shutdown()


def test_no_incident_shows_empty_fields_and_counts_follow_added_incidents(qtbot, ctx, tmp_path):
    case = cases.create_case(ctx, "Counts")
    shown = _add(ctx, case.id, datetime(2019, 3, 11, tzinfo=UTC), 36.5, "Shown first")
    window = _window(qtbot, ctx, tmp_path, with_map=False)
    assert window.current_incident == shown.id
    assert window.list_panel.case_combo.currentText().startswith("Counts  (1)")
    window.select_incident(None)
    assert window.detail.fields["title"][0].text() == ""  # not the last incident's title, greyed
    window.add_incident()
    window.add_incident()
    assert window.list_panel.case_combo.currentText().startswith("Counts  (3)")


def test_a_case_from_a_case_file_ends_the_welcome_page(qtbot, ctx, tmp_path):
    window = _window(qtbot, ctx, tmp_path, with_map=False)
    assert window.centre.currentWidget() is window.welcome
    arrived = cases.create_case(ctx, "From a colleague")  # what a case-file import leaves in the store
    window.casefiles.caseImported.emit(arrived.id)
    assert window.centre.currentWidget() is window.map_tabs
    assert window.list_panel.current_case_id() == arrived.id
