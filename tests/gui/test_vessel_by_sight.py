"""A counterpart known only by sight joins an incident from the participant field; Tools ▸ Vessels makes one too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from evidence_app.services import cases, incident_queries, incidents, vessels
from evidence_app.storage import audit
from evidence_app.ui.main_window import MainWindow
from evidence_app.ui.vessel_actions import NewVesselDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, ctx, tmp_path):
    made = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "desk.log",
        with_map=False,
    )
    qtbot.addWidget(made)
    made.show()
    return made


def _dialog(qtbot) -> NewVesselDialog:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), NewVesselDialog), timeout=5000)
    return QApplication.activeModalWidget()


def test_a_name_only_counterpart_is_added_from_the_participant_field(qtbot, ctx, window):
    case = cases.create_case(ctx, "DPRK reporting")
    incident = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=38.9, lon=124.1)
    window.list_panel.reload_cases(select_id=case.id)
    window.select_incident(incident.id)
    detail = window.detail
    detail.role_combo.setCurrentText("receiver")
    qtbot.keyClicks(detail.vessel_entry, "MIN NING DE YOU 078")
    detail.vessel_entry.returnPressed.emit()

    dialog = _dialog(qtbot)
    assert dialog.fields["name"].text() == "MIN NING DE YOU 078"
    qtbot.keyClicks(dialog.fields["markings"], "MIN NING DE YOU 078 on the hull, no funnel mark")
    qtbot.keyClicks(dialog.fields["vessel_type"], "small tanker")
    qtbot.keyClicks(dialog.fields["length_m"], "lots")  # refused at the dialog, nothing stored
    dialog.accept()
    assert dialog.isVisible() and "length_m" in dialog.error_label.text()
    assert vessels.vessel_rows(ctx) == []
    dialog.fields["length_m"].clear()
    dialog.accept()  # no IMO, no MMSI, no flag seen
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)

    stored = incident_queries.get_incident(ctx, incident.id)
    [part] = stored.participants
    assert part.role == "receiver"
    vessel = vessels.get_vessel(ctx, part.vessel_id)
    assert (vessel.name, vessel.imo, vessel.mmsi, vessel.flag, vessel.vessel_type) == (
        "MIN NING DE YOU 078",
        None,
        None,
        "",
        "small tanker",
    )
    assert "Observed markings: MIN NING DE YOU 078 on the hull" in vessel.notes
    assert detail.participants.rowCount() == 1
    with ctx.store.read() as session:
        actions = [e.action for e in audit.iter_entries(session)]
    assert "vessel.create" in actions
    # The participant add is one undoable step; the vessel stays (a record, like a case).
    window.desk.undo_stack.undo()
    assert incident_queries.get_incident(ctx, incident.id).participants == []
    assert vessels.get_vessel(ctx, "MIN NING DE YOU 078").id == vessel.id


def test_tools_vessels_creates_a_vessel_with_the_same_checks_as_the_cli(qtbot, ctx, window):
    dialog_list = window.open_vessel_list()
    dialog_list.new_button.click()
    dialog = _dialog(qtbot)
    dialog.accept()  # nothing at all: refused as `vessel add` refuses it
    assert "needs at least a name or observed markings" in dialog.error_label.text()
    qtbot.keyClicks(dialog.fields["imo"], "9216471")  # a bad check digit
    dialog.accept()
    assert dialog.isVisible() and "9216471" in dialog.error_label.text()
    dialog.fields["imo"].clear()
    qtbot.keyClicks(dialog.fields["markings"], "KUM UN SAN 3")
    qtbot.keyClicks(dialog.fields["flag"], "DPRK")
    dialog.accept()
    qtbot.waitUntil(lambda: dialog_list.model.rowCount() == 1, timeout=5000)
    assert vessels.get_vessel(ctx, "KUM UN SAN 3").flag == "DPRK"
