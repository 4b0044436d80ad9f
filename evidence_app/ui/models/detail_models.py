"""Small models for one incident: its evidence, its participants, its review history; and the cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.grading import CREDIBILITY, RELIABILITY
from evidence_app.domain.identifiers import validate_imo, validate_mmsi
from evidence_app.domain.incident import ROLES
from evidence_app.domain.timeparse import format_utc
from evidence_app.services.cases import CaseRow
from evidence_app.ui.style import SANCTION_COLOUR, sanction_icon, status_icon, status_label

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole


class ListTableModel(QAbstractTableModel):
    """A table over a plain list of rows, replaced whole when the incident changes."""

    HEADERS: tuple[str, ...] = ()
    IdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None


@dataclass(frozen=True)
class EvidenceItem:
    evidence_id: str
    kind: str
    name: str
    source: str
    capture_time: Any
    sha256: str
    media_type: str
    reliability: str | None
    credibility: int | None
    relation: str
    note: str
    tags: tuple[str, ...] = ()

    @property
    def grading(self) -> str:
        return f"{self.reliability or '?'}{self.credibility or '?'}"


class EvidenceModel(ListTableModel):
    PREVIEW, NAME, KIND, SOURCE, CAPTURED, SHA, GRADING, RELATION, TAGS = range(9)
    HEADERS = ("", "File", "Kind", "Source", "Captured (UTC)", "SHA-256", "Grading", "Relation", "Tags")

    def __init__(self, thumbnail: Callable[[str, str], QPixmap | None] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._thumbnail = thumbnail
        self._icons: dict[str, QIcon | None] = {}

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item: EvidenceItem = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            values = {
                self.NAME: item.name,
                self.KIND: item.kind,
                self.SOURCE: item.source,
                self.CAPTURED: format_utc(item.capture_time).removesuffix(" UTC"),
                self.SHA: item.sha256[:12],
                self.GRADING: item.grading,
                self.RELATION: item.relation,
                self.TAGS: ", ".join(item.tags),
            }
            return values.get(col)
        if role == Qt.ItemDataRole.DecorationRole and col == self.PREVIEW:
            return self._icon(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.SHA:
                return item.sha256
            if col == self.GRADING:
                rel = RELIABILITY.get(item.reliability or "", "reliability not graded")
                cred = CREDIBILITY.get(item.credibility or 0, "credibility not graded")
                return f"{rel}; {cred}"
            if col == self.NAME and item.note:
                return item.note
        if role == Qt.ItemDataRole.ForegroundRole and col == self.RELATION and item.relation == "contradicts":
            return QBrush(QColor("#c8382d"))
        if role == self.IdRole:
            return item.evidence_id
        return None

    def _icon(self, item: EvidenceItem) -> QIcon | None:
        if item.sha256 not in self._icons:
            pixmap = self._thumbnail(item.sha256, item.media_type) if self._thumbnail else None
            self._icons[item.sha256] = QIcon(pixmap) if pixmap is not None else None
        return self._icons[item.sha256]


@dataclass(frozen=True)
class ParticipantItem:
    vessel_id: str
    role: str
    name: str
    imo: int | None
    mmsi: int | None
    flag: str
    claimed_name: str
    claimed_flag: str
    claimed_imo: int | None
    claimed_mmsi: int | None
    designations: tuple[str, ...] = ()  # "OFAC DPRK3 (SDN 12345)": sanctions on record for the vessel

    @property
    def sanctioned(self) -> bool:
        return bool(self.designations)

    @property
    def ref(self) -> str:
        return str(self.imo) if self.imo else self.vessel_id


class ParticipantModel(ListTableModel):
    """Participants with their assessed identity and, editable, their role and claimed identity.

    An edit is not applied here: ``editRequested`` carries it to an undoable command, and
    the model is reloaded from the store. A value that fails validation (a claimed IMO with
    a wrong check digit) stays visible in its cell, marked, with the reason as tooltip.
    """

    ROLE, VESSEL, IMO, MMSI, FLAG, CLAIMED_NAME, CLAIMED_FLAG, CLAIMED_IMO, CLAIMED_MMSI = range(9)
    HEADERS = (
        "Role",
        "Vessel (assessed)",
        "IMO",
        "MMSI",
        "Flag",
        "Claimed name",
        "Claimed flag",
        "Claimed IMO",
        "Claimed MMSI",
    )
    EDITABLE = {
        ROLE: "role",
        CLAIMED_NAME: "claimed_name",
        CLAIMED_FLAG: "claimed_flag",
        CLAIMED_IMO: "claimed_imo",
        CLAIMED_MMSI: "claimed_mmsi",
    }
    editRequested = Signal(str, str, object)  # vessel id, field, new value

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._errors: dict[tuple[int, int], tuple[str, str]] = {}  # (row, col) -> (text, message)

    def set_rows(self, rows: list[Any]) -> None:
        self._errors.clear()
        super().set_rows(rows)

    def mark_error(self, vessel_id: str, field: str, text: str, message: str) -> None:
        col = next((c for c, f in self.EDITABLE.items() if f == field), None)
        row = next((i for i, p in enumerate(self._rows) if p.vessel_id == vessel_id), None)
        if col is None or row is None:
            return
        self._errors[(row, col)] = (text, message)
        self.dataChanged.emit(self.index(row, col), self.index(row, col))

    def error_at(self, row: int, col: int) -> str | None:
        err = self._errors.get((row, col))
        return err[1] if err else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() in self.EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        p: ParticipantItem = self._rows[index.row()]
        col = index.column()
        err = self._errors.get((index.row(), col))
        if role in (DISPLAY, Qt.ItemDataRole.EditRole):
            if err is not None:
                return err[0]
            values = {
                self.ROLE: p.role,
                self.VESSEL: p.name,
                self.IMO: p.imo or "",
                self.MMSI: p.mmsi or "",
                self.FLAG: p.flag,
                self.CLAIMED_NAME: p.claimed_name,
                self.CLAIMED_FLAG: p.claimed_flag,
                self.CLAIMED_IMO: p.claimed_imo or "",
                self.CLAIMED_MMSI: p.claimed_mmsi or "",
            }
            value = values.get(col)
            return str(value) if value is not None else None
        if role == Qt.ItemDataRole.DecorationRole and col == self.VESSEL and p.sanctioned:
            return sanction_icon()
        if role == Qt.ItemDataRole.ForegroundRole and col == self.VESSEL and p.sanctioned:
            return QBrush(QColor(SANCTION_COLOUR))
        if role == Qt.ItemDataRole.FontRole and col == self.VESSEL and p.sanctioned:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if err is not None:
                return err[1]
            if col == self.VESSEL:
                sanctions = f"SANCTIONED: {'; '.join(p.designations)}\n" if p.sanctioned else ""
                return f"{sanctions}Double-click to open the vessel page"
            if col in (self.CLAIMED_NAME, self.CLAIMED_FLAG) and self._differs(p, col):
                return "The identity this vessel claimed differs from the assessed one"
        if role == Qt.ItemDataRole.BackgroundRole:
            if err is not None:
                return QBrush(QColor(200, 56, 45, 90))
            if col in (self.CLAIMED_NAME, self.CLAIMED_FLAG, self.CLAIMED_IMO, self.CLAIMED_MMSI) and self._differs(
                p, col
            ):
                return QBrush(QColor(217, 154, 30, 60))
        if role == self.IdRole:
            return p.vessel_id
        return None

    def _differs(self, p: ParticipantItem, col: int) -> bool:
        pairs = {
            self.CLAIMED_NAME: (p.claimed_name, p.name),
            self.CLAIMED_FLAG: (p.claimed_flag, p.flag),
            self.CLAIMED_IMO: (p.claimed_imo, p.imo),
            self.CLAIMED_MMSI: (p.claimed_mmsi, p.mmsi),
        }
        claimed, assessed = pairs[col]
        return bool(claimed) and str(claimed).strip().lower() != str(assessed or "").strip().lower()

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() not in self.EDITABLE:
            return False
        p: ParticipantItem = self._rows[index.row()]
        field = self.EDITABLE[index.column()]
        text = str(value).strip()
        try:
            parsed: Any = text
            if field == "role":
                if text.lower() not in ROLES:
                    raise ValidationError(f"unknown role {text!r}: expected one of {', '.join(ROLES)}", field="role")
                parsed = text.lower()
            elif field == "claimed_imo":
                parsed = validate_imo(text, field=field) if text else None
            elif field == "claimed_mmsi":
                parsed = validate_mmsi(text, field=field) if text else None
        except ValidationError as exc:
            self.mark_error(p.vessel_id, field, text, exc.message)
            return True  # the text stays, marked; nothing reaches the store
        self._errors.pop((index.row(), index.column()), None)
        if getattr(p, field) != parsed:
            self.editRequested.emit(p.vessel_id, field, parsed)
        return True


@dataclass(frozen=True)
class ReviewItem:
    at: Any
    reviewer: str
    from_status: str
    to_status: str
    kind: str
    rationale: str


class ReviewHistoryModel(ListTableModel):
    WHEN, WHO, CHANGE, WHY = range(4)
    HEADERS = ("When (UTC)", "Reviewer", "From → to", "Rationale")

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r: ReviewItem = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            if col == self.WHEN:
                return format_utc(r.at).removesuffix(" UTC")
            if col == self.WHO:
                return r.reviewer
            if col == self.CHANGE:
                arrow = f"{status_label(r.from_status)} → {status_label(r.to_status)}"
                return f"{arrow} (proposed)" if r.kind == "proposal" else arrow
            if col == self.WHY:
                return r.rationale
        if role == Qt.ItemDataRole.DecorationRole and col == self.CHANGE:
            return status_icon(r.to_status)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.WHY:
            return r.rationale or None
        return None


class CaseListModel(QAbstractListModel):
    IdRole = Qt.ItemDataRole.UserRole + 1
    DemoRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseRow] = []

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def case_at(self, row: int) -> CaseRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, case_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == case_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c = self._rows[index.row()]
        if role == DISPLAY:
            demo = "  [DEMO]" if c.is_demo else ""
            return f"{c.title}  ({c.incidents}){demo}"
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [c.caveat] if c.caveat else []
            if c.four_eyes:
                parts.append("four-eyes: confirmations need a second reviewer")
            return "; ".join(parts) or None
        if role == self.IdRole:
            return c.id
        if role == self.DemoRole:
            return c.is_demo
        return None
