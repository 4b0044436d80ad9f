"""The vessel page: assessed identity, identity history (renames and reflaggings marked), sanctions, incidents.

Opened by double-clicking a participant in the incident detail, or from Tools ▸ Vessels….
``trackRequested(mmsi)`` asks the map to show the vessel's AIS track;
``incidentActivated(incident_id, case_id)`` asks the window to select an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.identifiers import display_mmsi
from evidence_app.domain.timeparse import format_utc
from evidence_app.services import vessels
from evidence_app.services.context import Context
from evidence_app.ui.models.detail_models import ListTableModel
from evidence_app.ui.style import (
    SANCTION_BADGE_STYLE,
    SANCTION_COLOUR,
    sanction_icon,
    status_icon,
    status_label,
)

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
CHANGE_BACKGROUND = QColor(217, 154, 30, 80)  # amber: the same mark the desk uses for identity differences


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


@dataclass(frozen=True)
class IdentityRow:
    """One identity the vessel was seen under, and what changed from the one before."""

    name: str
    flag: str
    mmsi: int | None
    imo: int | None
    call_sign: str
    first_seen: datetime | None
    last_seen: datetime | None
    source: str
    changed: frozenset[str] = frozenset()  # fields that differ from the previous identity: name, flag, mmsi, call_sign
    previous: tuple[tuple[str, str], ...] = ()  # (field, the previous value)

    @property
    def change_text(self) -> str:
        words = {"name": "renamed", "flag": "reflagged", "mmsi": "new MMSI", "call_sign": "new call sign"}
        return ", ".join(words[f] for f in ("name", "flag", "mmsi", "call_sign") if f in self.changed)


def identity_rows(identities: list[Any]) -> list[IdentityRow]:
    """Identities in time order, each marked with what changed since the previous one."""
    rows: list[IdentityRow] = []
    previous = None
    for ident in identities:
        changed: set[str] = set()
        before: list[tuple[str, str]] = []
        if previous is not None:
            for name in ("name", "flag", "mmsi", "call_sign"):
                old, new = getattr(previous, name), getattr(ident, name)
                if old and new and str(old).strip().lower() != str(new).strip().lower():
                    changed.add(name)
                    before.append((name, str(old)))
        rows.append(
            IdentityRow(
                ident.name,
                ident.flag,
                ident.mmsi,
                ident.imo,
                ident.call_sign,
                ident.first_seen,
                ident.last_seen,
                ident.source,
                frozenset(changed),
                tuple(before),
            )
        )
        previous = ident
    return rows


class IdentityHistoryModel(ListTableModel):
    CHANGE, NAME, FLAG, MMSI, CALL_SIGN, FIRST, LAST, SOURCE = range(8)
    HEADERS = ("Change", "Name", "Flag", "MMSI", "Call sign", "First seen", "Last seen", "Source")
    FIELDS = {NAME: "name", FLAG: "flag", MMSI: "mmsi", CALL_SIGN: "call_sign"}
    ChangedRole = Qt.ItemDataRole.UserRole + 2

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r: IdentityRow = self._rows[index.row()]
        col = index.column()
        field = self.FIELDS.get(col)
        if role == DISPLAY:
            values = {
                self.CHANGE: r.change_text,
                self.NAME: r.name,
                self.FLAG: r.flag,
                self.MMSI: f"{r.mmsi:09d}" if r.mmsi else "",
                self.CALL_SIGN: r.call_sign,
                self.FIRST: _day(r.first_seen),
                self.LAST: _day(r.last_seen),
                self.SOURCE: r.source,
            }
            return values.get(col)
        if role == Qt.ItemDataRole.BackgroundRole and (field in r.changed or (col == self.CHANGE and r.changed)):
            return QBrush(CHANGE_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and (field in r.changed or (col == self.CHANGE and r.changed)):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            before = dict(r.previous)
            if field in before:
                return f"Was {before[field]} before"
            if col == self.SOURCE:
                return r.source
        if role == self.ChangedRole:
            return sorted(r.changed)
        return None


class DesignationModel(ListTableModel):
    AUTHORITY, PROGRAM, REFERENCE, LISTED, REMARKS = range(5)
    HEADERS = ("Authority", "Program", "Reference", "Listed on", "Remarks")

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        d = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            return {
                self.AUTHORITY: d.authority,
                self.PROGRAM: d.program,
                self.REFERENCE: d.reference,
                self.LISTED: _day(d.listed_on),
                self.REMARKS: d.remarks,
            }.get(col)
        if role == Qt.ItemDataRole.DecorationRole and col == self.AUTHORITY:
            return sanction_icon()
        if role == Qt.ItemDataRole.ToolTipRole and col == self.REMARKS:
            return d.remarks or None
        return None


class VesselIncidentModel(ListTableModel):
    TIME, STATUS, TITLE, ROLE, CASE = range(5)
    HEADERS = ("Time (UTC)", "Status", "Incident", "Role", "Case")
    CaseRole = Qt.ItemDataRole.UserRole + 2

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r: vessels.VesselIncident = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            return {
                self.TIME: format_utc(r.start_utc).removesuffix(" UTC"),
                self.STATUS: status_label(r.status),
                self.TITLE: r.title or "(untitled)",
                self.ROLE: r.role,
                self.CASE: r.case_title,
            }.get(col)
        if role == Qt.ItemDataRole.DecorationRole and col == self.STATUS:
            return status_icon(r.status)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.TITLE:
            return "Double-click to select this incident in the list"
        if role == self.IdRole:
            return r.incident_id
        if role == self.CaseRole:
            return r.case_id
        return None


def _table(model: ListTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    view.setWordWrap(False)
    return view


def _fit_rows(view: QTableView, rows: int) -> None:
    """Make a short table exactly as tall as its rows (the sanctions list has one or two)."""
    height = (
        view.horizontalHeader().sizeHint().height()
        + rows * view.verticalHeader().defaultSectionSize()
        + 2 * view.frameWidth()
        + 2
    )
    view.setFixedHeight(height)


class VesselPage(QDialog):
    """One vessel: who it is assessed to be, who it has claimed to be, whether it is sanctioned, where it appears."""

    trackRequested = Signal(int)  # MMSI: show this vessel's AIS track on the map
    incidentActivated = Signal(str, str)  # incident id, case id

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: vessels.VesselProfile | None = None
        self.setObjectName("vesselPage")
        self.setWindowTitle("Vessel")
        self.resize(920, 680)

        self.title = QLabel()
        self.title.setObjectName("vesselTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.badge = QLabel()
        self.badge.setObjectName("sanctionBadge")
        self.badge.setStyleSheet(SANCTION_BADGE_STYLE)
        self.badge.setAccessibleName("Sanctioned")
        self.track_button = QPushButton("Show track on map")
        self.track_button.setAccessibleName("Show track on map")
        self.track_button.clicked.connect(self._request_track)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.badge)
        head.addStretch(1)
        head.addWidget(self.track_button)

        self.identity_labels: dict[str, QLabel] = {}
        identity_box = QGroupBox("Assessed identity")
        columns = QHBoxLayout(identity_box)
        left, right = QFormLayout(), QFormLayout()
        columns.addLayout(left, 1)
        columns.addSpacing(24)
        columns.addLayout(right, 1)
        for i, (key, label) in enumerate(
            (
                ("imo", "IMO"),
                ("mmsi", "MMSI"),
                ("name", "Name"),
                ("flag", "Flag"),
                ("call_sign", "Call sign"),
                ("vessel_type", "Type"),
                ("length", "Length × beam"),
                ("tonnage", "Gross tonnage"),
                ("owner", "Owner"),
            )
        ):
            form = left if i < 5 else right
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName(f"identity_{key}")
            value.setWordWrap(True)
            self.identity_labels[key] = value
            form.addRow(label, value)

        self.designations = DesignationModel(self)
        self.designation_view = _table(self.designations, "Sanctions designations")
        self.sanctions_box = QGroupBox("Sanctions designations")
        self.sanctions_box.setStyleSheet(f"QGroupBox {{ color: {SANCTION_COLOUR}; font-weight: bold; }}")
        QVBoxLayout(self.sanctions_box).addWidget(self.designation_view)

        self.history = IdentityHistoryModel(self)
        self.history_view = _table(self.history, "Identity history")
        self.history_note = QLabel()
        self.history_note.setWordWrap(True)
        history_box = QGroupBox("Identity history (as seen in AIS and registries; changes marked)")
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_note)
        history_layout.addWidget(self.history_view)

        self.incidents = VesselIncidentModel(self)
        self.incident_view = _table(self.incidents, "Incidents of this vessel")
        self.incident_view.doubleClicked.connect(self._incident_double_clicked)
        incidents_box = QGroupBox("Incidents it takes part in (double-click to select)")
        QVBoxLayout(incidents_box).addWidget(self.incident_view)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(identity_box)
        layout.addWidget(self.sanctions_box)
        layout.addWidget(history_box, 1)
        layout.addWidget(incidents_box, 1)
        layout.addWidget(buttons)

    def load(self, vessel_ref: str) -> vessels.VesselProfile:
        """Show a vessel (by id, IMO, MMSI or name)."""
        profile = vessels.vessel_profile(self.ctx, vessel_ref)
        self.profile = profile
        v = profile.vessel
        self.setWindowTitle(f"Vessel — {v.name or v.imo or v.mmsi}")
        self.title.setText(v.name or "(unnamed vessel)")
        designated = profile.designations
        self.badge.setVisible(bool(designated))
        if designated:
            programs = sorted({f"{d.authority} {d.program}".strip() for d in designated})
            self.badge.setText(f"SANCTIONED — {', '.join(programs)}")
        hint = profile.flag_hint
        flag = v.flag or "—"
        if hint and v.flag and hint.lower() != v.flag.lower():
            flag_text = f"{flag}  <span style='color:{SANCTION_COLOUR}'>(MMSI's MID points to {hint})</span>"
        elif hint:
            flag_text = f"{flag}  <span style='color:gray'>(MID hint: {hint})</span>"
        else:
            flag_text = flag
        size = " × ".join(f"{x:g} m" for x in (v.length_m, v.beam_m) if x) or "—"
        values = {
            "imo": str(v.imo or "—"),
            "mmsi": display_mmsi(v.mmsi, v.mmsi_as_given) or "—",
            "name": v.name or "—",
            "flag": flag_text,
            "call_sign": v.call_sign or "—",
            "vessel_type": v.vessel_type or "—",
            "length": size,
            "tonnage": f"{v.gross_tonnage:,.0f}" if v.gross_tonnage else "—",
            "owner": v.owner or "—",
        }
        for key, text in values.items():
            self.identity_labels[key].setText(text)
        self.designations.set_rows(designated)
        _fit_rows(self.designation_view, max(1, len(designated)))
        self.sanctions_box.setVisible(bool(designated))
        rows = identity_rows(profile.identities)
        self.history.set_rows(rows)
        changes = [r for r in rows if r.changed]
        names = len({r.name for r in rows if r.name})
        flags = len({r.flag for r in rows if r.flag})
        self.history_note.setText(
            f"{len(rows)} identities; {names} name(s), {flags} flag(s); {len(changes)} change(s) marked."
            if rows
            else "No identity history recorded (import AIS static data or a registry to build it)."
        )
        self.incidents.set_rows(profile.incidents)
        self.track_button.setEnabled(bool(v.mmsi))
        self.track_button.setToolTip("" if v.mmsi else "No MMSI: no AIS track to show")
        return profile

    def _request_track(self) -> None:
        if self.profile is not None and self.profile.vessel.mmsi:
            self.trackRequested.emit(int(self.profile.vessel.mmsi))

    def _incident_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.incidentActivated.emit(
                index.data(VesselIncidentModel.IdRole), index.data(VesselIncidentModel.CaseRole)
            )


class VesselListModel(ListTableModel):
    SANCTIONS, NAME, IMO, MMSI, FLAG, TYPE, IDENTITIES, INCIDENTS = range(8)
    HEADERS = ("", "Name", "IMO", "MMSI", "Flag", "Type", "Identities", "Incidents")

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r: vessels.VesselListRow = self._rows[index.row()]
        col = index.column()
        if role == DISPLAY:
            return {
                self.SANCTIONS: "SANCTIONED" if r.sanctioned else "",
                self.NAME: r.name or "(unnamed)",
                self.IMO: str(r.imo or ""),
                self.MMSI: r.mmsi_text,
                self.FLAG: r.flag,
                self.TYPE: r.vessel_type,
                self.IDENTITIES: r.identities,
                self.INCIDENTS: r.incidents,
            }.get(col)
        if role == Qt.ItemDataRole.DecorationRole and col == self.SANCTIONS and r.sanctioned:
            return sanction_icon()
        if role == Qt.ItemDataRole.ForegroundRole and col == self.SANCTIONS and r.sanctioned:
            return QBrush(QColor(SANCTION_COLOUR))
        if role == Qt.ItemDataRole.ToolTipRole and col == self.SANCTIONS and r.sanctioned:
            return f"{r.designations} sanctions designation(s) on record"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.IDENTITIES, self.INCIDENTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == self.IdRole:
            return r.id
        return None


class VesselListDialog(QDialog):
    """Tools ▸ Vessels…: every vessel, filterable; double-click opens its page."""

    vesselActivated = Signal(str)
    newVesselRequested = Signal()  # "New vessel…": the window's VesselController opens the dialog

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Vessels")
        self.setObjectName("vesselList")
        self.resize(860, 520)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: IMO, MMSI or (former) name")
        self.filter_edit.setAccessibleName("Filter vessels")
        self.filter_edit.textChanged.connect(self.reload)
        self.model = VesselListModel(self)
        self.view = _table(self.model, "Vessels")
        self.view.doubleClicked.connect(lambda index: self.vesselActivated.emit(index.data(VesselListModel.IdRole)))
        self.count_label = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.new_button = buttons.addButton("New vessel…", QDialogButtonBox.ButtonRole.ActionRole)
        self.new_button.setAccessibleName("New vessel")
        self.new_button.clicked.connect(self.newVesselRequested)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        rows = vessels.vessel_rows(self.ctx, self.filter_edit.text())
        self.model.set_rows(rows)
        sanctioned = sum(1 for r in rows if r.sanctioned)
        self.count_label.setText(f"{len(rows)} vessel(s), {sanctioned} sanctioned")
