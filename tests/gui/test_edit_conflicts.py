"""A colleague's save in between: the desk refuses to write over it and shows both versions."""

import json

import pytest
from PySide6.QtCore import QSettings

from evidence_app.services import incident_queries, incidents
from evidence_app.services.context import Context
from evidence_app.storage import audit
from evidence_app.ui.conflicts_dialog import EditConflictDialog, EditDiffModel
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, ctx, sample_case, tmp_path):
    made = MainWindow(
        ctx, settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), log_path=tmp_path / "desk.log"
    )
    qtbot.addWidget(made)
    made.show()
    made.select_incident(sample_case[1].id)
    yield made
    made.runner.shutdown()


def last_audit(store):
    with store.read() as session:
        entry = list(audit.iter_entries(session))[-1]
        return entry.actor, entry.action, json.loads(entry.payload)


def dialog_rows(window):
    assert isinstance(window.last_error_box, EditConflictDialog)
    model = window.last_error_box.diff
    return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]


def test_undo_after_a_colleagues_edit_is_refused_and_shows_both_versions(qtbot, window, ctx, sample_case, tmp_path):
    _, incident = sample_case
    title = window.detail.fields["title"][0]
    title.setText("Alice title")
    title.editingFinished.emit()
    assert incident_queries.get_incident(ctx, incident.id).title == "Alice title"
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, title="Bob title")

    window.undo_action.trigger()

    assert incident_queries.get_incident(ctx, incident.id).title == "Bob title"  # the stale value never came back
    qtbot.waitUntil(lambda: isinstance(window.last_error_box, EditConflictDialog) and window.last_error_box.isVisible())
    assert EditDiffModel.HEADERS[1:] == ("You wanted", "Now in the store")
    assert dialog_rows(window) == [("title", "STS south of Dalian", "Bob title")]
    assert "changed by <b>bob</b>" in window.last_error_box.intro.text()
    assert window.detail.fields["title"][0].text() == "Bob title"  # the panel shows the current value
    actor, action, payload = last_audit(ctx.store)
    assert (actor, action, payload["attempted"]) == ("analyst-a", "edit-conflict", "incident.update")
    window.last_error_box.grab().save(str(tmp_path / "edit_conflict.png"))


def test_an_edit_from_a_stale_panel_is_refused(qtbot, window, ctx, sample_case):
    _, incident = sample_case
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, radius_m=900)
    radius = window.detail.fields["radius_m"][0]
    radius.setText("100")
    radius.editingFinished.emit()
    assert incident_queries.get_incident(ctx, incident.id).radius_m == 900
    qtbot.waitUntil(lambda: isinstance(window.last_error_box, EditConflictDialog))
    assert dialog_rows(window) == [("radius m", "100.0", "900.0")]
    assert window.desk.undo_stack.count() == 0


def test_a_colleagues_edit_of_another_field_does_not_block_undo(window, ctx, sample_case):
    _, incident = sample_case
    title = window.detail.fields["title"][0]
    title.setText("Alice title")
    title.editingFinished.emit()
    incidents.update_incident(Context(ctx.store, "bob"), incident.id, radius_m=900)
    window.undo_action.trigger()
    now = incident_queries.get_incident(ctx, incident.id)
    assert (now.title, now.radius_m) == ("STS south of Dalian", 900)
