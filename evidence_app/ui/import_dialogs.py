"""File ▸ Import: AIS positions, vessel registries and detected events, with a column-mapping table and a report.

The dialog collects what the command line's ``import`` takes (files, format, ``--map``
pairs, a base time for untimed NMEA, the target case for events); ``ImportController``
runs the service on the worker behind a cancellable progress dialog and then shows the
``ImportReportDialog``. A cancelled or failed import leaves nothing: the service runs in
one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.errors import Cancelled, UserError, ValidationError
from evidence_app.domain.progress import CancelToken, Progress
from evidence_app.domain.timeparse import parse_utc
from evidence_app.ingest.columns import KINDS, ColumnPlan, plan_columns
from evidence_app.ingest.parsed import REASONS
from evidence_app.services import imports
from evidence_app.services.context import Context
from evidence_app.ui.background import run_with_progress
from evidence_app.ui.errors import valid_input
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.workers.tasks import Task

TITLES = {"ais": "Import AIS positions", "vessels": "Import a vessel registry", "events": "Import detected events"}
FORMATS = {
    "ais": [
        ("auto", "Recognise from content"),
        ("marinecadastre", "MarineCadastre CSV"),
        ("nmea", "NMEA (!AIVDM)"),
        ("csv", "Other CSV"),
    ],
    "vessels": [
        ("auto", "Recognise from content"),
        ("csv", "CSV with a header"),
        ("json", "JSON / GeoJSON"),
        ("ofac-sdn", "OFAC SDN.CSV"),
        ("un-xml", "UN Security Council consolidated list (XML)"),
    ],
    "events": [("auto", "CSV or GeoJSON (recognised)")],
}
FILE_FILTERS = {
    "ais": "AIS files (*.csv *.txt *.nmea *.ais *.gz *.zip);;All files (*)",
    "vessels": "Registries (*.csv *.json *.geojson *.gz *.zip);;All files (*)",
    "events": "Events (*.csv *.geojson *.json *.gz *.zip);;All files (*)",
}
FIELD_LABELS = {
    "mmsi": "MMSI",
    "time": "Time",
    "lat": "Latitude",
    "lon": "Longitude",
    "sog": "Speed (SOG)",
    "cog": "Course (COG)",
    "heading": "Heading",
    "nav_status": "Navigational status",
    "name": "Name",
    "imo": "IMO",
    "call_sign": "Call sign",
    "vessel_type": "Vessel type",
    "length": "Length",
    "beam": "Beam",
    "flag": "Flag",
    "gross_tonnage": "Gross tonnage",
    "owner": "Owner",
    "start": "Start",
    "end": "End",
    "vessel_a": "Vessel A",
    "vessel_b": "Vessel B",
    "title": "Title",
    "id": "Reference",
}
NOT_USED = "— not used —"
REPORT_PROBLEMS = 50  # problems the report dialog lists (the service keeps the first 50)


@dataclass
class ImportRequest:
    """One import, as the dialog collected it (the command line's arguments, as data)."""

    kind: str
    paths: list[str]
    fmt: str = "auto"
    mapping: dict[str, str] = field(default_factory=dict)
    base_time: datetime | None = None
    day_first: bool = True
    case_id: str | None = None

    def call(self, ctx: Context) -> Callable[..., imports.ImportReport]:
        """The service call for the worker: ``func(progress=, cancel=)``."""
        mapping = self.mapping or None

        def run(progress: Progress, cancel: CancelToken) -> imports.ImportReport:
            if self.kind == "ais":
                return imports.import_ais(
                    ctx,
                    self.paths,
                    fmt=self.fmt,
                    mapping=mapping,
                    base_time=self.base_time,
                    day_first=self.day_first,
                    progress=progress,
                    cancel=cancel,
                )
            if self.kind == "vessels":
                return imports.import_vessels(
                    ctx, self.paths[0], fmt=self.fmt, mapping=mapping, progress=progress, cancel=cancel
                )
            assert self.case_id is not None
            return imports.import_incidents(
                ctx,
                self.paths[0],
                self.case_id,
                mapping=mapping,
                day_first=self.day_first,
                progress=progress,
                cancel=cancel,
            )

        return run


class ColumnMappingTable(QTableWidget):
    """One row per field: which CSV column it comes from, prefilled from the header detection."""

    FIELD, COLUMN, STATE = range(3)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["Field", "CSV column", ""])
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(self.FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.STATE, QHeaderView.ResizeMode.ResizeToContents)
        self.setAccessibleName("Column mapping")
        self.plan: ColumnPlan | None = None
        self.combos: dict[str, QComboBox] = {}

    def set_plan(self, plan: ColumnPlan | None) -> None:
        self.plan = plan
        self.combos = {}
        self.setRowCount(0)
        if plan is None:
            return
        fields = list(KINDS[plan.kind][0])
        self.setRowCount(len(fields))
        for row, name in enumerate(fields):
            required = name in plan.required
            label = QTableWidgetItem(FIELD_LABELS.get(name, name) + (" *" if required else ""))
            label.setData(Qt.ItemDataRole.UserRole, name)
            label.setToolTip(f"--map {name}=COLUMN" + ("  (required)" if required else ""))
            if required:
                font = label.font()
                font.setBold(True)
                label.setFont(font)
            self.setItem(row, self.FIELD, label)
            combo = QComboBox()
            combo.setAccessibleName(f"Column for {FIELD_LABELS.get(name, name)}")
            combo.addItem(NOT_USED, None)
            for column in plan.header:
                combo.addItem(column, column)
            detected = plan.columns.get(name)
            combo.setCurrentIndex(combo.findData(detected) if detected else 0)
            combo.setProperty("detected", detected)
            combo.currentIndexChanged.connect(lambda _i, n=name: self._update_state(n))
            self.setCellWidget(row, self.COLUMN, combo)
            self.setItem(row, self.STATE, QTableWidgetItem())
            self.combos[name] = combo
            self._update_state(name)
        self.resizeRowsToContents()

    def _update_state(self, name: str) -> None:
        assert self.plan is not None
        row = list(self.combos).index(name)
        combo = self.combos[name]
        chosen = combo.currentData()
        state = self.item(row, self.STATE)
        if chosen is None and name in self.plan.required:
            state.setText("choose a column")
            state.setForeground(QBrush(QColor("#c8382d")))
        elif chosen is not None and chosen == combo.property("detected"):
            state.setText("detected")
            state.setForeground(QBrush(QColor("#2e7d32")))
        elif chosen is not None:
            state.setText("set by you")
            state.setForeground(QBrush(QColor("#2f7fd1")))
        else:
            state.setText("")

    def set_column(self, name: str, column: str | None) -> None:
        combo = self.combos[name]
        combo.setCurrentIndex(combo.findData(column) if column else 0)

    def mapping(self) -> dict[str, str]:
        """FIELD=COLUMN pairs for every field with a column (what ``--map`` would say)."""
        return {name: combo.currentData() for name, combo in self.combos.items() if combo.currentData() is not None}

    def missing(self) -> list[str]:
        if self.plan is None:
            return []
        return [f for f in self.plan.required if self.combos[f].currentData() is None]


class ImportDialog(QDialog):
    """Choose files and how to read them; ``request()`` says what to run."""

    def __init__(
        self,
        kind: str,
        cases: list[tuple[str, str]] | None = None,
        current_case: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(TITLES[kind])
        self.setObjectName(f"importDialog_{kind}")
        self.resize(640, 620)

        self.files = QListWidget()
        self.files.setAccessibleName("Files to import")
        self.files.setMaximumHeight(90)
        add = QPushButton("Add files…" if kind == "ais" else "Choose file…")
        add.clicked.connect(self.choose_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        file_buttons = QVBoxLayout()
        file_buttons.addWidget(add)
        file_buttons.addWidget(remove)
        file_buttons.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addLayout(file_buttons)

        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("File format")
        for value, text in FORMATS[kind]:
            self.format_combo.addItem(text, value)
        self.format_combo.currentIndexChanged.connect(self._refresh_plan)

        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        self.case_combo = QComboBox()
        self.case_combo.setAccessibleName("Target case")
        for case_id, title in cases or []:
            self.case_combo.addItem(title, case_id)
        if current_case:
            self.case_combo.setCurrentIndex(max(0, self.case_combo.findData(current_case)))
        if kind == "events":
            form.addRow("Into case", self.case_combo)
        self.base_time = QLineEdit()
        self.base_time.setPlaceholderText("e.g. 2024-05-14 00:00 (UTC)")
        self.base_time.setAccessibleName("Base time for NMEA without timestamps")
        self.base_time.setToolTip("The time given to NMEA messages that carry none (no tag block c:, no $PGHP line)")
        if kind == "ais":
            form.addRow("Base time (untimed NMEA)", self.base_time)
        self.month_first = QCheckBox("Dates are month first (01/11/2023 = 11 January)")
        self.month_first.setAccessibleName("Dates are month first")
        if kind in ("ais", "events"):
            form.addRow("", self.month_first)

        self.mapping_box = QGroupBox("CSV columns")
        self.mapping_note = QLabel()
        self.mapping_note.setWordWrap(True)
        self.mapping = ColumnMappingTable()
        box_layout = QVBoxLayout(self.mapping_box)
        box_layout.addWidget(self.mapping_note)
        box_layout.addWidget(self.mapping)

        self.error_label = QLabel()
        self.error_label.setObjectName("importError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c8382d")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Files" if kind == "ais" else "File"))
        layout.addLayout(file_row)
        layout.addLayout(form)
        layout.addWidget(self.mapping_box, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._refresh_plan()

    # -- files ----------------------------------------------------------------------------
    def paths(self) -> list[str]:
        return [self.files.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.files.count())]

    def choose_files(self) -> None:
        if self.kind == "ais":
            paths, _ = QFileDialog.getOpenFileNames(self, TITLES[self.kind], "", FILE_FILTERS[self.kind])
        else:
            path, _ = QFileDialog.getOpenFileName(self, TITLES[self.kind], "", FILE_FILTERS[self.kind])
            paths = [path] if path else []
        if paths:
            self.add_files(paths)

    def add_files(self, paths: list[str | Path]) -> None:
        """Add files (a registry or events import takes one: it replaces the previous)."""
        if self.kind != "ais":
            self.files.clear()
            paths = paths[:1]
        known = set(self.paths())
        for path in paths:
            if str(path) in known:
                continue
            self.files.addItem(Path(path).name)
            item = self.files.item(self.files.count() - 1)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
        self._refresh_plan()

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._refresh_plan()

    def _refresh_plan(self) -> None:
        """Read the first file's header and show the detected columns (or why there is no table)."""
        self.error_label.hide()
        paths = self.paths()
        plan = None
        if not paths:
            self.mapping_note.setText("Choose a file: a CSV's header is read and each field's column detected.")
        else:
            try:
                plan = plan_columns(paths[0], self.kind, self.format_combo.currentData())
            except UserError as exc:
                self.mapping_note.setText(f"Cannot read the header: {exc}")
            else:
                if plan is None:
                    self.mapping_note.setText(
                        "This file is not a CSV with a header (NMEA, JSON or OFAC SDN): "
                        "its fields are read without a column mapping."
                    )
                else:
                    extra = " (the same columns are used for every file)" if len(paths) > 1 else ""
                    self.mapping_note.setText(
                        f"Columns of {Path(paths[0]).name}{extra}. Detected from the header; "
                        "change any that is wrong. Fields marked * are required."
                    )
        self.mapping.set_plan(plan)
        self.mapping.setVisible(plan is not None)

    # -- result ---------------------------------------------------------------------------
    def request(self) -> ImportRequest:
        """What to run; ValidationError names the field to fix."""
        paths = self.paths()
        if not paths:
            raise ValidationError("choose a file to import", field="files")
        missing = self.mapping.missing()
        if missing:
            names = ", ".join(FIELD_LABELS.get(m, m) for m in missing)
            raise ValidationError(f"choose the CSV column for {names}", field="mapping")
        base_time = None
        if self.kind == "ais" and self.base_time.text().strip():
            base_time = parse_utc(self.base_time.text(), field="base_time")
        case_id = self.case_combo.currentData() if self.kind == "events" else None
        if self.kind == "events" and not case_id:
            raise ValidationError("choose the case the events go into (create one first)", field="case")
        return ImportRequest(
            self.kind,
            paths,
            self.format_combo.currentData(),
            self.mapping.mapping(),
            base_time,
            not self.month_first.isChecked(),
            case_id,
        )

    def accept(self) -> None:
        if valid_input(self.request, self.error_label):
            super().accept()


class ImportReportDialog(QDialog):
    """What an import did: read, imported, skipped by reason, what it created, the first problems."""

    def __init__(self, report: imports.ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Import report")
        self.setObjectName("importReport")
        self.resize(680, 560)
        kind = {"ais": "AIS positions", "vessels": "Vessel registry", "incidents": "Detected events"}.get(
            report.kind, report.kind
        )
        imported = sum(report.imported.values())
        skipped = sum(report.skipped.values())
        title = QLabel(f"<h3 style='margin:0'>{kind}: {', '.join(report.files)}</h3>")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setObjectName("alreadyImported")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff4d6; color: #5c4300; border: 1px solid #d99a1e; border-radius: 3px; padding: 6px;"
        )
        if report.already_imported:
            self.banner.setText(
                "Already imported (same SHA-256): "
                + ", ".join(report.already_imported)
                + ". Nothing was added from "
                + ("it." if len(report.already_imported) == 1 else "them.")
            )
        else:
            self.banner.hide()

        figures = QHBoxLayout()
        self.figures: dict[str, QLabel] = {}
        for key, value, colour in (
            ("read", report.read, "#444"),
            ("imported", imported, "#2e7d32"),
            ("skipped", skipped, "#c8382d" if skipped else "#444"),
        ):
            cell = QLabel(
                f"<div style='font-size:20pt; font-weight:600; color:{colour}'>{value:,}</div><div>{key}</div>"
            )
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setTextFormat(Qt.TextFormat.RichText)
            cell.setAccessibleName(f"{key}: {value}")
            cell.setObjectName(f"figure_{key}")
            cell.setStyleSheet("QLabel { border: 1px solid palette(mid); border-radius: 4px; padding: 6px 18px; }")
            figures.addWidget(cell)
            self.figures[key] = cell
        figures.addStretch(1)

        self.counts = QTreeWidget()
        self.counts.setAccessibleName("Counts by reason")
        self.counts.setHeaderLabels(["", "Count"])
        self.counts.setRootIsDecorated(True)
        bold = QFont()
        bold.setBold(True)

        def section(
            text: str, total: int, rows: dict[str, int], colour: str | None = None, show_key: bool = False
        ) -> None:
            top = QTreeWidgetItem([text, f"{total:,}"])
            top.setFont(0, bold)
            top.setFont(1, bold)
            for reason, n in rows.items():
                label = REASONS.get(reason, reason)
                child = QTreeWidgetItem([f"{reason}: {label}" if show_key else label, f"{n:,}"])
                child.setToolTip(0, reason)
                if colour:
                    child.setForeground(0, QBrush(QColor(colour)))
                child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                top.addChild(child)
            top.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.counts.addTopLevelItem(top)
            top.setExpanded(True)

        section("Imported", imported, report.imported)
        section("Skipped", skipped, report.skipped, "#c8382d", show_key=True)
        if report.created:
            section("New records", sum(report.created.values()), report.created)
        header = self.counts.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.hide()
        self.counts.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.counts.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.problems = QListWidget()
        self.problems.setAccessibleName("First problems")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for problem in report.problems[:REPORT_PROBLEMS]:
            self.problems.addItem(problem)
        self.problems.setFont(mono)
        shown = min(len(report.problems), REPORT_PROBLEMS)
        problems_label = QLabel(f"First {shown} problems (file:line: reason)" if shown else "No problems.")
        for note in report.notes:
            self.problems.addItem(f"note: {note}")

        copy = QPushButton("Copy report")
        copy.setToolTip("Copy the report as text (as the command line prints it)")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report.text()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addLayout(figures)
        layout.addWidget(self.counts, 3)
        layout.addWidget(problems_label)
        layout.addWidget(self.problems, 2)
        layout.addWidget(buttons)
        if not report.problems and not report.notes:
            self.problems.hide()


class ImportController(DeskController):
    """Opens the import dialogs, runs the chosen import on the worker, shows its report."""

    imported = Signal(object)  # the ImportReport, after a successful import

    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.dialog: ImportDialog | None = None
        self.report_dialog: ImportReportDialog | None = None
        self.task: Task | None = None

    def open_dialog(self, kind: str) -> ImportDialog:
        """Show the dialog (window-modal, non-blocking); accepting it starts the import."""
        dialog = ImportDialog(kind, self.host.case_choices(), self.host.current_case_id(), self.parent_widget)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self.start(dialog.request()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, request: ImportRequest) -> Task | None:
        if self.task is not None:
            self.report_error(UserError("another import is still running: wait for it or cancel it"))
            return None
        names = ", ".join(Path(p).name for p in request.paths[:3]) + ("…" if len(request.paths) > 3 else "")

        def done(report: imports.ImportReport) -> None:
            self.task = None
            self.imported.emit(report)
            self.show_report(report)

        def failed(exc: BaseException) -> None:
            self.task = None
            if isinstance(exc, Cancelled):
                self.status("Import cancelled: nothing was imported.")
            else:
                self.report_error(exc)

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            request.call(self.ctx),
            title=TITLES[request.kind],
            label=f"Importing {names}",
            on_result=done,
            on_error=failed,
            name=f"import {request.kind}",
        )
        return self.task

    def show_report(self, report: imports.ImportReport) -> ImportReportDialog:
        dialog = ImportReportDialog(report, self.parent_widget)
        self.report_dialog = dialog
        dialog.open()
        return dialog


def case_choices(rows: list[Any]) -> list[tuple[str, str]]:
    """(id, title) for the target-case combo, from ``services.cases.list_cases`` rows."""
    return [(r.id, r.title) for r in rows]
