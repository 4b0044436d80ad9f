"""The detection dialog alone: runs in the background, lists the demo meeting, creates the checked incident once."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from evidence_app.services import cases, demo
from evidence_app.storage.models import Incident
from evidence_app.ui.detect_dialog import COL_CHECK, COL_KIND, COL_MMSI, DetectDialog
from evidence_app.workers.tasks import TaskRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, ctx, tmp_path):
    demo.create_demo_case(ctx, tmp_path)
    fresh = cases.create_case(ctx, "Detections to review")
    runner = TaskRunner()
    dlg = DetectDialog(ctx, runner, case_id=fresh.id)
    qtbot.addWidget(dlg)
    yield dlg, fresh.id
    runner.shutdown()


def test_run_lists_the_meeting_and_creates_the_checked_incident(qtbot, ctx, dialog, tmp_path):
    dlg, case_id = dialog
    assert dlg.case.currentData() == case_id
    assert dlg.spins["max_distance_m"].value() == 500 and not dlg.spins["min_gap_hours"].isVisibleTo(dlg)
    assert not dlg.create_button.isEnabled()
    with qtbot.waitSignal(dlg.detectionsReady, timeout=20_000) as ready:
        qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    assert ready.args == [1]
    assert dlg.table.item(0, COL_KIND).text() == "encounter"
    assert dlg.table.item(0, COL_MMSI).text() == "352004567 445127000"
    qtbot.waitUntil(lambda: dlg.run_button.isEnabled(), timeout=5000)
    assert not dlg.create_button.isEnabled()  # nothing checked yet
    shot = dlg.grab().toImage()
    assert shot.save(str(tmp_path / "detect.png")) and shot.width() > 300
    if os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR"):
        shot.save(os.path.join(os.environ["EVIDENCE_DESK_SCREENSHOT_DIR"], "detect.png"))
    dlg.table.item(0, COL_CHECK).setCheckState(Qt.CheckState.Checked)
    assert dlg.create_button.isEnabled()
    with qtbot.waitSignal(dlg.incidentsCreated, timeout=20_000) as created:
        qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    (ids,) = created.args
    assert len(ids) == 1
    with ctx.store.read() as session:
        incident = session.get(Incident, ids[0])
        assert incident.case_id == case_id and incident.position_method == "AIS encounter detection"
    qtbot.waitUntil(lambda: dlg.create_button.isEnabled(), timeout=5000)
    with qtbot.waitSignal(dlg.incidentsCreated, timeout=20_000) as again:
        qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    assert again.args == [[]] and "already in the case" in dlg.status.text()
    with ctx.store.read() as session:
        assert len(session.scalars(select(Incident).where(Incident.case_id == case_id)).all()) == 1


def test_parameters_follow_the_detector_and_bad_input_is_named(qtbot, dialog):
    dlg, _ = dialog
    dlg.kind.setCurrentIndex(dlg.kind.findData("gaps"))
    assert dlg.spins["min_gap_hours"].isVisibleTo(dlg) and not dlg.spins["max_distance_m"].isVisibleTo(dlg)
    dlg.spins["min_gap_hours"].setValue(5)
    assert dlg.params().min_gap_hours == 5
    with qtbot.waitSignal(dlg.detectionsReady, timeout=20_000) as ready:
        dlg.run_detection()
    assert ready.args == [1]  # the receiver's 5.9 h silence alongside
    qtbot.waitUntil(lambda: dlg.run_button.isEnabled(), timeout=5000)
    dlg.bbox.setText("not a box")
    assert dlg.run_detection() is None
    assert "bounding box" in dlg.status.text()


def test_cancel_leaves_the_table_alone(qtbot, dialog, monkeypatch):
    dlg, _ = dialog
    import threading

    from evidence_app.services import detect

    release = threading.Event()
    original = detect.run_detection

    def slow(*args, cancel, **kwargs):
        release.wait(5)
        cancel.raise_if_cancelled()
        return original(*args, cancel=cancel, **kwargs)

    monkeypatch.setattr(detect, "run_detection", slow)
    task = dlg.run_detection()
    assert dlg.cancel_button.isEnabled() and not dlg.run_button.isEnabled()
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    release.set()
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    assert "Cancelled" in dlg.status.text() and dlg.table.rowCount() == 0
    assert dlg.run_button.isEnabled()


def test_ranges_are_shown_and_left_out_candidates_are_listed_with_their_reason(qtbot, dialog):
    dlg, _ = dialog
    spin = dlg.spins["max_distance_m"]
    assert spin.minimum() == 10 and "10 to 20000 m" in spin.toolTip()
    spin.setValue(0.5)  # typed as kilometres: the box holds it at the lower bound, the tooltip says why
    assert spin.value() == 10
    assert "0 turns the rule off" in dlg.spins["port_radius_m"].toolTip()
    dlg.spins["max_distance_m"].setValue(500)
    dlg.spins["min_shore_m"].setValue(200_000)  # the demo meeting lies closer than that to the Zhoushan islands
    with qtbot.waitSignal(dlg.detectionsReady, timeout=20_000) as ready:
        dlg.run_detection()
    assert ready.args == [0]
    assert dlg.table.rowCount() == 1
    assert dlg.table.item(0, COL_KIND).text() == "left out: near shore"
    assert dlg.table.item(0, COL_CHECK) is None  # cannot be made an incident
    assert "1 left out by place rules (1 near shore)" in dlg.status.text()
