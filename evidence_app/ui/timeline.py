"""The timeline strip: incidents per day or month stacked by status; drag across it to set the time filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from evidence_app.domain.review import Status
from evidence_app.ui.style import STATUS_COLOURS


def _bucket_start(key: str) -> date:
    return date.fromisoformat(key if len(key) == 10 else f"{key}-01")


def _next(d: date, bucket: str) -> date:
    if bucket == "day":
        return d + timedelta(days=1)
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


class TimelineStrip(QWidget):
    rangeSelected = Signal(object, object)  # since, until (aware UTC datetimes) or None, None to clear

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(
            "Timeline: incidents per period by status; drag to filter by time, double-click to clear"
        )
        self.setToolTip("Incidents per day or month, by status. Drag to set the time filter; double-click to clear it.")
        self.setMinimumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.bucket = "day"
        self.buckets: list[date] = []
        self.counts: dict[date, dict[str, int]] = {}
        self.selection: tuple[date, date] | None = None
        self._drag_from: int | None = None
        self._drag_to: int | None = None

    def sizeHint(self) -> QSize:
        return QSize(400, 64)

    def set_counts(self, rows: list[tuple[str, str, int]], bucket: str) -> None:
        self.bucket = bucket
        self.counts = {}
        for key, status, n in rows:
            self.counts.setdefault(_bucket_start(key), {})[status] = n
        self.buckets = []
        if self.counts:
            d, last = min(self.counts), max(self.counts)
            while d <= last and len(self.buckets) < 5000:
                self.buckets.append(d)
                d = _next(d, bucket)
        self.update()

    def set_selection(self, since: datetime | None, until: datetime | None) -> None:
        self.selection = (since.date(), until.date()) if since and until else None
        self.update()

    # -- geometry -------------------------------------------------------------------------
    def _slot_width(self) -> float:
        return (self.width() - 8) / max(1, len(self.buckets))

    def _slot_at(self, x: float) -> int:
        if not self.buckets:
            return 0
        return max(0, min(len(self.buckets) - 1, int((x - 4) / self._slot_width())))

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        painter.setPen(QPen(pal.mid().color()))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if not self.buckets:
            painter.setPen(pal.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No incidents to show on the timeline")
            return
        height = self.height() - 18
        peak = max(sum(v.values()) for v in self.counts.values()) or 1
        w = self._slot_width()
        sel = self._current_selection()
        for i, d in enumerate(self.buckets):
            x = 4 + i * w
            if sel is not None and sel[0] <= i <= sel[1]:
                painter.fillRect(
                    QRectF(x, 2, w, self.height() - 4),
                    pal.highlight().color().lighter(160)
                    if pal.base().color().lightness() > 128
                    else pal.highlight().color().darker(180),
                )
            y = height + 2
            for status in Status:
                n = self.counts.get(d, {}).get(status.value, 0)
                if not n:
                    continue
                h = max(1.0, n / peak * (height - 4))
                y -= h
                painter.fillRect(
                    QRectF(x + (0.5 if w > 3 else 0), y, max(1.0, w - 1), h), QColor(STATUS_COLOURS[status.value])
                )
        painter.setPen(pal.text().color())
        fmt = "%Y-%m-%d" if self.bucket == "day" else "%Y-%m"
        painter.drawText(
            QRectF(4, self.height() - 16, self.width() / 2, 14),
            Qt.AlignmentFlag.AlignLeft,
            self.buckets[0].strftime(fmt),
        )
        painter.drawText(
            QRectF(self.width() / 2, self.height() - 16, self.width() / 2 - 4, 14),
            Qt.AlignmentFlag.AlignRight,
            self.buckets[-1].strftime(fmt),
        )

    def _current_selection(self) -> tuple[int, int] | None:
        if self._drag_from is not None and self._drag_to is not None:
            return min(self._drag_from, self._drag_to), max(self._drag_from, self._drag_to)
        if self.selection and self.buckets:
            first = next((i for i, d in enumerate(self.buckets) if _next(d, self.bucket) > self.selection[0]), None)
            last = next((i for i in range(len(self.buckets) - 1, -1, -1) if self.buckets[i] <= self.selection[1]), None)
            if first is not None and last is not None:
                return first, last
        return None

    # -- dragging -------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.buckets:
            self._drag_from = self._drag_to = self._slot_at(event.position().x())
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self._drag_to = self._slot_at(event.position().x())
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is None or self._drag_to is None:
            return
        lo, hi = sorted((self._drag_from, self._drag_to))
        self._drag_from = self._drag_to = None
        since = datetime.combine(self.buckets[lo], datetime.min.time(), UTC)
        until = datetime.combine(_next(self.buckets[hi], self.bucket), datetime.min.time(), UTC) - timedelta(
            microseconds=1
        )
        self.set_selection(since, until)
        self.rangeSelected.emit(since, until)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.selection = None
        self.update()
        self.rangeSelected.emit(None, None)
