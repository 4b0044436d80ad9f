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


@pytest.fixture(autouse=True, scope="session")
def _delete_web_pages_before_exit():
    """Delete every widget (and so every web page) while the QApplication still exists.

    Otherwise Python's interpreter shutdown destroys the remaining QWebEnginePages and their
    profiles in arbitrary order, Chromium warns "Release of profile requested but
    WebEnginePage still not deleted" and the process can crash after all tests passed.
    """
    yield
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()


@pytest.fixture
def settle_map(qtbot):
    """A function that waits until a desk window's map has stopped panning and zooming.

    A click during an animation is not a click, and a screenshot taken during one shows a
    half-scaled map.
    """
    still = (
        "(() => { const m = window[document.querySelector('.folium-map').id];"
        " return !m._animatingZoom && !(m._panAnim && m._panAnim._inProgress); })()"
    )

    def is_still(window) -> bool:  # noqa: ANN001
        box: dict = {}
        window.desk_map.view.run_js(still, lambda result: box.setdefault("r", result))
        qtbot.waitUntil(lambda: "r" in box, timeout=5000)
        return box["r"] is True

    def settle(window) -> None:  # noqa: ANN001
        qtbot.waitUntil(lambda: is_still(window), timeout=5000)
        qtbot.wait(150)
        qtbot.waitUntil(lambda: is_still(window), timeout=5000)

    return settle


@pytest.fixture
def make_window(qtbot, ctx, tmp_path):
    """A function that opens a desk window on the test's store, with its own settings and log.

    Keyword arguments go to ``MainWindow`` (``with_map=False`` for a desk without the map).
    """
    from PySide6.QtCore import QSettings

    from evidence_app.ui.main_window import MainWindow

    made = []

    def make(**kw):  # noqa: ANN003, ANN202
        window = MainWindow(
            ctx,
            settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
            log_path=tmp_path / "log" / "desk.log",
            **kw,
        )
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.runner.shutdown()
