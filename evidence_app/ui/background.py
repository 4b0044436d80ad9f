"""A service call on the worker with a cancellable progress dialog: the one shape every import and export takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from evidence_app.workers.tasks import Task, TaskRunner

STEPS = 1000  # the dialog's range: service totals (bytes, rows) are scaled onto it


def run_with_progress(
    parent: QWidget,
    runner: TaskRunner,
    func: Callable[..., Any],
    *,
    title: str,
    label: str,
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    name: str = "",
) -> Task:
    """Start ``func(progress=, cancel=)`` on ``runner`` behind a window-modal progress dialog.

    Cancel asks the service to stop at its next check; it raises ``Cancelled`` and its
    transaction rolls back, so ``on_error`` receives ``Cancelled`` and nothing was written.
    The dialog is ``task.progress_dialog`` (tests press its Cancel button).
    """
    focus = QApplication.focusWidget()
    dialog = QProgressDialog(label, "Cancel", 0, STEPS, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)
    dialog.setValue(0)

    def progress(done: int, total: object, message: str) -> None:
        if isinstance(total, int) and total > 0:
            dialog.setValue(min(STEPS - 1, int(done * STEPS / total)))
        else:
            dialog.setRange(0, 0)  # unknown total: a busy bar
        if message:
            dialog.setLabelText(f"{label}\n{message}")

    def finished(value: Any) -> None:
        _close(dialog, focus)
        on_result(value)

    def failed(exc: BaseException) -> None:
        _close(dialog, focus)
        on_error(exc)

    task = runner.run_task(func, name=name or title, on_result=finished, on_error=failed, on_progress=progress)
    dialog.canceled.connect(task.cancel)
    task.progress_dialog = dialog  # type: ignore[attr-defined]
    return task


def _close(dialog: QProgressDialog, focus: QWidget | None) -> None:
    dialog.reset()
    # Only a dialog that was shown is hidden: hiding a window-modal dialog that never appeared
    # (a short task) takes the keyboard focus from its window, and Ctrl+Z no longer reaches it.
    if dialog.isVisible():
        dialog.hide()
        # The dialog's own activation may still be on its way (a short task hides it as it
        # appears), and not every platform gives activation back to the window it covered:
        # ask for the window, or its shortcuts (Ctrl+Z) go to a hidden dialog.
        parent = dialog.parentWidget()
        if parent is not None:
            parent.window().activateWindow()
    # The keyboard goes back where it was when the task started (a shown dialog took it).
    if focus is not None and QApplication.focusWidget() is None:
        try:
            focus.setFocus()
        except RuntimeError:  # that widget is gone meanwhile
            pass
