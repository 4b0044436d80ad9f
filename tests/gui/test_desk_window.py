"""The review desk driven as a user would: the real window, real store, real audit log."""

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from evidence_app.services import incident_queries, review
from evidence_app.storage import audit
from evidence_app.storage.models import Evidence, IncidentEvidence

pytestmark = pytest.mark.gui


def audit_tail(store, after_seq=0):
    with store.read() as session:
        return [(e.action, json.loads(e.payload)) for e in audit.iter_entries(session) if e.seq > after_seq]


def audit_head(store):
    with store.read() as session:
        return max((e.seq for e in audit.iter_entries(session)), default=0)


def drop_files(widget, paths, pos=None):
    """What a drag from the desktop delivers: enter, move, drop (Qt only drops on the entered target)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = pos or widget.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos, *args)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(pos, *args)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), *args)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted() and drop.isAccepted()


def type_into(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)
    widget.editingFinished.emit()


def test_first_run_offers_create_and_demo(qtbot, make_window):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    assert window.centre.currentWidget() is window.welcome
    for button in (window.welcome.create_button, window.welcome.demo_button):
        assert button.isVisible() and button.isEnabled(), button.text()
    assert not window.new_incident_action.isEnabled()
    assert window.ctx.store.display_name in window.store_label.text()
    assert "analyst-a" in window.reviewer_label.text()


def test_full_review_workflow_with_undo_and_redo(qtbot, make_window, ctx, shared_data):
    window = make_window()
    window.show()
    start_seq = audit_head(ctx.store)

    case_id = window.create_case("Yellow Sea 2019", caveat="OFFICIAL")
    assert window.centre.currentWidget() is window.map_tabs
    incident_id = window.add_incident()
    assert incident_id and window.current_incident == incident_id
    assert window.list_panel.model.rowCount() == 1

    # edit fields through the widgets
    type_into(qtbot, window.detail.fields["title"][0], "STS south of Dalian")
    type_into(qtbot, window.detail.fields["start_utc"][0], "2019-03-11 14:00")
    type_into(qtbot, window.detail.fields["lat"][0], "36.55")
    type_into(qtbot, window.detail.fields["lon"][0], "123.95")
    # an invalid value is marked at its field and never reaches the store
    type_into(qtbot, window.detail.fields["radius_m"][0], "lots")
    assert "not a number" in window.detail.fields["radius_m"][0].toolTip()
    assert window.detail.error_label.isVisibleTo(window.detail)
    window.detail.indicator_checks["hoses"].setChecked(True)
    stored = incident_queries.get_incident(ctx, incident_id)
    assert (stored.title, stored.lat, stored.lon, stored.indicators) == (
        "STS south of Dalian",
        36.55,
        123.95,
        ["hoses"],
    )
    assert stored.start_utc.isoformat() == "2019-03-11T14:00:00+00:00" and stored.radius_m is None
    assert window.list_panel.model.index(0, 1).data() == "STS south of Dalian"

    # attach the sample photo by dropping it on the evidence panel
    photo = shared_data / "imagery" / "exif_gps_photo.jpg"
    assert drop_files(window.evidence_panel, [photo])
    qtbot.waitUntil(lambda: window.attach_task is None and window.evidence_panel.model.rowCount() == 1, timeout=10000)
    assert window.evidence_panel.model.index(0, 1).data() == "exif_gps_photo.jpg"
    assert window.evidence_panel.model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None  # thumbnail

    # confirm with a rationale: refused without one, at the rationale box
    assert set(window.review_panel.buttons) == {
        review.Status.UNDER_REVIEW,
        review.Status.CONFIRMED,
        review.Status.REJECTED,
        review.Status.INCONCLUSIVE,
        review.Status.DISMISSED,  # triage of a detection
    }
    assert not window.review_panel.decide(review.Status.CONFIRMED)
    assert "rationale" in window.review_panel.rationale_error.text()
    window.review_panel.rationale.setPlainText("Hulls alongside on the photo")
    qtbot.mouseClick(window.review_panel.buttons[review.Status.CONFIRMED], Qt.MouseButton.LeftButton)
    assert incident_queries.get_incident(ctx, incident_id).status == "confirmed"
    assert window.review_panel.history.rowCount() == 2

    done_seq = audit_head(ctx.store)
    # undo the confirmation (reverse transitions), then the attach; redo both
    window.undo_action.trigger()
    assert incident_queries.get_incident(ctx, incident_id).status == "suspected"
    window.undo_action.trigger()
    assert window.evidence_panel.model.rowCount() == 0
    window.redo_action.trigger()
    assert window.evidence_panel.model.rowCount() == 1
    window.redo_action.trigger()
    assert incident_queries.get_incident(ctx, incident_id).status == "confirmed"
    assert window.review_panel.history.rowCount() == 6  # history is never rewritten

    entries = audit_tail(ctx.store, start_seq)
    actions = [a for a, _ in entries]
    assert actions == [
        "case.create",
        "incident.create",
        "incident.update",
        "incident.update",
        "incident.update",
        "incident.update",  # title, start, position, indicators
        "evidence.add",
        "photo.import",
        "evidence.link",  # an image goes through photo import
        "incident.review",
        "incident.review",
        "incident.review",
        "incident.review",  # undo of confirm: confirmed → under review → suspected
        "evidence.unlink",  # undo of attach
        "evidence.link",  # redo of attach
        "incident.review",
        "incident.review",  # redo of confirm
    ]
    updates = [p for a, p in entries if a == "incident.update"]
    assert {k for u in updates for k in u} == {"title", "start_utc", "lat", "lon", "indicators"}
    reverts = [p for a, p in entries[11:13]]
    assert all(p.get("revert") and p["rationale"] == "Undo: Hulls alongside on the photo" for p in reverts)
    with ctx.store.read() as session:
        assert len(session.scalars(select(IncidentEvidence)).all()) == 1
        assert session.scalar(select(Evidence.original_name)) == "exif_gps_photo.jpg"
    assert done_seq < audit_head(ctx.store)
    assert case_id


def test_drop_on_a_list_row_and_ctrl_z(qtbot, make_window, ctx, sample_case, tmp_path):
    window = make_window()
    window.show()
    _, incident = sample_case
    f = tmp_path / "note.txt"
    f.write_text("report")
    view = window.list_panel.view
    rect = view.visualRect(window.list_panel.model.index(0, 1))
    assert drop_files(view.viewport(), [f], rect.center())
    qtbot.waitUntil(
        lambda: window.attach_task is None and incident_queries.get_incident(ctx, incident.id).evidence_count == 1,
        timeout=10000,
    )
    # The shortcut only reaches an active window: wait for it instead of hoping.
    with qtbot.waitActive(window):
        window.activateWindow()
    window.list_panel.view.setFocus()
    qtbot.keyClick(window.list_panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert incident_queries.get_incident(ctx, incident.id).evidence_count == 0


def test_place_incident_is_undoable(make_window, ctx, sample_case):
    window = make_window()
    _, incident = sample_case
    assert window.place_incident(incident.id, 37.0, 124.0)
    assert (
        incident_queries.get_incident(ctx, incident.id).lat,
        incident_queries.get_incident(ctx, incident.id).lon,
    ) == (37.0, 124.0)
    window.undo_action.trigger()
    assert (
        incident_queries.get_incident(ctx, incident.id).lat,
        incident_queries.get_incident(ctx, incident.id).lon,
    ) == (
        36.55,
        123.95,
    )
    assert not window.place_incident(incident.id, 95.0, 124.0)  # refused: latitude out of range
    assert "latitude" in window.detail.error_label.text()


def test_bad_claimed_imo_marked_with_expected_check_digit(make_window, ctx, sample_case):
    window = make_window()
    _, incident = sample_case
    model = window.detail.participants
    cell = model.index(0, model.CLAIMED_IMO)
    model.setData(cell, "9123450")
    assert "expected 3 as the last digit" in cell.data(Qt.ItemDataRole.ToolTipRole)
    model.setData(model.index(0, model.CLAIMED_NAME), "KUM UN")
    names = {p.claimed_name for p in incident_queries.get_incident(ctx, incident.id).participants}
    assert "KUM UN" in names
    window.undo_action.trigger()
    assert {p.claimed_name for p in incident_queries.get_incident(ctx, incident.id).participants} == {""}


def test_filters_tags_and_timeline(qtbot, make_window, ctx, sample_case):
    window = make_window()
    case, incident = sample_case
    panel = window.list_panel
    window.detail.tag_entry.setText("coal")
    window.detail.tag_entry.returnPressed.emit()
    assert panel.model.index(0, panel.model.TAGS).data() == "coal"
    panel.tag_edit.setText("coal")
    panel.apply_filter()
    assert panel.model.rowCount() == 1
    panel.tag_edit.setText("oil")
    panel.apply_filter()
    assert panel.model.rowCount() == 0
    panel.tag_edit.clear()
    panel.vessel_edit.setText("CHON MA")
    panel.apply_filter()
    assert panel.model.rowCount() == 1
    panel.vessel_edit.clear()
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("confirmed"))
    assert panel.model.rowCount() == 0
    panel.status_combo.setCurrentIndex(0)
    panel.since_edit.setText("2019-03-12")
    panel.apply_filter()
    assert panel.model.rowCount() == 0
    panel.since_edit.setText("not a date")
    panel.apply_filter()
    assert "not valid" in panel.filter_error.text()
    # drag across the timeline sets the time range
    panel.since_edit.clear()
    panel.apply_filter()
    panel.flush_timeline()
    assert panel.timeline.buckets
    window.show()
    qtbot.mousePress(panel.timeline, Qt.MouseButton.LeftButton, pos=QPoint(5, 10))
    qtbot.mouseRelease(panel.timeline, Qt.MouseButton.LeftButton, pos=QPoint(panel.timeline.width() - 5, 10))
    assert panel.since_edit.text() == "2019-03-11" and panel.until_edit.text() == "2019-03-11"
    assert panel.model.rowCount() == 1
    window.undo_action.trigger()  # untag
    assert panel.model.index(0, panel.model.TAGS).data() == ""


def test_layout_is_restored(make_window, tmp_path):
    first = make_window()
    first.docks["evidence"].hide()
    first.close()
    second = make_window()
    assert second.docks["evidence"].isHidden()


def test_programming_error_goes_to_the_log(make_window, tmp_path):
    window = make_window()
    window.report_error(KeyError("boom"))
    assert "Something went wrong" in window.last_error_box.text()
    assert str(tmp_path / "log" / "desk.log") in window.last_error_box.text()
    assert "KeyError" in (tmp_path / "log" / "desk.log").read_text()
    window.last_error_box.close()


def test_closing_during_attach_leaves_nothing_half_attached(
    qtbot, make_window, ctx, sample_case, tmp_path, monkeypatch
):
    window = make_window()
    window.show()
    _, incident = sample_case
    files = []
    for i in range(3):
        f = tmp_path / f"big{i}.bin"
        with f.open("wb") as fh:
            fh.write(bytes([i]) * (40 * 1024 * 1024))
        files.append(f)
    # The close must land mid-attach, however busy the GUI thread is (the map loads too):
    # after the first file is stored the worker waits until it is cancelled.
    put_file = ctx.store.objects.put_file

    def put_then_wait(source, *, progress, cancel):
        stored = put_file(source, progress=progress, cancel=cancel)
        for _ in range(1000):
            if cancel.cancelled:
                break
            time.sleep(0.01)
        return stored

    monkeypatch.setattr(ctx.store.objects, "put_file", put_then_wait)
    progressed = []
    task = window.attach_files(incident.id, [str(f) for f in files])
    task.progress.connect(lambda *a: progressed.append(a))
    qtbot.waitUntil(lambda: bool(progressed), timeout=10000)
    window.close()
    assert task.done and window.attach_task is None
    with ctx.store.read() as session:
        assert session.scalars(select(Evidence)).all() == []
        assert session.scalars(select(IncidentEvidence)).all() == []
    assert list((Path(ctx.store.objects.root) / "tmp").glob("*.part")) == []
    assert incident_queries.get_incident(ctx, incident.id).evidence_count == 0
