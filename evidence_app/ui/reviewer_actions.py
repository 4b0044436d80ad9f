"""Who is acting at the desk: File ▸ Switch Reviewer… and the status bar's "Acting as".

Four-eyes review on one workstation is the normal case (the analyst proposes, the
supervisor confirms at the same desk), so the acting reviewer changes without a restart.
Every service call reads the window's context at the moment it runs, so each audit entry
records whoever was acting then.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import ValidationError
from evidence_app.services import review
from evidence_app.ui.errors import valid_input
from evidence_app.ui.host import DeskController, DeskHost


class SwitchReviewerDialog(QDialog):
    """A list of the store's known reviewers, and a field for a new name."""

    def __init__(self, known: list[str], acting: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Switch reviewer")
        self.known = QListWidget()
        self.known.setAccessibleName("Known reviewers")
        self.known.addItems(known)
        for row in range(self.known.count()):
            if self.known.item(row).text() == acting:
                self.known.setCurrentRow(row)
        self.new_name = QLineEdit()
        self.new_name.setAccessibleName("New reviewer name")
        self.new_name.setPlaceholderText("or type a new reviewer's name")
        self.known.itemDoubleClicked.connect(lambda _item: self.accept())
        self.known.currentTextChanged.connect(lambda _t: self.new_name.clear() if self.known.hasFocus() else None)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c8382d")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Acting now: <b>{_escape(acting)}</b>. Who acts from now on?"))
        layout.addWidget(self.known)
        layout.addWidget(self.new_name)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        """The typed new name, else the selected known reviewer (checked like ``--reviewer``)."""
        typed = self.new_name.text()
        if typed.strip():
            return review.reviewer_name(typed)
        item = self.known.currentItem()
        if item is None:
            raise ValidationError("choose a reviewer or type a new name", field="reviewer")
        return review.reviewer_name(item.text())

    def accept(self) -> None:
        if valid_input(self.chosen, self.error_label):
            super().accept()


def _escape(text: str) -> str:
    import html

    return html.escape(text)


class ReviewerController(DeskController):
    """The Switch Reviewer dialog and the status bar label saying who is acting."""

    actorChanged = Signal(str)

    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.label = QLabel()
        self.label.setAccessibleName("Acting reviewer")
        self.label.setToolTip("Every change is recorded under this name (File ▸ Switch Reviewer…)")
        self.dialog: SwitchReviewerDialog | None = None
        self._show()

    def _show(self) -> None:
        self.label.setText(f"Acting as: {self.ctx.actor}")

    def open_dialog(self) -> SwitchReviewerDialog:
        """Window-modal and non-blocking; accepting it switches."""
        dialog = SwitchReviewerDialog(review.known_reviewers(self.ctx), self.ctx.actor, self.parent_widget)
        dialog.accepted.connect(lambda: self.switch_to(dialog.chosen()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def switch_to(self, name: str) -> bool:
        """Act as ``name`` from now on (undo of earlier steps is recorded under the new name too)."""
        try:
            name = review.reviewer_name(name)
        except ValidationError as exc:
            self.report_error(exc)
            return False
        if name == self.ctx.actor:
            return True
        self.host.desk.ctx = self.ctx.as_actor(name)
        self._show()
        self.status(f"Now acting as {name}: every change from here is recorded under this name.")
        self.actorChanged.emit(name)
        return True
