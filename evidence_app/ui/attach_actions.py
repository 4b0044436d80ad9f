"""Attaching files to an incident from the desk: on the worker, behind the one progress dialog.

Images go through photo import (georeferencing, capture time, pyramid), the rest attach
as plain files, all in one all-or-nothing transaction; the result becomes one undoable
``AttachCommand``. Cancel (or closing the window) rolls the whole attach back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from evidence_app.domain.errors import Cancelled, UserError
from evidence_app.services import evidence, overlays, photo_import
from evidence_app.ui.background import run_with_progress
from evidence_app.ui.commands import AttachCommand
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.workers.tasks import Task


class AttachController(DeskController):
    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.task: Task | None = None

    def choose_files(self, incident_id: str | None) -> None:
        if not incident_id:
            return
        paths, _ = QFileDialog.getOpenFileNames(self.parent_widget, "Attach files to the incident")
        if paths:
            self.attach_files(incident_id, paths)

    def attach_files(self, incident_id: str, paths: list[str]) -> Task | None:
        """Store and attach files on a worker, with a cancellable progress dialog; then one undoable command."""
        if self.task is not None:
            self.report_error(UserError("another attach is still running: wait for it or cancel it"))
            return None
        names = [Path(p).name for p in paths]
        ctx, desk = self.ctx, self.host.desk

        def finished(result: evidence.AttachResult) -> None:
            self.task = None
            if result.attached:
                desk.perform(AttachCommand(desk, incident_id, result.attached, names), already_done=True)
                desk.incidentChanged.emit(incident_id)
            extra = f"; {len(result.already_linked)} already attached" if result.already_linked else ""
            self.status(f"Attached {len(result.attached)} item(s){extra}.")

        def failed(exc: BaseException) -> None:
            self.task = None
            if isinstance(exc, Cancelled):
                self.status("Attach cancelled: nothing was attached.")
            elif self.parent_widget.isVisible():
                self.report_error(exc)

        def attach(progress, cancel) -> evidence.AttachResult:  # noqa: ANN001 - on the worker
            result = photo_import.attach_files(ctx, incident_id, paths, progress=progress, cancel=cancel)
            for evidence_id in result.attached:
                try:
                    overlays.overlay_for(ctx, evidence_id)  # warm the map overlay here, not on the GUI thread
                except UserError:
                    pass  # not an imported photo: no overlay
            return result

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            attach,
            title="Attach evidence",
            label=f"Attaching {names[0] if len(names) == 1 else f'{len(names)} files'}…",
            on_result=finished,
            on_error=failed,
            name=f"attach {len(paths)} file(s)",
        )
        return self.task
