"""Tools ▸ Verify Store: re-hash every evidence file and check the audit chain, with progress and cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from evidence_app.domain.errors import Cancelled
from evidence_app.services.verify import VerifyReport, verify_store
from evidence_app.ui.background import run_with_progress
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.workers.tasks import Task


class StoreCheckController(DeskController):
    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.task: Task | None = None
        self.result_box: QMessageBox | None = None

    def verify(self) -> Task:
        if self.task is not None:
            return self.task
        store = self.ctx.store

        def shown(report: VerifyReport) -> None:
            self.task = None
            text = (
                "The store verifies: every evidence file matches its hash and the audit chain is intact."
                if report.ok
                else "\n".join(report.problems[:20])
            )
            box = QMessageBox(
                QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Warning,
                "Verify store",
                text,
                QMessageBox.StandardButton.Ok,
                self.parent_widget,
            )
            box.open()
            self.result_box = box

        def failed(exc: BaseException) -> None:
            self.task = None
            if isinstance(exc, Cancelled):
                self.status("Verify cancelled: nothing was checked to the end.")
            else:
                self.report_error(exc)

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            lambda progress, cancel: verify_store(store, progress=progress, cancel=cancel),
            title="Verify store",
            label="Re-hashing every evidence file and checking the audit chain…",
            on_result=shown,
            on_error=failed,
            name="verify store",
        )
        return self.task
