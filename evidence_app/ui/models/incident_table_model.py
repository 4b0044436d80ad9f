"""The incident list as a windowed table model: the count up front, rows fetched a page at a time.

``rowCount`` is the filtered total (``count_incidents``), so the scroll bar is true from
the start; ``data`` loads the page holding a row on first use with ``fetch_rows``
(offset/limit: a constant number of queries per page, never one per row) and keeps the
most recently used pages.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from evidence_app.domain.incident import format_metric
from evidence_app.domain.timeparse import format_utc
from evidence_app.services import incident_queries
from evidence_app.services.context import Context
from evidence_app.services.incident_queries import IncidentFilter, IncidentRow
from evidence_app.ui.style import sanction_icon, status_icon, status_label

Index = QModelIndex | QPersistentModelIndex


def format_position(lat: float | None, lon: float | None, radius_m: float | None = None) -> str:
    if lat is None or lon is None:
        return ""
    text = f"{abs(lat):.3f}{'N' if lat >= 0 else 'S'} {abs(lon):.3f}{'E' if lon >= 0 else 'W'}"
    if radius_m:
        text += f" ±{radius_m / 1000:.1f} km" if radius_m >= 1000 else f" ±{radius_m:.0f} m"
    return text


class IncidentTableModel(QAbstractTableModel):
    TIME, TITLE, STATUS, VESSELS, POSITION, EVIDENCE, TAGS, DISTANCE, SPEED, DURATION = range(10)
    HEADERS = (
        "Time (UTC)",
        "Title",
        "Status",
        "Vessels",
        "Position",
        "Evidence",
        "Tags",
        "Distance",
        "Speed",
        "Duration",
    )
    # Optional columns (hidden until chosen from the header's menu): an imported event's figures.
    METRIC_COLUMNS = {DISTANCE: "distance_m", SPEED: "speed_kn", DURATION: "duration_h"}
    # Columns the store can sort by, and the IncidentFilter order key for each.
    SORT_KEYS = {TIME: "start_utc", TITLE: "title", STATUS: "status", POSITION: "lat", EVIDENCE: "evidence_count"}
    IdRole = Qt.ItemDataRole.UserRole + 1
    RowRole = Qt.ItemDataRole.UserRole + 2
    StatusRole = Qt.ItemDataRole.UserRole + 3
    SanctionedRole = Qt.ItemDataRole.UserRole + 4  # names of the sanctioned participants (tuple)

    def __init__(self, ctx: Context, parent: Any = None, *, page_size: int = 200, max_pages: int = 12) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._filter = IncidentFilter(case_id=None)
        self._count = 0
        self._pages: OrderedDict[int, list[IncidentRow]] = OrderedDict()
        self.page_size = page_size
        self.max_pages = max_pages
        self.pages_loaded = 0  # for tests and the benchmark

    # -- filter and refresh -------------------------------------------------------------
    @property
    def filter(self) -> IncidentFilter:
        return self._filter

    def set_filter(self, flt: IncidentFilter) -> None:
        """Apply a new filter (keeping the current sort); the list is re-counted, pages dropped."""
        flt = replace(flt, order=self._filter.order, descending=self._filter.descending, limit=None, offset=0)
        self.beginResetModel()
        self._filter = flt
        self._reload()
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read after an edit elsewhere: same filter, same sort."""
        self.beginResetModel()
        self._reload()
        self.endResetModel()

    def refresh_incident(self, incident_id: str) -> None:
        """Re-read the cached page holding one incident, and say which row changed."""
        for number, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.id == incident_id:
                    self._pages[number] = self._fetch(number)
                    r = number * self.page_size + i
                    self.dataChanged.emit(self.index(r, 0), self.index(r, self.columnCount() - 1))
                    return

    def _reload(self) -> None:
        self._pages.clear()
        self._count = incident_queries.count_incidents(self._ctx, self._filter)

    # -- paging ---------------------------------------------------------------------------
    def _fetch(self, number: int) -> list[IncidentRow]:
        self.pages_loaded += 1
        with self._ctx.store.read() as session:
            return incident_queries.fetch_rows(
                session, replace(self._filter, offset=number * self.page_size, limit=self.page_size)
            )

    def row_at(self, row: int) -> IncidentRow | None:
        if not 0 <= row < self._count:
            return None
        number, offset = divmod(row, self.page_size)
        page = self._pages.get(number)
        if page is None:
            page = self._fetch(number)
            self._pages[number] = page
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def row_of(self, incident_id: str) -> int | None:
        """The row of an incident among the pages already loaded (None when not loaded)."""
        for number, rows in self._pages.items():
            for i, row in enumerate(rows):
                if row.id == incident_id:
                    return number * self.page_size + i
        return None

    # -- Qt model interface ---------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(self.HEADERS):
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.TIME:
                return format_utc(row.start_utc).removesuffix(" UTC")
            if col == self.TITLE:
                return row.title or "(untitled)"
            if col == self.STATUS:
                label = status_label(row.status)
                return f"{label} · proposed" if row.proposed_by else label
            if col == self.VESSELS:
                return row.vessels
            if col == self.POSITION:
                return format_position(row.lat, row.lon, row.radius_m)
            if col == self.EVIDENCE:
                return row.evidence_count
            if col == self.TAGS:
                return row.tags
            if col in self.METRIC_COLUMNS:
                key = self.METRIC_COLUMNS[col]
                return format_metric(key, (row.metrics or {}).get(key))
        elif role == Qt.ItemDataRole.DecorationRole and col == self.STATUS:
            return status_icon(row.status)
        elif role == Qt.ItemDataRole.DecorationRole and col == self.VESSELS and row.sanctioned:
            return sanction_icon()
        elif role == Qt.ItemDataRole.ToolTipRole:
            if col == self.VESSELS and row.sanctioned:
                return f"Sanctioned: {', '.join(row.sanctioned)} (a sanctions designation is on record)"
            if col == self.STATUS and row.proposed_by:
                return f"Confirmation proposed by {row.proposed_by}; a second reviewer must confirm it"
            if col == self.TIME:
                return (
                    f"{format_utc(row.start_utc)} – {format_utc(row.end_utc)}"
                    if row.end_utc
                    else format_utc(row.start_utc)
                )
            return None
        elif role == Qt.ItemDataRole.TextAlignmentRole and (col == self.EVIDENCE or col in self.METRIC_COLUMNS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == self.IdRole:
            return row.id
        elif role == self.RowRole:
            return row
        elif role == self.StatusRole:
            return row.status
        elif role == self.SanctionedRole:
            return row.sanctioned
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.SORT_KEYS.get(column)
        if key is None:
            return  # vessels and tags are joined text: the store cannot order by them cheaply
        self.beginResetModel()  # every row moves: a reset is honest and cheap (nothing is cached)
        self._filter = replace(self._filter, order=key, descending=order == Qt.SortOrder.DescendingOrder)
        self._pages.clear()
        self.endResetModel()
