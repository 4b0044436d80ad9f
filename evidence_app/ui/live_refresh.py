"""The live desk: other clients' changes appear without a restart, and a lost server is said plainly.

Every few seconds the desk reads the store's change marker (``Store.change_marker()``, one
primary-key read that changes on every commit by any client, SQLite or PostgreSQL). The read
runs on a thread of its own, so a server that does not answer never freezes the window; the
answer comes back to the GUI thread as a signal. When the marker moved, the desk reloads the
incident list, the map and the selected incident's panels (``Desk.incidentsChanged``), keeping
the selection. While the user is typing in the incident panel the reload waits for the next
poll, so a half-typed edit is never overwritten.

A poll that fails because the server went away shows "Connection to … lost" in the status bar
(naming the server) until a poll succeeds again. An edit the server never received (the
storage layer raises ``ConnectionLost``: nothing of it was saved) is kept, not shown as an
error box: the field keeps what the user typed, and the first poll that reaches the server
again performs the edit once more (a conflict with someone's newer edit then shows as usual).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel

from evidence_app.domain.errors import ConnectionLost
from evidence_app.ui.host import DeskController, DeskHost

if TYPE_CHECKING:
    from evidence_app.ui.commands import DeskCommand

POLL_INTERVAL_MS = 2000


class _Relay(QObject):
    """Carries a poll's answer from the polling thread to the GUI thread (a queued signal)."""

    answered = Signal(str)
    failed = Signal(str)


class LiveRefreshController(DeskController):
    """Polls the change marker and refreshes the desk when another client wrote."""

    refreshed = Signal()  # the desk reloaded because the store changed under it
    connectionChanged = Signal(bool)  # False when the server went away, True when it is back

    def __init__(self, host: DeskHost, *, interval_ms: int = POLL_INTERVAL_MS) -> None:
        super().__init__(host)
        self.last_marker: str | None = None
        self.connected = True
        self.lost_message = ""
        self.polls = 0  # answered polls, for tests and diagnostics
        self.pending: list[DeskCommand] = []  # edits the server never received, saved when it is back
        host.desk.on_connection_lost = self._keep_edit
        self._in_flight = False
        self._closed = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-live-poll")
        self._relay = _Relay(self)
        self._relay.answered.connect(self._answered)
        self._relay.failed.connect(self._failed)
        self.label = QLabel("")
        self.label.setObjectName("connectionLost")
        self.label.setAccessibleName("Connection state")
        self.label.setStyleSheet("background: #b3261e; color: white; font-weight: bold; padding: 1px 6px;")
        self.label.hide()
        try:
            self.last_marker = self.ctx.store.change_marker()
        except Exception:  # noqa: BLE001 - the first poll reports it
            self.last_marker = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def set_interval(self, interval_ms: int) -> None:
        self.timer.setInterval(interval_ms)

    def poll(self) -> None:
        """Ask the store for its change marker, off the GUI thread; one question at a time."""
        if self._in_flight or self._closed:
            return
        self._in_flight = True
        store = self.ctx.store
        relay = self._relay

        def ask() -> None:
            try:
                marker = store.change_marker()
            except Exception as exc:  # noqa: BLE001 - any failure is reported on the GUI thread
                relay.failed.emit(str(exc))
            else:
                relay.answered.emit(marker)

        self._pool.submit(ask)

    def _answered(self, marker: str) -> None:
        self._in_flight = False
        self.polls += 1
        if self._closed:
            return
        if not self.connected:
            self.connected = True
            self.lost_message = ""
            self.label.hide()
            self.status(f"Connection to {self.ctx.store.display_name} is back.")
            self.connectionChanged.emit(True)
        if self.pending:
            self.save_pending()
            if not self.connected:
                return
        if marker == self.last_marker:
            return
        if self._user_is_typing():
            return  # the marker stays unseen: the next poll reloads once the edit is committed
        self.last_marker = marker
        self.host.desk.incidentsChanged.emit()
        self.refreshed.emit()

    def _failed(self, message: str) -> None:
        self._in_flight = False
        if self._closed:
            return
        self._lost(message)

    def _lost(self, message: str) -> None:
        self.lost_message = message
        kept = f"; {len(self.pending)} unsaved edit(s) kept, saved when it is back" if self.pending else ""
        self.label.setText(f" Connection to {self.ctx.store.display_name} lost{kept} ")
        self.label.setToolTip(message)
        self.label.show()
        if self.connected:
            self.connected = False
            self.status(f"Connection to {self.ctx.store.display_name} lost: {message}")
            self.connectionChanged.emit(False)

    def _keep_edit(self, command: DeskCommand, exc: ConnectionLost) -> None:
        """An edit the server never received: keep it for the retry, say so, no error box."""
        self.pending.append(command)
        self._lost(str(exc))
        self.status(f"Connection to {self.ctx.store.display_name} lost: your edit is kept and saved when it is back.")

    def save_pending(self) -> None:
        """Perform the kept edits again, in order; one the server still does not take is kept again."""
        waiting, self.pending = self.pending, []
        for index, command in enumerate(waiting):
            self.host.desk.perform(command)
            if not self.connected or self.pending:
                self.pending.extend(waiting[index + 1 :])
                return
        self.status(f"Saved {len(waiting)} edit(s) kept while the connection was lost.")

    def _user_is_typing(self) -> bool:
        focus = QApplication.focusWidget()
        detail = getattr(self.host, "detail", None)
        return focus is not None and detail is not None and detail.isAncestorOf(focus)

    def close(self) -> None:
        """Stop polling and wait for a poll still running (the window is closing)."""
        self._closed = True
        self.timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
