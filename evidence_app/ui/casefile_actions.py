"""File ▸ Export case / report / GeoJSON-KML and File ▸ Import case file: dialogs and their runs on the worker.

Every run goes through ``services.casefiles`` behind a cancellable progress dialog. An
import that is refused (altered bytes, unsafe paths, a lying manifest) shows the
service's own message and has written nothing; one that merges shows what it added,
updated and left alone, and opens the conflicts dialog when records conflict.
"""

from __future__ import annotations

import html as html_text
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evidence_app.casefile.export import default_out_name
from evidence_app.casefile.merge import MergeReport
from evidence_app.domain.errors import Cancelled, UserError, ValidationError
from evidence_app.services import casefiles
from evidence_app.ui.background import run_with_progress
from evidence_app.ui.conflicts_dialog import ConflictsDialog
from evidence_app.ui.errors import valid_input
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.workers.tasks import Task

# kind -> (dialog title, [(format key, label, suffix, file filter)])
EXPORTS: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    "case": ("Export case file", [("evcase", "Case file (.evcase)", ".evcase", "Case files (*.evcase)")]),
    "report": (
        "Export report",
        [
            ("pdf", "PDF (caveat on every page)", ".pdf", "PDF (*.pdf)"),
            ("html", "HTML (self-contained)", ".html", "HTML (*.html *.htm)"),
        ],
    ),
    "geo": (
        "Export GeoJSON / KML",
        [
            ("kml", "KML (Google Earth, timed tracks)", ".kml", "KML (*.kml)"),
            ("geojson", "GeoJSON", ".geojson", "GeoJSON (*.geojson *.json)"),
        ],
    ),
}


class ExportDialog(QDialog):
    """Where to write, in which format, and whether only confirmed incidents go out."""

    def __init__(self, kind: str, case_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        title, formats = EXPORTS[kind]
        self.setWindowTitle(title)
        self.setObjectName(f"exportDialog_{kind}")
        self.resize(560, 0)
        self.case_title = case_title
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Export format")
        for key, label, suffix, _filter in formats:
            self.format_combo.addItem(label, (key, suffix))
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("File to write")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.only_confirmed = QCheckBox("Only confirmed incidents")
        self.only_confirmed.setAccessibleName("Only confirmed incidents")
        self.only_confirmed.setToolTip("Leave out incidents that are not confirmed, with their evidence and tracks")
        self.with_report = QCheckBox("Include the HTML and PDF report")
        self.with_report.setChecked(True)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c8382d")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Case", QLabel(case_title))
        if len(formats) > 1:
            form.addRow("Format", self.format_combo)
        form.addRow("File", path_row)
        form.addRow("", self.only_confirmed)
        if kind == "case":
            form.addRow("", self.with_report)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.path_edit.setText(str(Path.home() / self._default_name()))

    def fmt(self) -> str:
        return self.format_combo.currentData()[0]

    def _default_name(self) -> str:
        return Path(default_out_name(self.case_title)).with_suffix(self.format_combo.currentData()[1]).name

    def _format_changed(self) -> None:
        current = Path(self.path_edit.text().strip() or self._default_name())
        self.path_edit.setText(str(current.with_suffix(self.format_combo.currentData()[1])))

    def browse(self) -> None:
        filters = ";;".join(f[3] for f in EXPORTS[self.kind][1])
        path, chosen = QFileDialog.getSaveFileName(self, self.windowTitle(), self.path_edit.text(), filters)
        if path:
            for i, (_key, _label, suffix, file_filter) in enumerate(EXPORTS[self.kind][1]):
                if file_filter == chosen:
                    self.format_combo.setCurrentIndex(i)
                    if not Path(path).suffix:
                        path += suffix
            self.path_edit.setText(path)

    def out_path(self) -> Path:
        text = self.path_edit.text().strip()
        if not text:
            raise ValidationError("choose the file to write", field="path")
        path = Path(text).expanduser()
        if not path.suffix:
            path = path.with_suffix(self.format_combo.currentData()[1])
        if not path.parent.is_dir():
            raise ValidationError(f"the folder {path.parent} does not exist", field="path")
        return path

    def accept(self) -> None:
        if valid_input(self.out_path, self.error_label):
            super().accept()


class CaseImportSummaryDialog(QDialog):
    """What a case-file import did: added, updated, unchanged, conflicts (with a way to resolve them)."""

    def __init__(self, report: MergeReport, file_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Case file imported")
        self.setObjectName("caseImportSummary")
        added = sum(report.added.values())
        updated = sum(report.updated.values())
        conflicts = len(report.conflicts)

        def detail(counter: Any) -> str:
            return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counter.items())) or "nothing"

        rows = [
            ("Added", f"{added}", detail(report.added)),
            ("Updated", f"{updated}", detail(report.updated)),
            ("Unchanged", f"{report.unchanged}", "records identical on both sides"),
            ("Kept local", f"{report.kept_local}", "changed only here since the last exchange"),
            ("Conflicts", f"{conflicts}", "changed on both sides: nothing was overwritten" if conflicts else "none"),
        ]
        if report.deleted:
            rows.append(
                (
                    "Deleted",
                    f"{sum(report.deleted.values())}",
                    f"{detail(report.deleted)}: deleted there, unchanged here",
                )
            )
        if report.evidence_deduplicated:
            rows.append(("Evidence already here", f"{report.evidence_deduplicated}", "same SHA-256, stored once"))
        if report.ais_positions_added:
            rows.append(("AIS positions", f"{report.ais_positions_added:,}", "added"))
        heading = "New case" if report.new_case else "Merged into the existing case"
        html = [
            f"<h3 style='margin:0'>{heading}</h3><p>{html_text.escape(file_name)}: every file's SHA-256 checked before"
            " anything was written.</p>",
            self._signer_html(report),
            "<table cellspacing='0' cellpadding='4'>",
        ]
        for label, value, note in rows:
            colour = "#c8382d" if label == "Conflicts" and conflicts else "inherit"
            html.append(
                f"<tr><td><b>{label}</b></td><td align='right' style='color:{colour}'><b>{value}</b></td>"
                f"<td style='color:palette(mid)'>{note}</td></tr>"
            )
        html.append("</table>")
        if report.warnings:
            html.append(
                "<p style='color:#b06000'><b>Warnings</b></p><ul style='margin-top:0'>"
                + "".join(f"<li>{html_text.escape(w)}</li>" for w in report.warnings)
                + "</ul>"
            )
        self.summary = QLabel("".join(html))
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(520)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setObjectName("caseImportFigures")
        self.figures = {"added": added, "updated": updated, "unchanged": report.unchanged, "conflicts": conflicts}
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.resolve_button = buttons.addButton("Resolve conflicts…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.resolve_button.setVisible(bool(conflicts))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    def _signer_html(self, report: MergeReport) -> str:
        """Who signed the file (name and key fingerprint, and whether this store knew the key), or that nobody did."""
        sig = report.signature
        if not sig.signed:
            self.signer_text = "Unsigned: who made this file cannot be checked"
            return (
                f"<p style='color:#c8382d'><b>{self.signer_text}</b> (an older export, or its signature was removed);"
                f" {report.audit_entries_unverified} audit entries from other stores are marked unverified.</p>"
            )
        colour = {"new": "#b06000", "seen before": "inherit", "trusted": "#2d7d46"}.get(sig.key_status, "inherit")
        self.signer_text = f"Signed by {sig.reviewer}"
        return (
            f"<p><b>{html_text.escape(self.signer_text)}</b><br>key <tt>{sig.fingerprint}</tt><br>"
            f"<span style='color:{colour}'>{html_text.escape(self._key_note(sig.key_status))}</span></p>"
        )

    @staticmethod
    def _key_note(status: str) -> str:
        return {
            "new": "New key: never seen in this store. Compare the fingerprint with the sender before relying on it.",
            "seen before": "Key seen before in this store.",
            "trusted": "Trusted key: its fingerprint was checked with its owner.",
        }.get(status, f"Key: {status}.")


class CaseFileController(DeskController):
    """Runs exports and case-file imports for the window; shows summaries, conflicts and refusals."""

    caseImported = Signal(str)  # case id, after a merge

    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.task: Task | None = None
        self.dialog: QDialog | None = None  # the last dialog opened (tests drive it)
        self.summary: CaseImportSummaryDialog | None = None
        self.conflicts_dialog: ConflictsDialog | None = None
        self.last_result: Any = None

    # -- exports --------------------------------------------------------------------------
    def open_export(self, kind: str) -> ExportDialog | None:
        case = self.host.current_case_title()
        if case is None:
            self.report_error(UserError("choose a case first"))
            return None
        case_id, title = case
        dialog = ExportDialog(kind, title, self.parent_widget)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(
            lambda: self.start_export(
                kind,
                case_id,
                dialog.out_path(),
                dialog.fmt(),
                dialog.only_confirmed.isChecked(),
                dialog.with_report.isChecked(),
            )
        )
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_export(
        self, kind: str, case_id: str, path: Path, fmt: str, only_confirmed: bool, with_report: bool = True
    ) -> Task | None:
        if self.task is not None:
            self.report_error(UserError("another export or import is still running: wait for it or cancel it"))
            return None
        if kind == "case":

            def func(progress: Any, cancel: Any) -> Any:
                return casefiles.export_case(
                    self.ctx,
                    case_id,
                    path,
                    only_confirmed=only_confirmed,
                    with_report=with_report,
                    progress=progress,
                    cancel=cancel,
                )
        elif kind == "report":

            def func(progress: Any, cancel: Any) -> Any:
                return casefiles.export_report(
                    self.ctx, case_id, path, fmt=fmt, only_confirmed=only_confirmed, progress=progress, cancel=cancel
                )
        else:

            def func(progress: Any, cancel: Any) -> Any:
                cancel.raise_if_cancelled()
                return casefiles.export_geo(self.ctx, case_id, path, fmt=fmt, only_confirmed=only_confirmed)

        def done(result: Any) -> None:
            self.task = None
            self.last_result = result
            self.status(f"Exported to {path}" + (" (confirmed incidents only)" if only_confirmed else ""))

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            func,
            title=EXPORTS[kind][0],
            label=f"Writing {path.name}",
            on_result=done,
            on_error=self._failed,
            name=f"export {kind}",
        )
        return self.task

    # -- import ---------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, "Import case file", "", "Case files (*.evcase);;All files (*)"
        )
        if path:
            self.start_import(Path(path))

    def start_import(self, path: Path) -> Task | None:
        if self.task is not None:
            self.report_error(UserError("another export or import is still running: wait for it or cancel it"))
            return None

        def done(report: MergeReport) -> None:
            self.task = None
            self.last_result = report
            self.caseImported.emit(report.case_id)
            self.show_summary(report, path.name)

        self.task = run_with_progress(
            self.parent_widget,
            self.runner,
            lambda progress, cancel: casefiles.import_case(self.ctx, path, progress=progress, cancel=cancel),
            title="Import case file",
            label=f"Checking and importing {path.name}",
            on_result=done,
            on_error=self._failed,
            name="import case file",
        )
        return self.task

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        if isinstance(exc, Cancelled):
            self.status("Cancelled: nothing was written.")
        else:
            self.report_error(exc)

    def show_summary(self, report: MergeReport, file_name: str) -> CaseImportSummaryDialog:
        dialog = CaseImportSummaryDialog(report, file_name, self.parent_widget)
        dialog.resolve_button.clicked.connect(lambda: self.open_conflicts(report.case_id))
        self.summary = dialog
        dialog.open()
        return dialog

    def open_conflicts(self, case_id: str | None = None) -> ConflictsDialog:
        dialog = ConflictsDialog(self.ctx, self.report_error, case_id=case_id, parent=self.parent_widget)
        dialog.resolved.connect(lambda _cid, _choice: self.caseImported.emit(case_id or ""))
        self.conflicts_dialog = dialog
        dialog.open()
        return dialog
