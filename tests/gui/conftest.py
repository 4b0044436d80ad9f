"""GUI test fixtures: the map's URL scheme registered before the QApplication; fail any test that leaves a background task running."""

from __future__ import annotations

import pytest

from evidence_app.ui.map_view import register_map_scheme

# Chromium accepts a custom scheme only before the QApplication exists, and pytest-qt makes
# the application when the first test asks for qapp: conftest import time is before that.
register_map_scheme()


@pytest.fixture(autouse=True)
def _no_task_left_running(request):
    """A test that returns with a task still running fails, naming where the task was started."""
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication

    from evidence_app.workers.tasks import running_tasks

    leftover = running_tasks()
    for task in leftover:
        task.cancel()
        task.wait(10)
    QCoreApplication.processEvents()
    if leftover:
        where = "\n".join(f"- {t.name}, started at:\n{t.started_at}" for t in leftover)
        pytest.fail(f"{len(leftover)} background task(s) still running after the test:\n{where}", pytrace=False)
