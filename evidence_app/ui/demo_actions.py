"""File ▸ Open Demo: the fictitious demo case in its own store, shown in a window of its own.

The demo store sits beside the store in use (``services.demo.demo_store_path``); the
user's window and store are untouched, so real detections never meet the demo tankers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from evidence_app import APP_NAME
from evidence_app.domain.errors import Cancelled
from evidence_app.services import demo
from evidence_app.ui.background import run_with_progress
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.workers.tasks import Task

if TYPE_CHECKING:
    from evidence_app.ui.main_window import MainWindow


class DemoController(DeskController):
    """Generates or finds the demo store on the worker, then opens a desk window on it."""

    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.task: Task | None = None
        self.window: MainWindow | None = None  # the demo's window, while open

    def open_demo(self) -> Task | None:
        if self.window is not None:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()
            return None
        if self.task is not None:
            return self.task
        location, actor = self.ctx.store.location, self.ctx.actor

        def done(opened: demo.DemoStore) -> None:
            self.task = None
            self._show(opened)

        def failed(exc: BaseException) -> None:
            self.task = None
            if not isinstance(exc, Cancelled):
                self.report_error(exc)

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            lambda progress, cancel: demo.open_demo_store(location, actor, progress=progress, cancel=cancel),
            title=APP_NAME,
            label="Opening the demo case (its own store)…",
            on_result=done,
            on_error=failed,
            name="demo case",
        )
        return self.task

    def _show(self, opened: demo.DemoStore) -> None:
        window = self.host.open_sibling_window(opened.ctx)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.setWindowTitle(f"{APP_NAME} — DEMO (fictitious data) — {opened.ctx.store.display_name}")
        window.list_panel.reload_cases(select_id=opened.case_id)
        store = opened.ctx.store

        def closed() -> None:
            self.window = None
            store.close()

        window.destroyed.connect(closed)
        self.window = window
        window.show()
        window.raise_()
