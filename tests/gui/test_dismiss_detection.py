"""Dismissing a detection from the review panel: a reason, gone from the list, one undoable step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QApplication

from evidence_app.domain.review import Status
from evidence_app.services import cases, incident_queries, incidents
from evidence_app.ui.review_panel import DismissDialog

pytestmark = pytest.mark.gui


def test_dismiss_from_the_review_panel_and_undo(qtbot, make_window, ctx, tmp_path):
    case = cases.create_case(ctx, "Triage")
    incident = incidents.add_incident(
        ctx, case.id, start_utc=datetime(2024, 5, 14, tzinfo=UTC), lat=29.9, lon=122.1, title="Encounter ALPHA BRAVO"
    )
    window = make_window(with_map=False)
    window.show()
    assert window.current_incident == incident.id
    window.review_panel.buttons[Status.DISMISSED].click()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DismissDialog), timeout=5000)
    dialog = QApplication.activeModalWidget()
    dialog.reason.setCurrentIndex(dialog.reason.findData("anchorage"))
    qtbot.keyClicks(dialog.note, "Ningbo outer anchorage")
    dialog.accept()

    qtbot.waitUntil(lambda: window.list_panel.model.rowCount() == 0, timeout=5000)
    stored = incident_queries.get_incident(ctx, incident.id)
    assert stored.status == "dismissed"
    assert stored.reviews[-1].rationale == "anchorage: Ningbo outer anchorage"
    status = window.list_panel.status_combo
    status.setCurrentIndex(status.findData("dismissed"))
    qtbot.waitUntil(lambda: window.list_panel.model.rowCount() == 1, timeout=5000)

    window.undo_action.trigger()  # back to suspected, recorded as a step of its own
    assert incident_queries.get_incident(ctx, incident.id).status == "suspected"
