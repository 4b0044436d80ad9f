"""Run a service call on a thread pool; deliver its progress, result or error on the GUI thread.

One small module for every long operation (the pattern of Picard's ``run_task``): the
function runs on a worker thread with a ``Progress`` callable and a ``CancelToken`` from
``evidence_app.domain.progress``; a ``Task`` object living on the GUI thread re-emits what
happened as Qt signals, delivered through queued connections.

The workers are Python threads (``concurrent.futures``), not ``QThreadPool``'s: C
extensions that keep per-thread state through Python's thread API crash on threads
Python did not create (pyproj 3.7 segfaults on a QThreadPool worker; the fixed pyproj
needs Python 3.12). Qt adopts a Python thread on its first signal emission, so queued
delivery to the GUI thread works the same.
"""

from __future__ import annotations

import logging
import threading
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    Qt,
    Signal,
    Slot,
)

from evidence_app.domain.errors import Cancelled
from evidence_app.domain.progress import CancelToken

log = logging.getLogger(__name__)

# Every task not yet finished, with where it was started: a test fixture fails a test that
# leaves one running (as napari's conftest does for threads). Weak, so it holds nothing alive.
_running: weakref.WeakSet[Task] = weakref.WeakSet()


class Task(QObject):
    """Handle on one background call. Signals arrive on the thread that created it (the GUI)."""

    progress = Signal(int, object, str)  # done, total (None when unknown), message
    succeeded = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception (Cancelled when the user cancelled)
    finished = Signal()  # after succeeded or failed, always

    # Internal: emitted from the worker thread, received on the GUI thread (queued).
    _progress_from_worker = Signal(int, object, str)
    _done_from_worker = Signal(bool, object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.name = name
        self.token = CancelToken()
        self.result: Any = None
        self.error: BaseException | None = None
        self.started_at = "".join(traceback.format_stack(limit=8)[:-2])
        self._done = threading.Event()
        self._progress_from_worker.connect(self._relay_progress, Qt.ConnectionType.QueuedConnection)
        self._done_from_worker.connect(self._relay_done, Qt.ConnectionType.QueuedConnection)

    @property
    def done(self) -> bool:
        """The function has returned or raised (its signals may still be on their way)."""
        return self._done.is_set()

    def cancel(self) -> None:
        """Ask the function to stop at its next check; it raises Cancelled and rolls back."""
        self.token.cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the function has returned (not its signals: process events for those)."""
        return self._done.wait(timeout_s)

    @Slot(int, object, str)
    def _relay_progress(self, done: int, total: object, message: str) -> None:
        self.progress.emit(done, total, message)

    @Slot(bool, object)
    def _relay_done(self, ok: bool, value: object) -> None:
        _running.discard(self)
        if ok:
            self.result = value
            self.succeeded.emit(value)
        else:
            self.error = value  # type: ignore[assignment]
            self.failed.emit(value)
        self.finished.emit()


class _Runnable:
    def __init__(self, task: Task, func: Callable[..., Any], with_progress: bool) -> None:
        self._task = task
        self._func = func
        self._with_progress = with_progress

    def run(self) -> None:
        task = self._task

        def report(done: int, total: int | None, message: str = "") -> None:
            task._progress_from_worker.emit(int(done), total, message)

        try:
            if self._with_progress:
                value = self._func(progress=report, cancel=task.token)
            else:
                value = self._func()
        except BaseException as exc:  # delivered to the GUI, which decides how to show it
            if not isinstance(exc, Cancelled):
                exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            task._done.set()
            task._done_from_worker.emit(False, exc)
        else:
            task._done.set()
            task._done_from_worker.emit(True, value)


class TaskRunner(QObject):
    """Owns a thread pool and the tasks started on it; the window cancels and drains it on close."""

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="evidence-worker")
        self._futures: set[Future[None]] = set()
        self._tasks: list[Task] = []

    def run_task(
        self,
        func: Callable[..., Any],
        *,
        name: str = "task",
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, object, str], None] | None = None,
        with_progress: bool = True,
    ) -> Task:
        """Start ``func(progress=..., cancel=...)`` (or ``func()``) on the pool.

        ``on_result``/``on_error``/``on_progress`` are called on the GUI thread.
        """
        task = Task(name, self)
        if on_progress is not None:
            task.progress.connect(on_progress)
        if on_result is not None:
            task.succeeded.connect(on_result)
        if on_error is not None:
            task.failed.connect(on_error)
        task.finished.connect(lambda t=task: self._forget(t))
        self._tasks.append(task)
        _running.add(task)
        future = self._executor.submit(_Runnable(task, func, with_progress).run)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return task

    def _forget(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        task.deleteLater()

    def active(self) -> list[Task]:
        return [t for t in self._tasks if not t.done]

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until every started function has returned; True when none is left running."""
        _done, not_done = wait(list(self._futures), timeout=timeout_ms / 1000)
        return not not_done

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel every task, wait for each function to return, and deliver its outcome now.

        Used when the window closes: the queued result/error of a cancelled task would
        otherwise arrive after the window has gone.
        """
        self.cancel_all()
        self.wait_idle(timeout_ms)
        for task in list(self._tasks):
            QCoreApplication.sendPostedEvents(task, QEvent.Type.MetaCall.value)


def running_tasks() -> list[Task]:
    """Tasks whose completion has not yet been delivered (for test fixtures and diagnostics)."""
    return list(_running)
