"""Four-eyes review at one desk: the analyst proposes, the supervisor confirms, through the menus, one session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from evidence_app.domain.review import Status
from evidence_app.services import cases, evidence, incident_queries, incidents
from evidence_app.storage import audit
from evidence_app.ui.main_window import MainWindow
from evidence_app.ui.reviewer_actions import SwitchReviewerDialog

pytestmark = pytest.mark.gui


def _menu_action(window, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def _switch_through_menu(qtbot, window, *, type_name: str | None = None, pick: str | None = None) -> None:
    _menu_action(window, "File", "Switch Reviewer…").trigger()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), SwitchReviewerDialog), timeout=5000)
    dialog = QApplication.activeModalWidget()
    if type_name is not None:
        qtbot.keyClicks(dialog.new_name, type_name)
    if pick is not None:
        names = [dialog.known.item(i).text() for i in range(dialog.known.count())]
        dialog.known.setCurrentRow(names.index(pick))
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def test_two_reviewers_confirm_a_four_eyes_incident_in_one_session(qtbot, ctx, tmp_path):
    case = cases.create_case(ctx, "Four eyes", four_eyes=True)
    incident = incidents.add_incident(
        ctx, case.id, start_utc=datetime(2019, 3, 11, 14, tzinfo=UTC), lat=36.5, lon=123.9, title="STS"
    )
    note = tmp_path / "report.txt"
    note.write_text("Coast guard sighting report")
    evidence.attach_files(ctx, incident.id, [note])
    window = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "desk.log",
        with_map=False,
    )
    qtbot.addWidget(window)
    window.show()
    window.select_incident(incident.id)
    panel = window.review_panel
    assert window.reviewer_label.text() == "Acting as: analyst-a"

    panel.rationale.setPlainText("Hoses seen alongside")
    panel.buttons[Status.CONFIRMED].click()  # a proposal: the first reviewer cannot confirm alone
    assert incident_queries.get_incident(ctx, incident.id).confirmation_proposed_by == "analyst-a"
    assert "analyst-a's proposal to confirm is waiting" in panel.four_eyes_label.text()
    assert "another reviewer must confirm it" in panel.four_eyes_label.text()

    _switch_through_menu(qtbot, window, type_name="supervisor-b")
    assert window.reviewer_label.text() == "Acting as: supervisor-b"
    assert "acting as supervisor-b and can confirm it" in panel.four_eyes_label.text()
    panel.rationale.setPlainText("Agreed: the imagery shows hoses")
    panel.buttons[Status.CONFIRMED].click()
    assert incident_queries.get_incident(ctx, incident.id).status == Status.CONFIRMED.value

    # Back to the analyst, picked from the list of known reviewers.
    _switch_through_menu(qtbot, window, pick="analyst-a")
    assert window.reviewer_label.text() == "Acting as: analyst-a"
    window.detail.fields["title"][0].setText("STS, confirmed")
    window.detail.fields["title"][0].editingFinished.emit()

    with ctx.store.read() as session:
        entries = [(e.action, e.actor) for e in audit.iter_entries(session) if e.entity_id == incident.id]
    reviews = [actor for action, actor in entries if action.startswith("incident.review")]
    assert reviews[-2:] == ["analyst-a", "supervisor-b"], entries
    assert entries[-1] == ("incident.update", "analyst-a"), entries


def test_the_dialog_refuses_an_empty_choice_and_lists_who_has_acted(qtbot, ctx, tmp_path):
    cases.create_case(ctx, "A case")
    window = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "desk.log",
        with_map=False,
    )
    qtbot.addWidget(window)
    assert not window.reviewers.switch_to("  ")
    dialog = window.reviewers.open_dialog()
    assert [dialog.known.item(i).text() for i in range(dialog.known.count())] == ["analyst-a"]
    dialog.known.setCurrentRow(-1)
    dialog.accept()
    assert dialog.isVisible() and "choose a reviewer" in dialog.error_label.text()
    dialog.reject()
    assert window.ctx.actor == "analyst-a"
