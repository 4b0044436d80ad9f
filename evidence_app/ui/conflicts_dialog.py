"""Conflicts shown as a record's two versions side by side: merge conflicts from case-file
imports (settled by Keep mine / Take theirs), and a save refused because a colleague changed
the record first (``EditConflictDialog``).

A conflict is a record changed both here and in the file since the two stores last
agreed. The dialog lists the open ones; the selected one shows every field of the local
and the incoming version, the differing fields first and marked. Each decision is one
audited ``services.casefiles.resolve_conflict`` call.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import ConflictError
from evidence_app.services import casefiles
from evidence_app.services.context import Context
from evidence_app.ui.models.detail_models import ListTableModel

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
DIFF_BACKGROUND = QColor(217, 154, 30, 70)  # amber, as the desk marks a claimed identity that differs
# Bookkeeping fields that differ with every save and say nothing about the evidence.
QUIET_FIELDS = {"version", "updated_at"}


def record_label(conflict: dict[str, Any]) -> str:
    """A human name for the conflicting record: its title, name or file name, else its id."""
    record = conflict.get("incoming_record") or {}
    for key in ("title", "name", "original_name"):
        if record.get(key):
            return str(record[key])
    return conflict["record_id"][:8]


def show_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False) if value else "—"
    return str(value)


class ConflictListModel(ListTableModel):
    """The open conflicts: record type, record, how many fields differ, when."""

    TYPE, RECORD, FIELDS, WHEN = range(4)
    HEADERS = ("Type", "Record", "Fields in conflict", "Imported (UTC)")

    def conflict_at(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            if col == self.TYPE:
                return c["record_type"].replace("_", " ")
            if col == self.RECORD:
                return record_label(c)
            if col == self.FIELDS:
                return ", ".join(f.replace("_", " ") for f in c["fields"])
            if col == self.WHEN:
                return c["created_at"][:16].replace("T", " ")
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{c['record_type']} {c['record_id']}, imported {c['created_at'][:16].replace('T', ' ')} UTC"
        if role == self.IdRole:
            return c["id"]
        return None


class RecordDiffModel(ListTableModel):
    """Every field of the two versions of one record, side by side; differing fields first and marked."""

    FIELD, MINE, THEIRS = range(3)
    HEADERS = ("Field", "Mine (this store)", "Theirs (the case file)")
    DiffersRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.only_differences = False
        self._conflict: dict[str, Any] | None = None

    def set_conflict(self, conflict: dict[str, Any] | None) -> None:
        self.beginResetModel()
        self._conflict = conflict
        self._rows = []
        if conflict is not None:
            local = conflict.get("local_record") or {}
            incoming = conflict.get("incoming_record") or {}
            for name in sorted(set(local) | set(incoming), key=lambda n: (n not in conflict["fields"], n)):
                if name in QUIET_FIELDS:
                    continue
                mine, theirs = local.get(name), incoming.get(name)
                differs = name in conflict["fields"] or mine != theirs
                if differs or not self.only_differences:
                    self._rows.append((name, mine, theirs, differs))
        self.endResetModel()

    def set_only_differences(self, only: bool) -> None:
        self.only_differences = only
        self.set_conflict(self._conflict)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, mine, theirs, differs = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            return name.replace("_", " ") if col == self.FIELD else show_value(mine if col == self.MINE else theirs)
        if role == Qt.ItemDataRole.ToolTipRole and col != self.FIELD:
            return show_value(mine if col == self.MINE else theirs)
        if role == Qt.ItemDataRole.BackgroundRole and differs:
            return QBrush(DIFF_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and differs:
            font = QFont()
            font.setBold(True)
            return font
        if role == self.DiffersRole:
            return differs
        return None


class ConflictsDialog(QDialog):
    """Open conflicts on the left, the selected record's two versions on the right, and the two decisions."""

    resolved = Signal(str, str)  # conflict id, "keep-local" | "take-incoming"

    def __init__(
        self,
        ctx: Context,
        report_error: Callable[[BaseException], None],
        *,
        case_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.report_error, self.case_id = ctx, report_error, case_id
        self.setWindowTitle("Merge conflicts")
        self.setObjectName("conflictsDialog")
        self.resize(1000, 560)
        intro = QLabel(
            "These records were changed both here and in the imported case file since the two stores last "
            "agreed. Nothing was overwritten. For each, keep your version or take the file's."
        )
        intro.setWordWrap(True)
        self.conflicts = ConflictListModel(self)
        self.list_view = QTableView()
        self.list_view.setModel(self.conflicts)
        self.list_view.setAccessibleName("Open conflicts")
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.verticalHeader().hide()
        list_header = self.list_view.horizontalHeader()
        list_header.setStretchLastSection(False)
        list_header.setSectionResizeMode(ConflictListModel.TYPE, QHeaderView.ResizeMode.ResizeToContents)
        list_header.setSectionResizeMode(ConflictListModel.RECORD, QHeaderView.ResizeMode.Stretch)
        list_header.setSectionResizeMode(ConflictListModel.FIELDS, QHeaderView.ResizeMode.Stretch)
        self.list_view.setColumnHidden(
            ConflictListModel.WHEN, True
        )  # in the row's tooltip instead: the list stays narrow
        self.list_view.setWordWrap(False)
        self.list_view.setMinimumWidth(340)
        compact = self.list_view.fontMetrics().height() + 10
        self.list_view.verticalHeader().setDefaultSectionSize(compact)

        self.diff = RecordDiffModel(self)
        self.diff_view = QTableView()
        self.diff_view.setModel(self.diff)
        self.diff_view.setAccessibleName("Field-level comparison")
        self.diff_view.verticalHeader().hide()
        self.diff_view.setWordWrap(False)  # long values are in the tooltip
        self.diff_view.verticalHeader().setDefaultSectionSize(compact)
        self.diff_view.setAlternatingRowColors(True)
        self.diff_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.diff_view.horizontalHeader()
        header.setSectionResizeMode(RecordDiffModel.FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RecordDiffModel.MINE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(RecordDiffModel.THEIRS, QHeaderView.ResizeMode.Stretch)
        self.record_title = QLabel()
        font = self.record_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.record_title.setFont(font)
        self.only_diff = QCheckBox("Only fields that differ")
        self.only_diff.toggled.connect(self.diff.set_only_differences)
        self.keep_button = QPushButton("Keep mine")
        self.keep_button.setAccessibleName("Keep mine")
        self.keep_button.setToolTip("Keep this store's version; the file's version is recorded as seen")
        self.take_button = QPushButton("Take theirs")
        self.take_button.setAccessibleName("Take theirs")
        self.take_button.setToolTip("Replace this store's version with the case file's (audited)")
        self.keep_button.clicked.connect(lambda: self.resolve_current("keep-local"))
        self.take_button.clicked.connect(lambda: self.resolve_current("take-incoming"))
        self.empty_label = QLabel("No open conflicts.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.record_title, 1)
        title_row.addWidget(self.only_diff)
        right_layout.addLayout(title_row)
        right_layout.addWidget(self.diff_view, 1)
        decide = QHBoxLayout()
        decide.addStretch(1)
        decide.addWidget(self.keep_button)
        decide.addWidget(self.take_button)
        right_layout.addLayout(decide)
        splitter = QSplitter()
        splitter.addWidget(self.list_view)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(buttons)
        self.list_view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur.row()))
        self.reload()

    def reload(self) -> None:
        self.conflicts.set_rows(casefiles.list_conflicts(self.ctx, case_id=self.case_id))
        has = self.conflicts.rowCount() > 0
        self.empty_label.setVisible(not has)
        if has:
            self.list_view.selectRow(0)
            self._show(0)
        else:
            self._show(-1)

    def current_conflict(self) -> dict[str, Any] | None:
        return self.conflicts.conflict_at(self.list_view.currentIndex().row())

    def _show(self, row: int) -> None:
        conflict = self.conflicts.conflict_at(row)
        self.diff.set_conflict(conflict)
        self.keep_button.setEnabled(conflict is not None)
        self.take_button.setEnabled(conflict is not None)
        if conflict is None:
            self.record_title.setText("")
            return
        n = len(conflict["fields"])
        self.record_title.setText(
            f"{conflict['record_type'].replace('_', ' ').capitalize()} “{record_label(conflict)}”: "
            f"{n} field{'s' if n != 1 else ''} differ"
        )

    def resolve_current(self, choice: str) -> bool:
        conflict = self.current_conflict()
        if conflict is None:
            return False
        try:
            casefiles.resolve_conflict(self.ctx, conflict["id"], choice)
        except Exception as exc:  # noqa: BLE001 (user errors and bugs alike go to the window's reporter)
            self.report_error(exc)
            return False
        self.resolved.emit(conflict["id"], choice)
        self.reload()
        return True


class EditDiffModel(RecordDiffModel):
    """A refused save: what you wanted beside what the record holds now (one row per field)."""

    HEADERS = ("Field", "You wanted", "Now in the store")


class EditConflictDialog(QDialog):
    """A save refused by optimistic locking: both versions, who changed the record, and nothing lost.

    The refusal is already in the audit log; the panels reload, so the user decides again
    on the current values.
    """

    def __init__(self, exc: ConflictError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editConflictDialog")
        self.setWindowTitle("Changed by someone else")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(640, 300)
        # Names and titles come from the store (and case files): escaped in this rich-text label.
        who = html.escape(exc.changed_by or "someone else")
        when = f" at {html.escape(exc.changed_at[:19].replace('T', ' '))} UTC" if exc.changed_at else ""
        intro = QLabel(
            f"{exc.entity.capitalize()} “{html.escape(exc.label)}” was changed by <b>{who}</b>{when} after your edit was based on it "
            f"(version {exc.expected_version}, now {exc.current_version}). Your change was <b>not</b> saved; "
            "the attempt is recorded in the audit log. Look at the current values and decide again."
        )
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        self.intro = intro
        self.diff = EditDiffModel(self)
        wanted = {name: w for name, (w, _c) in exc.fields.items()}
        current = {name: c for name, (_w, c) in exc.fields.items()}
        self.diff.set_conflict({"fields": list(exc.fields), "local_record": wanted, "incoming_record": current})
        view = QTableView()
        view.setModel(self.diff)
        view.setAccessibleName("Your version and the current one")
        view.verticalHeader().hide()
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = view.horizontalHeader()
        header.setSectionResizeMode(RecordDiffModel.FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RecordDiffModel.MINE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(RecordDiffModel.THEIRS, QHeaderView.ResizeMode.Stretch)
        self.view = view
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(view, 1)
        layout.addWidget(buttons)
