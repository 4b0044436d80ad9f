"""What a feature controller needs from the window: one host object instead of a row of callbacks.

Each feature of the desk (imports, case files, reviewers, vessels, the demo, attaching,
store checks) lives in its own controller that receives the window as a ``DeskHost``.
Controllers read ``host.ctx`` at the moment they act, so switching reviewer takes effect
everywhere at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from evidence_app.services.context import Context
    from evidence_app.ui.commands import Desk
    from evidence_app.workers.tasks import TaskRunner


class DeskHost(Protocol):
    """The window as its controllers see it."""

    @property
    def ctx(self) -> Context: ...  # the store and the acting reviewer, as of now

    desk: Desk
    runner: TaskRunner

    def report_error(self, exc: BaseException) -> None: ...

    def show_status(self, text: str) -> None: ...

    def current_case_id(self) -> str | None: ...

    def current_case_title(self) -> tuple[str, str] | None: ...

    def case_choices(self) -> list[tuple[str, str]]: ...

    def open_sibling_window(self, ctx: Context) -> Any: ...  # another desk window (the demo's store)

    def show_incident(self, incident_id: str, case_id: str = "") -> bool: ...

    vesselTrackRequested: Any  # Signal(int): a vessel page's "Show track on map"


class DeskController(QObject):
    """Base of the window's feature controllers: the host, and its window as dialogs' parent."""

    def __init__(self, host: DeskHost) -> None:
        assert isinstance(host, QWidget)
        super().__init__(host)
        self.host = host
        self.parent_widget: QWidget = host

    @property
    def ctx(self) -> Context:
        return self.host.ctx

    @property
    def runner(self) -> TaskRunner:
        return self.host.runner

    def report_error(self, exc: BaseException) -> None:
        self.host.report_error(exc)

    def status(self, text: str) -> None:
        self.host.show_status(text)
