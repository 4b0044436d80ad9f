"""File ▸ Open Team Database…: a PostgreSQL URL, checked and remembered per user, opened in a desk window.

The evidence folder comes from the database (``team init --objects``), the acting reviewer is
the database login (``services.context.context_for``). The URL is remembered in the desk's
settings without its password (the password belongs in ``~/.pgpass`` or ``PGPASSWORD``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.services.context import context_for
from evidence_app.services.team import team_database_url, url_to_remember
from evidence_app.storage.db import open_store
from evidence_app.ui.host import DeskController, DeskHost

SETTINGS_KEY = "team/url"


class OpenTeamDatabaseDialog(QDialog):
    def __init__(self, remembered: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open team database")
        self.url_edit = QLineEdit(remembered)
        self.url_edit.setAccessibleName("Team database URL")
        self.url_edit.setPlaceholderText("postgresql+psycopg://alice@dbhost/cases")
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel(
            "You act as your database login. The password comes from ~/.pgpass or PGPASSWORD;"
            " the evidence folder is the one recorded in the database."
        )
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Database URL", self.url_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.url = ""

    def accept(self) -> None:
        try:
            self.url = team_database_url(self.url_edit.text())
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        super().accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.url_edit.setFocus()


class TeamDatabaseController(DeskController):
    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.dialog: OpenTeamDatabaseDialog | None = None
        self.window = None  # the desk window on the team database

    def remembered(self) -> str:
        return str(self.host.settings.value(SETTINGS_KEY, "") or "")

    def choose(self) -> OpenTeamDatabaseDialog:
        dialog = OpenTeamDatabaseDialog(self.remembered(), self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.open_url(dialog.url))
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_url(self, url: str):  # noqa: ANN201 - a MainWindow, or None when it could not be opened
        """Open ``url`` (already checked) in a new desk window acting as the login; remember it."""
        try:
            store = open_store(url)
        except UserError as exc:
            self.report_error(exc)
            return None
        try:
            ctx = context_for(store)
        except UserError as exc:
            store.close()
            self.report_error(exc)
            return None
        self.host.settings.setValue(SETTINGS_KEY, url_to_remember(url))
        window = self.host.open_sibling_window(ctx)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda *_: store.close())
        window.show()
        self.window = window
        self.status(f"Opened the team database {store.display_name} as {ctx.actor}.")
        return window
