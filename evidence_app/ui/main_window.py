"""The main window: cases and their incidents (the full review desk builds on this)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QMainWindow, QSplitter, QTableWidget, QTableWidgetItem

from evidence_app import APP_NAME
from evidence_app.domain.timeparse import format_utc
from evidence_app.services import cases, incidents
from evidence_app.services.context import Context


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"{APP_NAME} — {ctx.store.display_name}")
        self.case_list = QListWidget()
        self.case_list.setAccessibleName("Cases")
        self.incident_table = QTableWidget(0, 4)
        self.incident_table.setAccessibleName("Incidents")
        self.incident_table.setHorizontalHeaderLabels(["Start (UTC)", "Status", "Title", "Vessels"])
        splitter = QSplitter()
        splitter.addWidget(self.case_list)
        splitter.addWidget(self.incident_table)
        splitter.setStretchFactor(1, 3)
        self.setCentralWidget(splitter)
        self.statusBar().addPermanentWidget(QLabel(f"Store: {ctx.store.display_name}   Reviewer: {ctx.actor}"))
        self.case_list.currentRowChanged.connect(self._show_case)
        self._cases = cases.list_cases(ctx)
        for row in self._cases:
            self.case_list.addItem(f"{row.title} ({row.incidents})")
        if self._cases:
            self.case_list.setCurrentRow(0)
        self.resize(1100, 700)

    def _show_case(self, index: int) -> None:
        if index < 0:
            return
        rows = incidents.list_incidents(self.ctx, incidents.IncidentFilter(case_id=self._cases[index].id, limit=1000))
        self.incident_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate([format_utc(row.start_utc), row.status, row.title, row.vessels]):
                self.incident_table.setItem(r, c, QTableWidgetItem(value))
