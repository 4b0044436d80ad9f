"""The incident detail: every field editable, validated at the field, each edit an undoable command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import NotFound, UserError, ValidationError
from evidence_app.domain.incident import CARGO_KINDS, INDICATORS, ROLES, metric_rows
from evidence_app.domain.timeparse import parse_utc
from evidence_app.services import incident_queries, tags, vessels
from evidence_app.services.incident_queries import IncidentView
from evidence_app.services.record_edits import BASE_ONLY
from evidence_app.ui.commands import Desk, EditIncidentCommand, ParticipantCommand, TagCommand
from evidence_app.ui.models.detail_models import ParticipantItem, ParticipantModel

ERROR_STYLE = "border: 1px solid #c8382d; background: rgba(200, 56, 45, 30);"


class CommitTextEdit(QPlainTextEdit):
    """A multi-line field that commits when it loses focus, like a line edit's editingFinished."""

    editingFinished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.editingFinished.emit()


def _text(value: str) -> str:
    return value.strip()


def _time(value: str, field: str, required: bool) -> datetime | None:
    if not value.strip():
        if required:
            raise ValidationError("an incident needs a start time", field=field)
        return None
    return parse_utc(value, field=field)


def _number(value: str, field: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise ValidationError(f"{value!r} is not a number", field=field) from None


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _fmt_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


class IncidentDetail(QWidget):
    vesselActivated = Signal(str)  # a participant was double-clicked: open its vessel page
    newVesselRequested = Signal(str, str, str)  # incident id, the unknown vessel typed, role: create it

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.incident_id: str | None = None
        self.values: dict[str, Any] = {}
        self.version = BASE_ONLY
        self._loading = False
        # field name -> (widget, parse(text) -> value, format(value) -> text)
        self.fields: dict[str, tuple[QWidget, Callable[[str], Any], Callable[[Any], str]]] = {}
        self.errors: dict[str, str] = {}

        self.header = QLabel("No incident selected")
        self.header.setObjectName("detailHeader")
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.header.setFont(font)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c8382d")
        self.error_label.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add(form, "title", "Title", QLineEdit(), _text, str)
        self._add(
            form,
            "start_utc",
            "Start (UTC)",
            QLineEdit(),
            lambda v: _time(v, "start_utc", True),
            _fmt_time,
            "2024-05-14 23:40",
        )
        self._add(
            form, "end_utc", "End (UTC)", QLineEdit(), lambda v: _time(v, "end_utc", False), _fmt_time, "optional"
        )
        self._add(form, "local_time_text", "Local time (as given)", QLineEdit(), _text, str, "the source's own words")
        self._add(
            form,
            "lat",
            "Latitude",
            QLineEdit(),
            lambda v: _number(v, "lat"),
            lambda v: "" if v is None else f"{v:.5f}",
            "decimal degrees, north positive",
        )
        self._add(
            form,
            "lon",
            "Longitude",
            QLineEdit(),
            lambda v: _number(v, "lon"),
            lambda v: "" if v is None else f"{v:.5f}",
            "decimal degrees, east positive",
        )
        self._add(
            form,
            "radius_m",
            "Uncertainty (m)",
            QLineEdit(),
            lambda v: _number(v, "radius_m"),
            _fmt_number,
            "radius in metres",
        )
        method = QComboBox()
        method.setEditable(True)
        method.addItems(["", "AIS", "imagery", "AIS convergence", "reported", "estimated"])
        self._add(form, "position_method", "Position from", method, _text, str)
        self._add(form, "reported_location", "Reported location", QLineEdit(), _text, str)
        # What an imported event file measured (distance, speed, duration): read-only, as the source gave it.
        self.metrics_label = QLabel(objectName="eventMetrics", wordWrap=True)
        self.metrics_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.metrics_label.setToolTip("Figures the imported event file gave for this incident")
        form.addRow("Event figures", self.metrics_label)
        self._metrics_form = form
        cargo = QComboBox()
        cargo.setEditable(True)
        cargo.addItems(["", *CARGO_KINDS])
        self._add(form, "cargo_kind", "Cargo", cargo, _text, str)
        qty_row = QHBoxLayout()
        qty = QLineEdit()
        unit = QLineEdit()
        unit.setMaximumWidth(70)
        self._register("cargo_quantity", "Cargo quantity", qty, lambda v: _number(v, "cargo_quantity"), _fmt_number)
        self._register("cargo_unit", "Cargo unit", unit, _text, str)
        unit.setPlaceholderText("t, bbl…")
        qty_row.addWidget(qty, 1)
        qty_row.addWidget(unit)
        form.addRow("Quantity", qty_row)

        indicators_box = QGroupBox("Indicators observed")
        grid = QGridLayout(indicators_box)
        self.indicator_checks: dict[str, QCheckBox] = {}
        for i, (key, label) in enumerate(INDICATORS.items()):
            check = QCheckBox(label)
            check.setAccessibleName(f"Indicator: {label}")
            check.setObjectName(f"indicator_{key}")
            check.toggled.connect(self._indicators_changed)
            self.indicator_checks[key] = check
            grid.addWidget(check, i // 2, i % 2)

        self.assessment = CommitTextEdit()
        self.assessment.setAccessibleName("Assessment")
        self.assessment.setPlaceholderText("Analyst's assessment")
        self.assessment.setMaximumHeight(70)
        self.assessment.editingFinished.connect(self._assessment_changed)

        # Tags, as chips with a remove button, and an entry with completion.
        self.tag_row = QHBoxLayout()
        self.tag_row.setSpacing(4)
        self.tag_entry = QLineEdit()
        self.tag_entry.setPlaceholderText("add tag…")
        self.tag_entry.setAccessibleName("Add a tag to the incident")
        self.tag_entry.setMaximumWidth(140)
        self.tag_completions = QStringListModel(self)
        completer = QCompleter(self.tag_completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_entry.setCompleter(completer)
        self.tag_entry.returnPressed.connect(self._add_tag)
        tags_widget = QWidget()
        tags_layout = QHBoxLayout(tags_widget)
        tags_layout.setContentsMargins(0, 0, 0, 0)
        tags_layout.addLayout(self.tag_row)
        tags_layout.addWidget(self.tag_entry)
        tags_layout.addStretch(1)
        self.tag_chips: list[QToolButton] = []

        # Participants: assessed identity, and the identity each one claimed (editable).
        self.participants = ParticipantModel(self)
        self.participants.editRequested.connect(self._participant_edit)
        self.participant_view = QTableView()
        self.participant_view.setModel(self.participants)
        self.participant_view.setAccessibleName("Participants")
        self.participant_view.verticalHeader().hide()
        self.participant_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.participant_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.participant_view.setMaximumHeight(120)
        self.participant_view.doubleClicked.connect(self._participant_double_clicked)
        self.vessel_entry = QLineEdit()
        self.vessel_entry.setPlaceholderText("vessel: IMO, MMSI or name")
        self.vessel_entry.setAccessibleName("Vessel to add as participant")
        self.role_combo = QComboBox()
        self.role_combo.addItems(list(ROLES))
        self.role_combo.setAccessibleName("Role of the vessel to add")
        add_vessel = QPushButton("Add")
        add_vessel.setAccessibleName("Add participant")
        add_vessel.clicked.connect(self._add_participant)
        self.vessel_entry.returnPressed.connect(self._add_participant)
        remove_vessel = QPushButton("Remove")
        remove_vessel.setAccessibleName("Remove selected participant")
        remove_vessel.clicked.connect(self._remove_participant)
        part_row = QHBoxLayout()
        part_row.addWidget(self.vessel_entry, 1)
        part_row.addWidget(self.role_combo)
        part_row.addWidget(add_vessel)
        part_row.addWidget(remove_vessel)
        part_box = QGroupBox("Participants (assessed vs claimed identity)")
        part_layout = QVBoxLayout(part_box)
        part_layout.addWidget(self.participant_view)
        part_layout.addLayout(part_row)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.header)
        layout.addWidget(self.error_label)
        layout.addLayout(form)
        layout.addWidget(indicators_box)
        layout.addWidget(QLabel("Assessment"))
        layout.addWidget(self.assessment)
        layout.addWidget(QLabel("Tags"))
        layout.addWidget(tags_widget)
        layout.addWidget(part_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setEnabled(False)

    # -- building -------------------------------------------------------------------------
    def _register(
        self,
        name: str,
        label: str,
        widget: QWidget,
        parse: Callable[[str], Any],
        fmt: Callable[[Any], str],
        placeholder: str = "",
    ) -> None:
        widget.setAccessibleName(label)
        widget.setObjectName(f"field_{name}")
        edit = widget.lineEdit() if isinstance(widget, QComboBox) else widget
        if placeholder and isinstance(edit, QLineEdit):
            edit.setPlaceholderText(placeholder)
        self.fields[name] = (widget, parse, fmt)
        if isinstance(widget, QComboBox):
            widget.lineEdit().editingFinished.connect(lambda n=name: self.commit(n))
            widget.activated.connect(lambda _i, n=name: self.commit(n))
        else:
            widget.editingFinished.connect(lambda n=name: self.commit(n))  # type: ignore[attr-defined]

    def _add(
        self,
        form: QFormLayout,
        name: str,
        label: str,
        widget: QWidget,
        parse: Callable[[str], Any],
        fmt: Callable[[Any], str],
        placeholder: str = "",
    ) -> None:
        self._register(name, label, widget, parse, fmt, placeholder)
        form.addRow(label, widget)

    @staticmethod
    def _get_text(widget: QWidget) -> str:
        return widget.currentText() if isinstance(widget, QComboBox) else widget.text()  # type: ignore[attr-defined]

    @staticmethod
    def _set_text(widget: QWidget, text: str) -> None:
        if isinstance(widget, QComboBox):
            widget.setCurrentText(text)
        else:
            widget.setText(text)  # type: ignore[attr-defined]

    # -- loading --------------------------------------------------------------------------
    def load(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self.clear_errors()
        if not incident_id:
            self.header.setText("No incident selected")
            self._show_nothing()
            self.setEnabled(False)
            return
        try:
            incident: IncidentView = incident_queries.incident_view(self.desk.ctx, incident_id)
        except NotFound:
            self.load(None)
            return
        self._loading = True
        try:
            self.setEnabled(True)
            self.header.setText(incident.title or "(untitled incident)")
            self.values = {name: incident.columns[name] for name in (*self.fields, "indicators", "assessment")}
            self.version = incident.version  # what an edit from this panel is based on
            for name, (widget, _parse, fmt) in self.fields.items():
                self._set_text(widget, fmt(self.values[name]))
            for key, check in self.indicator_checks.items():
                check.setChecked(key in incident.indicators)
            self.assessment.setPlainText(incident.assessment or "")
            rows = metric_rows(incident.metrics)
            self.metrics_label.setText("; ".join(f"{label}: {text}" for label, text in rows))
            self._metrics_form.setRowVisible(self.metrics_label, bool(rows))
            self.participants.set_rows(
                [
                    ParticipantItem(
                        p.vessel_id,
                        p.role,
                        p.name,
                        p.imo,
                        p.mmsi,
                        p.flag,
                        p.claimed_name,
                        p.claimed_flag,
                        p.claimed_imo,
                        p.claimed_mmsi,
                        tuple(d.label for d in p.designations),
                    )
                    for p in sorted(
                        incident.participants,
                        key=lambda p: (ROLES.index(p.role) if p.role in ROLES else 9, p.name),
                    )
                ]
            )
            self._show_tags(list(incident.tags))
            self.tag_completions.setStringList(tags.all_tags(self.desk.ctx))
        finally:
            self._loading = False

    def _show_nothing(self) -> None:
        """No incident: empty fields, not the last incident's values greyed out (another case's, maybe)."""
        self._loading = True
        try:
            self.values = {}
            for widget, _parse, _fmt in self.fields.values():
                self._set_text(widget, "")
            for check in self.indicator_checks.values():
                check.setChecked(False)
            self.assessment.setPlainText("")
            self.metrics_label.setText("")
            self.participants.set_rows([])
            self._show_tags([])
        finally:
            self._loading = False

    def _show_tags(self, names: list[str]) -> None:
        for chip in self.tag_chips:
            self.tag_row.removeWidget(chip)
            chip.deleteLater()
        self.tag_chips = []
        for name in names:
            chip = QToolButton()
            chip.setText(f"{name}  ✕")
            chip.setToolTip(f"Remove the tag '{name}'")
            chip.setAccessibleName(f"Tag {name}: remove")
            chip.setAutoRaise(False)
            chip.clicked.connect(lambda _c=False, n=name: self._remove_tag(n))
            self.tag_row.addWidget(chip)
            self.tag_chips.append(chip)

    # -- validation display ---------------------------------------------------------------
    def mark_error(self, exc: ValidationError) -> None:
        field = exc.field or ""
        widget = self.fields.get(field, (None,))[0] if field in self.fields else None
        if field in ("lat", "lon") and widget is None:
            widget = self.fields["lat"][0]
        self.errors[field] = exc.message
        if widget is not None:
            widget.setStyleSheet(ERROR_STYLE)
            widget.setToolTip(exc.message)
        self.error_label.setText(
            f"{self.fields[field][0].accessibleName() if field in self.fields else field}: {exc.message}"
            if field
            else exc.message
        )
        self.error_label.show()

    def clear_errors(self, field: str | None = None) -> None:
        names = [field] if field else list(self.errors)
        for name in names:
            self.errors.pop(name, None)
            if name in self.fields:
                self.fields[name][0].setStyleSheet("")
                self.fields[name][0].setToolTip("")
        if not self.errors:
            self.error_label.hide()

    # -- committing -----------------------------------------------------------------------
    def commit(self, name: str) -> bool:
        """Push the edit of one field if it changed; mark the field if it is invalid."""
        if self._loading or not self.incident_id:
            return False
        if name in ("lat", "lon"):
            return self._commit_position()
        widget, parse, _fmt = self.fields[name]
        try:
            value = parse(self._get_text(widget))
        except ValidationError as exc:
            self.mark_error(exc)
            return False
        self.clear_errors(name)
        if value == self.values.get(name):
            return False
        return self.push_edit({name: value})

    def _commit_position(self) -> bool:
        """Latitude and longitude travel together: one half alone waits for the other."""
        parsed: dict[str, Any] = {}
        for key in ("lat", "lon"):
            widget, parse, _fmt = self.fields[key]
            try:
                parsed[key] = parse(self._get_text(widget))
            except ValidationError as exc:
                self.mark_error(exc)
                return False
            self.clear_errors(key)
        if (parsed["lat"] is None) != (parsed["lon"] is None):
            return False  # the other half is still to come
        if parsed == {"lat": self.values.get("lat"), "lon": self.values.get("lon")}:
            return False
        return self.push_edit(parsed, "Edit position")

    def push_edit(self, after: dict[str, Any], text: str | None = None) -> bool:
        assert self.incident_id is not None
        before = {k: self.values.get(k) for k in after}
        return self.desk.perform(
            EditIncidentCommand(self.desk, self.incident_id, before, after, text, base_version=self.version),
            on_invalid=self.mark_error,
        )

    def _indicators_changed(self, _checked: bool) -> None:
        if self._loading or not self.incident_id:
            return
        chosen = sorted(k for k, c in self.indicator_checks.items() if c.isChecked())
        if chosen != sorted(self.values.get("indicators") or []):
            self.push_edit({"indicators": chosen}, "Edit indicators")

    def _assessment_changed(self) -> None:
        if self._loading or not self.incident_id:
            return
        text = self.assessment.toPlainText().strip()
        if text != (self.values.get("assessment") or ""):
            self.push_edit({"assessment": text}, "Edit assessment")

    def _add_tag(self) -> None:
        name = self.tag_entry.text().strip()
        if not name or not self.incident_id:
            return
        if self.desk.perform(TagCommand(self.desk, "incident", self.incident_id, name, True)):
            self.tag_entry.clear()

    def _remove_tag(self, name: str) -> None:
        if self.incident_id:
            self.desk.perform(TagCommand(self.desk, "incident", self.incident_id, name, False))

    def _participant_state(self, p: ParticipantItem) -> dict[str, Any]:
        return {
            "role": p.role,
            "claimed_name": p.claimed_name,
            "claimed_flag": p.claimed_flag,
            "claimed_imo": p.claimed_imo,
            "claimed_mmsi": p.claimed_mmsi,
        }

    def _participant_edit(self, vessel_id: str, field: str, value: Any) -> None:
        if not self.incident_id:
            return
        p = next(p for p in self.participants.rows() if p.vessel_id == vessel_id)
        before = self._participant_state(p)
        after = {**before, field: value}

        def invalid(exc: ValidationError) -> None:
            self.participants.mark_error(vessel_id, exc.field or field, str(value), exc.message)

        self.desk.perform(ParticipantCommand(self.desk, self.incident_id, vessel_id, before, after), on_invalid=invalid)

    def _add_participant(self) -> None:
        ref = self.vessel_entry.text().strip()
        if not ref or not self.incident_id:
            return
        after = {"role": self.role_combo.currentText()}
        try:
            vessels.get_vessel(self.desk.ctx, ref)
        except vessels.NoSuchVessel:
            # A counterpart known only by sight: create the vessel, then it joins (ui/vessel_actions.py).
            self.vessel_entry.clear()
            self.newVesselRequested.emit(self.incident_id, ref, after["role"])
            return
        except UserError:
            pass  # ambiguous or malformed: the command below names the problem at the field

        def invalid(exc: ValidationError) -> None:
            self.vessel_entry.setStyleSheet(ERROR_STYLE)
            self.vessel_entry.setToolTip(exc.message)
            self.error_label.setText(f"Vessel: {exc.message}")
            self.error_label.show()

        try:
            if self.desk.perform(ParticipantCommand(self.desk, self.incident_id, ref, None, after), on_invalid=invalid):
                self.vessel_entry.clear()
                self.vessel_entry.setStyleSheet("")
        except NotFound as exc:  # pragma: no cover (NotFound is a UserError, reported by perform)
            invalid(ValidationError(exc.message, field="vessel"))

    def _remove_participant(self) -> None:
        index = self.participant_view.currentIndex()
        if not index.isValid() or not self.incident_id:
            return
        p = self.participants.rows()[index.row()]
        self.desk.perform(
            ParticipantCommand(self.desk, self.incident_id, p.vessel_id, self._participant_state(p), None)
        )

    def _participant_double_clicked(self, index: QModelIndex) -> None:
        # Identity cells open the vessel page; role and claimed cells are edited in place.
        if index.isValid() and index.column() not in ParticipantModel.EDITABLE:
            self.vesselActivated.emit(index.data(ParticipantModel.IdRole))
