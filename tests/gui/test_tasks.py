"""run_task: result, error, progress and cancel arrive on the GUI thread."""

import threading
import time

import pytest

from evidence_app.domain.errors import Cancelled, UserError
from evidence_app.workers.tasks import TaskRunner, running_tasks

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    r.cancel_all()
    r.wait_idle()


def test_result_and_progress_arrive_on_the_gui_thread(qtbot, runner):
    seen = []
    worker_threads = []

    def work(progress, cancel):
        worker_threads.append(threading.current_thread())
        for i in range(3):
            progress(i + 1, 3, f"step {i + 1}")
        return 42

    task = runner.run_task(work, on_progress=lambda d, t, m: seen.append((d, t, m, threading.current_thread())))
    with qtbot.waitSignal(task.succeeded, timeout=5000) as blocker:
        pass
    assert blocker.args == [42]
    assert worker_threads[0] is not threading.main_thread()
    assert [(d, t, m) for d, t, m, _ in seen] == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert all(th is threading.main_thread() for *_, th in seen)


def test_error_is_delivered_with_its_traceback(qtbot, runner):
    def broken():
        raise KeyError("bug")

    task = runner.run_task(broken, with_progress=False)
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    exc = blocker.args[0]
    assert isinstance(exc, KeyError)
    assert "in broken" in exc.__traceback_text__

    task = runner.run_task(
        lambda: (_ for _ in ()).throw(UserError("bad file", location="x.csv:3")), with_progress=False
    )
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert str(blocker.args[0]) == "x.csv:3: bad file"


def test_cancel_stops_the_work(qtbot, runner):
    started = threading.Event()

    def slow(progress, cancel):
        started.set()
        for _ in range(500):
            cancel.raise_if_cancelled()
            time.sleep(0.01)
        return "finished"

    task = runner.run_task(slow)
    assert started.wait(5)
    task.cancel()
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], Cancelled)
    assert task.result is None
    qtbot.waitUntil(lambda: not running_tasks(), timeout=2000)
