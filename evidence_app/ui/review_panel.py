"""The review panel: current status, the allowed next steps as buttons, rationale, history, four-eyes state."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import NotFound, ValidationError
from evidence_app.domain.review import DECISIONS, DISMISS_REASONS, Status, allowed_next, dismissal_rationale
from evidence_app.services import incident_queries
from evidence_app.ui.commands import Desk, DismissCommand, ReviewCommand
from evidence_app.ui.models.detail_models import ReviewHistoryModel, ReviewItem
from evidence_app.ui.style import STATUS_COLOURS

ACTION_LABELS = {
    Status.UNDER_REVIEW: "Start review",
    Status.CONFIRMED: "Confirm",
    Status.REJECTED: "Reject",
    Status.INCONCLUSIVE: "Inconclusive",
    Status.SUSPECTED: "Back to suspected",
    Status.DISMISSED: "Dismiss detection…",
}


class DismissDialog(QDialog):
    """Why a detection is a false positive: a reason from the list, and a note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dismiss detection")
        self.reason = QComboBox()
        self.reason.setAccessibleName("Reason for dismissing")
        for reason in DISMISS_REASONS:
            self.reason.addItem(reason, reason)
        self.note = QLineEdit()
        self.note.setAccessibleName("Note on the dismissal")
        self.note.setPlaceholderText("optional: what you saw (e.g. both at Ningbo anchorage)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Dismiss")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("Hidden from the list (status filter: dismissed), never re-created by detection."))
        form.addRow("Reason", self.reason)
        form.addRow("Note", self.note)
        form.addRow(buttons)

    def rationale(self) -> str:
        return dismissal_rationale(self.reason.currentData(), self.note.text())


def next_steps(current: Status) -> list[Status]:
    """Buttons to offer: the allowed transitions, plus deciding a suspected incident in one go."""
    steps = allowed_next(current)
    if current == Status.SUSPECTED:
        steps += [s for s in Status if s in DECISIONS]
    return steps


class ReviewPanel(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.incident_id: str | None = None
        self.status: Status | None = None
        self.four_eyes = False
        self.dismiss_dialog: DismissDialog | None = None
        self.status_label = QLabel()
        self.status_label.setObjectName("reviewStatus")
        self.status_label.setAccessibleName("Review status")
        self.four_eyes_label = QLabel()
        self.four_eyes_label.setObjectName("fourEyes")
        self.four_eyes_label.setWordWrap(True)
        self.rationale = QPlainTextEdit()
        self.rationale.setAccessibleName("Rationale for the review decision")
        self.rationale.setPlaceholderText("Rationale: required to confirm, reject, mark inconclusive or re-open")
        self.rationale.setMaximumHeight(64)
        self.rationale_error = QLabel()
        self.rationale_error.setStyleSheet("color: #c8382d")
        self.rationale_error.setWordWrap(True)
        self.rationale_error.hide()
        self.buttons_row = QHBoxLayout()
        self.buttons: dict[Status, QPushButton] = {}
        self.withdraw_button = QPushButton("Withdraw proposal")
        self.withdraw_button.setAccessibleName("Withdraw the pending confirmation proposal")
        self.withdraw_button.clicked.connect(self._withdraw)
        self.withdraw_button.hide()
        self.history = ReviewHistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history)
        self.history_view.setAccessibleName("Review history")
        self.history_view.verticalHeader().hide()
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setWordWrap(False)
        header = self.history_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((0, 118), (1, 110), (2, 190)):
            header.resizeSection(col, width)
        note = QLabel("Undo of a decision records the reverse step; the history is never erased.")
        note.setObjectName("undoNote")
        note.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.status_label)
        top.addStretch(1)
        top.addLayout(self.buttons_row)
        top.addWidget(self.withdraw_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.four_eyes_label)
        layout.addWidget(self.rationale)
        layout.addWidget(self.rationale_error)
        layout.addWidget(self.history_view, 1)
        layout.addWidget(note)
        self.setEnabled(False)

    def load(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self.rationale_error.hide()
        if not incident_id:
            self.history.set_rows([])
            self.status_label.setText("")
            self._set_buttons([])
            self.setEnabled(False)
            return
        try:
            incident = incident_queries.incident_view(self.desk.ctx, incident_id)
        except NotFound:
            self.load(None)
            return
        self.setEnabled(True)
        self.status = Status(incident.status)
        self.four_eyes = incident.four_eyes
        colour = STATUS_COLOURS[self.status.value]
        self.status_label.setText(f"<b>Status:</b> <span style='color:{colour}'>●</span> {self.status.label}")
        self.history.set_rows(
            [ReviewItem(r.at, r.reviewer, r.from_status, r.to_status, r.kind, r.rationale) for r in incident.reviews]
        )
        if self.four_eyes:
            if incident.confirmation_proposed_by:
                proposer, acting = incident.confirmation_proposed_by, self.desk.ctx.actor
                self.four_eyes_label.setText(
                    f"Four-eyes case: {proposer}'s proposal to confirm is waiting for a second reviewer. "
                    + (
                        f"You are acting as {acting}: another reviewer must confirm it (File ▸ Switch Reviewer…)."
                        if proposer == acting
                        else f"You are acting as {acting} and can confirm it as second reviewer."
                    )
                )
            else:
                self.four_eyes_label.setText("Four-eyes case: a confirmation needs a second reviewer.")
            self.four_eyes_label.show()
        else:
            self.four_eyes_label.hide()
        self.withdraw_button.setVisible(bool(incident.confirmation_proposed_by))
        self._set_buttons(next_steps(self.status))

    def _set_buttons(self, steps: list[Status]) -> None:
        for button in self.buttons.values():
            self.buttons_row.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for step in steps:
            label = "Re-open" if step == Status.UNDER_REVIEW and self.status in DECISIONS else ACTION_LABELS[step]
            button = QPushButton(label)
            button.setObjectName(f"review_{step.value}")
            button.setAccessibleName(f"Review: {label}")
            button.clicked.connect(lambda _c=False, s=step: self.decide(s))
            self.buttons_row.addWidget(button)
            self.buttons[step] = button

    def decide(self, target: Status) -> bool:
        if not self.incident_id or self.status is None:
            return False
        if target == Status.DISMISSED:
            return self.dismiss()
        rationale = self.rationale.toPlainText().strip()
        if (target in DECISIONS or self.status in DECISIONS) and not rationale:
            self._invalid(ValidationError("a rationale is required for this decision", field="rationale"))
            return False
        command = ReviewCommand(self.desk, self.incident_id, self.status.value, target.value, rationale)
        if self.desk.perform(command, on_invalid=self._invalid):
            self.rationale.clear()
            return True
        return False

    def dismiss(self) -> bool:
        """Ask for the reason (window-modal, non-blocking); the dismissal is one undoable step."""
        if not self.incident_id or self.status is None:
            return False
        dialog = DismissDialog(self)
        incident_id, status = self.incident_id, self.status.value
        self.dismiss_dialog = dialog

        def accepted() -> None:
            command = DismissCommand(self.desk, incident_id, status, dialog.rationale())
            self.desk.perform(command, on_invalid=self._invalid)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return True

    def _invalid(self, exc: ValidationError) -> None:
        self.rationale_error.setText(exc.message)
        self.rationale_error.show()
        if exc.field == "rationale":
            self.rationale.setFocus()

    def _withdraw(self) -> None:
        if not self.incident_id:
            return
        from evidence_app.services import review

        try:
            review.withdraw_proposal(self.desk.ctx, self.incident_id, rationale=self.rationale.toPlainText().strip())
        except Exception as exc:  # noqa: BLE001
            self.desk.report_error(exc)
        # Withdrawing is itself the undo of a proposal; it is recorded, not undoable.
        self.desk.incidentChanged.emit(self.incident_id)
