"""Tools ▸ Verify Store runs behind the progress dialog: its Cancel stops the re-hashing."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from evidence_app.services import cases, evidence, incidents
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, ctx, tmp_path):
    case = cases.create_case(ctx, "Verify")
    incident = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124.0)
    files = []
    for n in range(3):
        files.append(tmp_path / f"note{n}.txt")
        files[-1].write_text(f"sighting report {n}")
    evidence.attach_files(ctx, incident.id, files)
    made = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "d.log",
        with_map=False,
    )
    qtbot.addWidget(made)
    made.show()
    yield made
    made.runner.shutdown()


def test_verify_reports_a_whole_store(qtbot, window):
    task = window.verify_store()
    qtbot.waitUntil(lambda: task.done and window.store_check.result_box is not None, timeout=10000)
    assert "every evidence file matches its hash" in window.store_check.result_box.text()


def test_cancel_stops_verify(qtbot, ctx, window, monkeypatch):
    checked = []
    real_verify = ctx.store.objects.verify

    started = {}

    def slow_verify(digest):
        checked.append(digest)
        for _ in range(1000):  # waits for the Cancel press to reach the task, however busy the machine is
            task = started.get("task")
            if task is not None and task.token.cancelled:
                break
            time.sleep(0.01)
        return real_verify(digest)

    monkeypatch.setattr(ctx.store.objects, "verify", slow_verify)
    task = started["task"] = window.verify_store()
    qtbot.waitUntil(lambda: bool(checked), timeout=10000)
    task.progress_dialog.findChild(QPushButton).click()  # what the analyst presses
    qtbot.waitUntil(lambda: task.done and window.store_check.task is None, timeout=10000)
    assert len(checked) == 1  # stopped before the second file
    assert window.store_check.result_box is None
    assert "Verify cancelled" in window.statusBar().currentMessage()
