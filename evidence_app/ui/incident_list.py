"""The left panel: case selector, filter bar, the incident list (drop files on a row to attach) and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QEvent, QModelIndex, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.review import Status
from evidence_app.domain.timeparse import parse_utc
from evidence_app.services import incident_queries, tags
from evidence_app.services.incident_queries import IncidentFilter
from evidence_app.ui.commands import Desk
from evidence_app.ui.models.detail_models import CaseListModel
from evidence_app.ui.models.incident_table_model import IncidentTableModel
from evidence_app.ui.style import status_icon
from evidence_app.ui.timeline import TimelineStrip


def dropped_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class IncidentTableView(QTableView):
    """The list; files dropped on a row are attached to that incident."""

    filesDropped = Signal(str, list)  # incident id, paths

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_paths(event) and self.indexAt(event.position().toPoint()).isValid():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        index = self.indexAt(event.position().toPoint())
        if paths and index.isValid():
            event.acceptProposedAction()
            self.filesDropped.emit(index.data(IncidentTableModel.IdRole), paths)
        else:
            event.ignore()


class IncidentListPanel(QWidget):
    incidentSelected = Signal(str)
    caseSelected = Signal(str)
    filterChanged = Signal(object)  # the IncidentFilter the list now shows (the map follows it)
    filesDropped = Signal(str, list)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        ctx = desk.ctx
        self.cases = CaseListModel(self)
        self.case_combo = QComboBox()
        self.case_combo.setModel(self.cases)
        self.case_combo.setAccessibleName("Case")
        self.case_combo.setToolTip("The case whose incidents are listed")

        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Filter by status")
        self.status_combo.addItem("Any status", "")
        for s in Status:
            self.status_combo.addItem(status_icon(s.value), s.label, s.value)
        self.since_edit = self._line("from (UTC date)", "Filter: incidents ending on or after this date")
        self.until_edit = self._line("to (UTC date)", "Filter: incidents starting on or before this date")
        self.vessel_edit = self._line("vessel: IMO, MMSI or name", "Filter by a participating vessel")
        self.text_edit = self._line("search title, location, cargo… (Ctrl+F)", "Free-text filter")
        self.tag_edit = self._line("tag", "Filter by tag")
        self.tag_completions = QStringListModel(self)
        completer = QCompleter(self.tag_completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(completer)
        self.mine_check = QCheckBox("Only mine to review")
        self.mine_check.setToolTip("Confirmations proposed by someone else that you, as second reviewer, can decide")
        self.mine_check.setAccessibleName("Only incidents awaiting my review")
        self.tag_edit.installEventFilter(self)
        self.filter_error = QLabel()
        self.filter_error.setObjectName("filterError")
        self.filter_error.setStyleSheet("color: #c8382d")
        self.filter_error.hide()

        self.model = IncidentTableModel(ctx, self)
        self.view = IncidentTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Incidents")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(IncidentTableModel.TIME, Qt.SortOrder.AscendingOrder)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((0, 118), (1, 210), (2, 110), (3, 170), (4, 170), (5, 64)):
            header.resizeSection(col, width)
        # The imported-event figures are optional columns: hidden at first, offered in the header's menu.
        for col in IncidentTableModel.METRIC_COLUMNS:
            header.setSectionHidden(col, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.column_actions: dict[int, QAction] = {}
        for col in range(IncidentTableModel.TITLE + 1, len(IncidentTableModel.HEADERS)):
            action = QAction(IncidentTableModel.HEADERS[col], header, checkable=True)
            action.setChecked(not header.isSectionHidden(col))
            action.toggled.connect(lambda shown, c=col: self.show_column(c, shown))
            header.addAction(action)
            self.column_actions[col] = action
        self.timeline = TimelineStrip()

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.text_edit, 0, 0, 1, 3)
        grid.addWidget(self.status_combo, 1, 0)
        grid.addWidget(self.vessel_edit, 1, 1)
        grid.addWidget(self.tag_edit, 1, 2)
        grid.addWidget(self.since_edit, 2, 0)
        grid.addWidget(self.until_edit, 2, 1)
        grid.addWidget(self.mine_check, 2, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.case_combo)
        layout.addLayout(grid)
        layout.addWidget(self.filter_error)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.timeline)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        for edit in (self.since_edit, self.until_edit, self.vessel_edit, self.text_edit, self.tag_edit):
            edit.textEdited.connect(lambda _t: self._debounce.start())
            edit.returnPressed.connect(self.apply_filter)
        self.status_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.mine_check.toggled.connect(lambda _b: self.apply_filter())
        self.case_combo.currentIndexChanged.connect(self._case_changed)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.view.filesDropped.connect(self.filesDropped)
        self.timeline.rangeSelected.connect(self._timeline_range)
        self._timeline_key: tuple | None = None
        self._shown_case: str | None = None  # the case the filter fields were last set for
        self._timeline_pending: IncidentFilter | None = None
        self._span_case: str | None = None
        self._bucket = "day"
        self._timeline_timer = QTimer(self)
        self._timeline_timer.setSingleShot(True)
        self._timeline_timer.setInterval(0)
        self._timeline_timer.timeout.connect(self.flush_timeline)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Tag completions are read when the tag field gets focus, not on every filter change.
        if watched is self.tag_edit and event.type() == QEvent.Type.FocusIn:
            self.tag_completions.setStringList(tags.all_tags(self.desk.ctx))
        return super().eventFilter(watched, event)

    def _line(self, placeholder: str, accessible: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(accessible)
        edit.setClearButtonEnabled(True)
        return edit

    # -- cases ----------------------------------------------------------------------------
    def reload_cases(self, select_id: str | None = None) -> None:
        from evidence_app.services import cases

        current = select_id or self.current_case_id()
        self.case_combo.blockSignals(True)
        self.cases.set_rows(cases.list_cases(self.desk.ctx))
        row = self.cases.row_of(current) if current else -1
        self.case_combo.setCurrentIndex(row if row >= 0 else (0 if self.cases.rowCount() else -1))
        self.case_combo.blockSignals(False)
        self._case_changed(self.case_combo.currentIndex())

    def refresh_case_counts(self) -> None:
        """Re-read the cases' incident counts (after adds, detections, imports); the selection stays."""
        from evidence_app.services import cases

        current = self.current_case_id()
        self.case_combo.blockSignals(True)
        self.cases.set_rows(cases.list_cases(self.desk.ctx))
        row = self.cases.row_of(current) if current else -1
        self.case_combo.setCurrentIndex(row)
        self.case_combo.blockSignals(False)
        if self.current_case_id() != current:  # the case went away: follow what the combo shows now
            self._case_changed(self.case_combo.currentIndex())

    def current_case_id(self) -> str | None:
        row = self.cases.case_at(self.case_combo.currentIndex())
        return row.id if row else None

    def current_case(self):  # noqa: ANN201 (CaseRow | None)
        return self.cases.case_at(self.case_combo.currentIndex())

    def _case_changed(self, _index: int) -> None:
        self._timeline_key = None
        self._span_case = None
        case_id = self.current_case_id()
        if case_id != self._shown_case:
            # A time range belongs to the case it was drawn on: the next case starts whole.
            self._shown_case = case_id
            for edit in (self.since_edit, self.until_edit):
                edit.blockSignals(True)
                edit.clear()
                edit.blockSignals(False)
        self.apply_filter()
        self.caseSelected.emit(case_id or "")

    # -- filtering ------------------------------------------------------------------------
    def build_filter(self) -> IncidentFilter:
        def when(edit: QLineEdit, end_of_day: bool) -> datetime | None:
            text = edit.text().strip()
            if not text:
                return None
            value = parse_utc(text, field=edit.accessibleName())
            if end_of_day and len(text) == 10:
                value += timedelta(days=1) - timedelta(microseconds=1)
            return value

        return IncidentFilter(
            case_id=self.current_case_id(),  # None (no case yet): every case, i.e. an empty store
            statuses=[self.status_combo.currentData()] if self.status_combo.currentData() else [],
            since=when(self.since_edit, False),
            until=when(self.until_edit, True),
            vessel=self.vessel_edit.text().strip() or None,
            text=self.text_edit.text().strip() or None,
            tags=[self.tag_edit.text().strip()] if self.tag_edit.text().strip() else [],
            awaiting_reviewer=self.desk.ctx.actor if self.mine_check.isChecked() else None,
        )

    def apply_filter(self) -> None:
        self._debounce.stop()
        selected = self.selected_incident_id()
        try:
            flt = self.build_filter()
            self.model.set_filter(flt)
        except ValidationError as exc:
            self.filter_error.setText(str(exc))
            self.filter_error.show()
            return
        self.filter_error.hide()
        self._refresh_timeline(flt)
        self.filterChanged.emit(flt)
        if selected:
            self.select(selected)

    def _refresh_timeline(self, flt: IncidentFilter) -> None:
        """Recount the strip after the list has answered (a zero-delay timer, coalesced).

        The strip ignores the time range (it shows where the selection sits in the whole
        span), so a drag on it, which changes only the range, does not recount it.
        """
        self.timeline.set_selection(flt.since, flt.until)
        self._timeline_pending = flt
        self._timeline_timer.start()

    def flush_timeline(self) -> None:
        """Recount the timeline now if a recount is pending (the timer's slot; tests call it)."""
        self._timeline_timer.stop()
        flt = self._timeline_pending
        if flt is None:
            return
        self._timeline_pending = None
        case_id = self.current_case_id()
        if not case_id:
            self.timeline.set_counts([], "day")
            return
        key = (flt.case_id, tuple(flt.statuses), flt.vessel, flt.text, tuple(flt.tags), flt.awaiting_reviewer)
        if key != self._timeline_key:
            if self._span_case != case_id:
                span = incident_queries.time_span(self.desk.ctx, case_id)
                self._bucket = "day" if span is None or span[1] - span[0] <= timedelta(days=120) else "month"
                self._span_case = case_id
            self.timeline.set_counts(incident_queries.timeline(self.desk.ctx, flt, bucket=self._bucket), self._bucket)
            self._timeline_key = key
        self.timeline.set_selection(flt.since, flt.until)

    def _timeline_range(self, since: datetime | None, until: datetime | None) -> None:
        self.since_edit.setText(since.strftime("%Y-%m-%d") if since else "")
        self.until_edit.setText(until.strftime("%Y-%m-%d") if until else "")
        self.apply_filter()

    def set_time_range(self, since: datetime | None, until: datetime | None) -> None:
        self._timeline_range(since, until)

    # -- selection ------------------------------------------------------------------------
    def show_column(self, column: int, shown: bool = True) -> None:
        """Show or hide a list column (the header's context menu does the same)."""
        self.view.horizontalHeader().setSectionHidden(column, not shown)
        action = self.column_actions.get(column)
        if action is not None and action.isChecked() != shown:
            action.setChecked(shown)

    def selected_incident_id(self) -> str | None:
        index = self.view.currentIndex()
        return index.data(IncidentTableModel.IdRole) if index.isValid() else None

    def select(self, incident_id: str) -> bool:
        row = self.model.row_of(incident_id)
        if row is None:
            row = incident_queries.position_of(self.desk.ctx, self.model.filter, incident_id)  # one count query
        if row is None or self.model.row_at(row) is None:
            return False
        if self.view.currentIndex().row() == row:
            return True
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))
        return True

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.incidentSelected.emit(current.data(IncidentTableModel.IdRole))

    def refresh_incident(self, incident_id: str) -> None:
        self.model.refresh_incident(incident_id)
        self._timeline_key = None
        self._span_case = None
        self._refresh_timeline(self.model.filter)

    def reload(self) -> None:
        selected = self.selected_incident_id()
        self.model.refresh()
        self._timeline_key = None
        self._span_case = None
        self._refresh_timeline(self.model.filter)
        if selected:
            self.select(selected)

    def since_until(self) -> tuple[datetime | None, datetime | None]:
        flt = self.model.filter
        return flt.since, flt.until

    @staticmethod
    def now_utc() -> datetime:
        return datetime.now(UTC).replace(second=0, microsecond=0)
