"""The detection dialog: choose a detector and its parameters, run it in the background, turn checked rows into incidents."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from evidence_app.analysis.detection import Detection
from evidence_app.domain.errors import Cancelled, UserError, ValidationError
from evidence_app.domain.geo import parse_bbox
from evidence_app.domain.limits import DETECTION_RANGES
from evidence_app.domain.timeparse import format_utc, parse_utc
from evidence_app.services import cases, detect
from evidence_app.services.context import Context
from evidence_app.workers.tasks import Task, TaskRunner

KIND_LABELS = {
    "encounters": "Encounters (rendezvous)",
    "gaps": "AIS gaps (going dark)",
    "loitering": "Loitering",
    "identity": "Identity (jumps, renames, reflagging)",
}
# Spin box: (label, parameter field, decimals, suffix) — shown when the detector has the field. The
# ranges are the ones the service enforces (``domain.limits.DETECTION_RANGES``), shown as a tooltip.
PARAMETERS = (
    ("Distance", "max_distance_m", 0, " m"),
    ("Minimum duration", "min_hours", 2, " h"),
    ("Median speed below", "max_speed_kn", 1, " kn"),
    ("Distance from shore", "min_shore_m", 0, " m"),
    ("Away from ports and anchorages", "port_radius_m", 0, " m"),
    ("Silence of at least", "min_gap_hours", 2, " h"),
    ("Implausible above", "max_plausible_kn", 0, " kn"),
)
COL_CHECK, COL_KIND, COL_START, COL_HOURS, COL_MMSI, COL_PLACE, COL_MEASURE = range(7)
HEADERS = ("", "Kind", "Start (UTC)", "Hours", "MMSI", "Lat, lon", "Measurements")


class DetectDialog(QDialog):
    """Run a detector on the store; the lead's window opens it from a menu and listens to ``incidentsCreated``."""

    incidentsCreated = Signal(list)  # new incident ids
    detectionsReady = Signal(int)  # how many rows the table shows

    def __init__(
        self, ctx: Context, runner: TaskRunner, *, case_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Detect suspected transfers in AIS")
        self.setObjectName("detectDialog")
        self._ctx = ctx
        self._runner = runner
        self._task: Task | None = None
        self.detections: list[Detection] = []

        self.kind = QComboBox(objectName="detectKind")
        for kind in detect.KINDS:
            self.kind.addItem(KIND_LABELS[kind], kind)
        self.since = QLineEdit(
            objectName="detectSince", placeholderText="e.g. 2024-05-01 (empty: from the first position)"
        )
        self.until = QLineEdit(objectName="detectUntil", placeholderText="e.g. 2024-06-01T00:00Z (empty: to the last)")
        self.bbox = QLineEdit(objectName="detectBbox", placeholderText="W,S,E,N (empty: everywhere)")
        self.vessels = QLineEdit(
            objectName="detectVessels", placeholderText="IMO, MMSI or names, comma-separated (empty: all)"
        )
        form = QFormLayout()
        form.addRow("Detect", self.kind)
        form.addRow("From", self.since)
        form.addRow("Until", self.until)
        form.addRow("Area", self.bbox)
        form.addRow("Vessels", self.vessels)
        self.spins: dict[str, QDoubleSpinBox] = {}
        self._spin_labels: dict[str, QLabel] = {}
        for label, name, decimals, suffix in PARAMETERS:
            rng = DETECTION_RANGES[name]
            spin = QDoubleSpinBox(objectName=f"param_{name}")
            spin.setDecimals(decimals)
            spin.setRange(rng.low, rng.high)
            spin.setSuffix(suffix)
            # A typed value outside the range is not silently clamped away: the tooltip says the range
            # and the service refuses anything outside it with the same words.
            spin.setToolTip(f"{label}: {rng.describe()}" + (" (0 turns the rule off)" if rng.low == 0 else ""))
            self.spins[name] = spin
            self._spin_labels[name] = QLabel(label)
            form.addRow(self._spin_labels[name], spin)

        self.run_button = QPushButton("Run", objectName="detectRun")
        self.cancel_button = QPushButton("Cancel", objectName="detectCancel", enabled=False)
        self.progress = QProgressBar(objectName="detectProgress")
        self.progress.setRange(0, 1)
        self.status = QLabel("", objectName="detectStatus")
        self.status.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)

        self.table = QTableWidget(0, len(HEADERS), objectName="detectResults")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(COL_MEASURE, QHeaderView.ResizeMode.Stretch)

        self.case = QComboBox(objectName="detectCase")
        self.create_button = QPushButton("Create incidents", objectName="detectCreate", enabled=False)
        create_row = QHBoxLayout()
        create_row.addWidget(QLabel("Into case"))
        create_row.addWidget(self.case, 1)
        create_row.addWidget(self.create_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(create_row)
        self.resize(900, 640)

        self._load_cases(case_id)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.run_button.clicked.connect(self.run_detection)
        self.cancel_button.clicked.connect(self.cancel)
        self.create_button.clicked.connect(self.create_incidents)
        self.table.itemChanged.connect(lambda _item: self._update_create_button())
        self._kind_changed()

    # ------------------------------------------------------------------ state

    def _load_cases(self, case_id: str | None) -> None:
        self.case.clear()
        for row in cases.list_cases(self._ctx):
            self.case.addItem(row.title, row.id)
            if row.id == case_id:
                self.case.setCurrentIndex(self.case.count() - 1)

    def _kind_changed(self) -> None:
        """Show the parameters of the chosen detector, at its defaults."""
        kind = self.kind.currentData()
        defaults = detect.PARAMS_TYPES[kind]()
        for name, spin in self.spins.items():
            present = hasattr(defaults, name)
            spin.setVisible(present)
            self._spin_labels[name].setVisible(present)
            if present:
                spin.setValue(float(getattr(defaults, name)))

    def params(self) -> Any:
        kind = self.kind.currentData()
        params_type = detect.PARAMS_TYPES[kind]
        defaults = params_type()
        values = {name: spin.value() for name, spin in self.spins.items() if hasattr(defaults, name)}
        params = params_type(**values)
        detect.check_params(params)  # the same ranges, and words, as the command line
        return params

    def _busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.kind.setEnabled(not busy)
        if busy:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        self._update_create_button(busy)

    def _update_create_button(self, busy: bool = False) -> None:
        self.create_button.setEnabled(
            not busy and self._task is None and bool(self.checked_rows()) and self.case.count() > 0
        )

    def checked_rows(self) -> list[int]:
        return [
            r
            for r in range(self.table.rowCount())
            if (item := self.table.item(r, COL_CHECK)) is not None and item.checkState() == Qt.CheckState.Checked
        ]

    # ------------------------------------------------------------------ running

    def run_detection(self) -> Task | None:
        try:
            kind = self.kind.currentData()
            since = parse_utc(self.since.text(), field="from") if self.since.text().strip() else None
            until = parse_utc(self.until.text(), field="until") if self.until.text().strip() else None
            bbox = parse_bbox(self.bbox.text()) if self.bbox.text().strip() else None
            vessels = [v.strip() for v in self.vessels.text().split(",") if v.strip()]
            params = self.params()
        except ValidationError as exc:
            self.status.setText(str(exc))
            return None
        ctx = self._ctx

        def work(progress: Any, cancel: Any) -> detect.DetectionRun:
            return detect.run_detection(
                ctx,
                kind,
                since=since,
                until=until,
                bbox=bbox,
                vessels=vessels,
                params=params,
                progress=progress,
                cancel=cancel,
            )

        self.status.setText("Running…")
        self._task = self._runner.run_task(
            work, name=f"detect {kind}", on_result=self._show_run, on_error=self._failed, on_progress=self._progress
        )
        self._task.finished.connect(self._task_finished)
        self._busy(True)
        return self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _progress(self, done: int, total: object, message: str) -> None:
        if isinstance(total, int) and total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        self.status.setText(message)

    def _task_finished(self) -> None:
        self._task = None
        self._busy(False)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("Cancelled: nothing was changed.")
        elif isinstance(exc, UserError):
            self.status.setText(str(exc))
        else:
            self.status.setText(f"Something went wrong ({type(exc).__name__}: {exc}); see the log.")

    def _show_run(self, run: detect.DetectionRun) -> None:
        self.detections = list(run.detections)
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for det in self.detections:
            row = self.table.rowCount()
            self.table.insertRow(row)
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Unchecked)
            self.table.setItem(row, COL_CHECK, check)
            place = "" if det.lat is None else f"{det.lat:.4f}, {det.lon:.4f}"
            values = (
                det.kind,
                format_utc(det.start),
                f"{det.hours:.1f}",
                " ".join(map(str, det.mmsis)),
                place,
                _measurements(det),
            )
            for col, text in enumerate(values, start=COL_KIND):
                self.table.setItem(row, col, QTableWidgetItem(text))
        for exclusion in run.excluded:
            # Left-out candidates are listed after the detections, greyed and not checkable.
            det = exclusion.detection
            row = self.table.rowCount()
            self.table.insertRow(row)
            place = "" if det.lat is None else f"{det.lat:.4f}, {det.lon:.4f}"
            values = (
                f"left out: {exclusion.reason.replace('_', ' ')}",
                format_utc(det.start),
                f"{det.hours:.1f}",
                " ".join(map(str, det.mmsis)),
                place,
                exclusion.detail,
            )
            for col, text in enumerate(values, start=COL_KIND):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setForeground(self.palette().placeholderText())
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        left_out = ""
        if run.excluded:
            counts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(run.excluded_counts().items()))
            left_out = f" {len(run.excluded)} left out by place rules ({counts}), listed below them."
        self.status.setText(
            f"{len(self.detections)} found in {run.positions:,} positions of {run.vessels:,} vessels."
            f"{left_out} Check the rows to record as suspected incidents."
        )
        self.detectionsReady.emit(len(self.detections))

    def create_incidents(self) -> Task | None:
        chosen = [self.detections[r] for r in self.checked_rows()]
        case_id = self.case.currentData()
        if not chosen or not case_id:
            return None
        ctx = self._ctx

        def work(progress: Any, cancel: Any) -> detect.IncidentCreation:
            return detect.create_incidents_from_detections(ctx, case_id, chosen, progress=progress, cancel=cancel)

        self.status.setText("Creating incidents…")
        self._task = self._runner.run_task(
            work,
            name="create incidents from detections",
            on_result=self._created,
            on_error=self._failed,
            on_progress=self._progress,
        )
        self._task.finished.connect(self._task_finished)
        self._busy(True)
        return self._task

    def _created(self, result: detect.IncidentCreation) -> None:
        self.status.setText(
            f"{len(result.created)} incident(s) created, {len(result.existing)} already in the case"
            + (f", {len(result.skipped)} skipped" if result.skipped else "")
            + "."
        )
        self.incidentsCreated.emit(list(result.created))


def _measurements(det: Detection) -> str:
    m = det.metrics
    if det.kind == "encounter":
        return f"closest {m['min_distance_m']:.0f} m, median {m['median_distance_m']:.0f} m"
    if det.kind == "gap":
        return f"dark {m['gap_hours']:.1f} h, {m['implied_speed_kn']:.1f} kn implied" + (
            " — implausible jump" if m["implausible_jump"] else ""
        )
    if det.kind == "loitering":
        return f"{m['median_speed_kn']:.1f} kn within {m['radius_m']:.0f} m"
    if det.kind == "spoofing":
        return f"{m['jumps']} jumps, up to {m['max_distance_m'] / 1000:.0f} km"
    if "changed" in m:
        return "; ".join(f"{k}: {a} → {b}" for k, (a, b) in m["changed"].items())
    return f"MMSI shared: {', '.join(m.get('names', []))}"
