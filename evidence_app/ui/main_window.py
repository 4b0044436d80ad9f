"""The review desk: the main window with its docks, menus, undo stack, attach workflow and first-run page.

The centre tabs hold the map (``ui.desk_map.DeskMap`` keeps it in step with the case, the
list filter, the selection and every edit) and the photo viewer (the photo selected in the
Evidence panel, annotated on the window's undo stack). ``select_incident`` is how the map
selects; ``place_incident`` / ``place_evidence`` are the undoable placements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from evidence_app import APP_NAME, APP_SLUG, __version__
from evidence_app.domain.errors import Cancelled, ConflictError, UserError
from evidence_app.services import cases, checkpoints, photo_handle
from evidence_app.services.context import Context
from evidence_app.services.map_data import CaseMap
from evidence_app.ui.attach_actions import AttachController
from evidence_app.ui.casefile_actions import CaseFileController
from evidence_app.ui.commands import AddIncidentCommand, Desk, PlaceCommand
from evidence_app.ui.conflicts_dialog import EditConflictDialog
from evidence_app.ui.demo_actions import DemoController
from evidence_app.ui.errors import configure_log_file, show_error
from evidence_app.ui.evidence_panel import EvidencePanel
from evidence_app.ui.import_dialogs import ImportController
from evidence_app.ui.incident_detail import IncidentDetail
from evidence_app.ui.incident_list import IncidentListPanel
from evidence_app.ui.live_refresh import LiveRefreshController
from evidence_app.ui.review_panel import ReviewPanel
from evidence_app.ui.reviewer_actions import ReviewerController
from evidence_app.ui.store_actions import StoreCheckController
from evidence_app.ui.team_database import TeamDatabaseController
from evidence_app.ui.vessel_actions import VesselController
from evidence_app.ui.vessel_page import VesselListDialog, VesselPage
from evidence_app.workers.tasks import Task, TaskRunner

STATE_VERSION = 1


def default_log_path(ctx: Context) -> Path:
    """The store's own log (beside a SQLite store, else the user's log folder)."""
    from evidence_app.storage.db import log_path_for

    return log_path_for(ctx.store.location)


class NewCaseDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create a case")
        self.title = QLineEdit()
        self.title.setAccessibleName("Case title")
        self.caveat = QLineEdit()
        self.caveat.setAccessibleName("Handling caveat")
        self.caveat.setPlaceholderText("e.g. OFFICIAL-SENSITIVE (printed on exports)")
        self.four_eyes = QCheckBox("Confirmations need a second reviewer (four eyes)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("Caveat", self.caveat)
        form.addRow(self.four_eyes)
        form.addRow(buttons)


class WelcomePage(QWidget):
    """Shown while the store has no case: the two ways to start."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(f"<h2>Welcome to {APP_NAME}</h2>")
        text = QLabel(
            "This store has no case yet. Create one for your investigation, or open the demo case "
            "(a fictitious East China Sea scenario, clearly marked as demo data) to look around: it opens "
            "in a window of its own, on its own store, so nothing of it enters yours."
        )
        text.setWordWrap(True)
        text.setMaximumWidth(520)
        self.create_button = QPushButton("Create a case…")
        self.create_button.setAccessibleName("Create a case")
        self.demo_button = QPushButton("Open the demo case")
        self.demo_button.setAccessibleName("Open the demo case")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (title, text, self.create_button, self.demo_button):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


def _placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setEnabled(False)
    return label


class MainWindow(QMainWindow):
    incidentSelected = Signal(str)
    vesselTrackRequested = Signal(int)  # MMSI, from a vessel page's "Show track on map" (the map connects it)

    def __init__(
        self,
        ctx: Context,
        *,
        settings: QSettings | None = None,
        log_path: Path | None = None,
        case_map: CaseMap | None = None,
        with_map: bool = True,
    ) -> None:
        """``case_map`` feeds the map (one is made from ``ctx`` if not given); ``with_map=False``
        keeps the placeholder (no browser process), for tests of the panels alone."""
        super().__init__()
        self.settings = settings or QSettings(APP_SLUG, "desk")
        self.log_path = configure_log_file(log_path or default_log_path(ctx))
        self.last_error_box: QMessageBox | QDialog | None = None
        self.desk = Desk(ctx, self.report_error, self)
        self.runner = TaskRunner(self)
        self.current_incident: str | None = None
        self.setWindowTitle(f"{APP_NAME} — {ctx.store.display_name}")
        self.setObjectName("mainWindow")
        self.setDockNestingEnabled(True)

        self._build_panels()
        self._build_centre(case_map, with_map)
        self._build_docks()
        self._build_status_bar()
        self._build_controllers()
        self._build_menus()
        self._connect_panels()
        self.resize(1600, 1000)
        self._restore_layout()
        self.list_panel.reload_cases()
        self._update_first_run()

    # -- the host of the feature controllers (ui/host.py) ---------------------------------
    @property
    def ctx(self) -> Context:
        """The store and the acting reviewer (File ▸ Switch Reviewer… changes who)."""
        return self.desk.ctx

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def current_case_id(self) -> str | None:
        return self.list_panel.current_case_id()

    def current_case_title(self) -> tuple[str, str] | None:
        row = self.list_panel.current_case()
        return (row.id, row.title) if row else None

    def case_choices(self) -> list[tuple[str, str]]:
        return [(r.id, r.title) for r in cases.list_cases(self.ctx)]

    # -- construction -----------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.list_panel = IncidentListPanel(self.desk)
        self.detail = IncidentDetail(self.desk)
        self.evidence_panel = EvidencePanel(self.desk)
        self.review_panel = ReviewPanel(self.desk)
        self.undo_view = QUndoView(self.desk.undo_stack)
        self.undo_view.setEmptyLabel("(opened)")
        self.undo_view.setAccessibleName("Undo history")

    def _build_centre(self, case_map: CaseMap | None, with_map: bool) -> None:
        """The map and photo tabs, behind the first-run page."""
        self.map_tabs = QTabWidget()
        self.map_tabs.setAccessibleName("Map and photo")
        self.map_widget: QWidget = _placeholder("Map\n\nThe map view will show incidents, tracks and footprints here.")
        self.photo_widget: QWidget = _placeholder(
            "Photo\n\nThe photo viewer will show the selected image evidence here."
        )
        self.map_tabs.addTab(self.map_widget, "Map")
        self.map_tabs.addTab(self.photo_widget, "Photo")
        self.photo_viewer = None  # the PhotoViewer in the Photo tab, when a photo is shown
        self.shown_photo: str | None = None
        self.desk_map = None
        if with_map:
            from evidence_app.ui.desk_map import DeskMap

            self.desk_map = DeskMap(
                self.desk, case_map or CaseMap(self.ctx), self, runner=self.runner, settings=self.settings
            )
            self.set_map_widget(self.desk_map.view)
        self.welcome = WelcomePage()
        self.centre = QStackedWidget()
        self.centre.addWidget(self.welcome)
        self.centre.addWidget(self.map_tabs)
        self.setCentralWidget(self.centre)

    def _build_docks(self) -> None:
        self.docks = {
            "incidents": self._dock("incidents", "Incidents", self.list_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            "detail": self._dock("detail", "Incident", self.detail, Qt.DockWidgetArea.RightDockWidgetArea),
            "evidence": self._dock("evidence", "Evidence", self.evidence_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
            "review": self._dock("review", "Review", self.review_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
            "undo": self._dock("undo", "Undo history", self.undo_view, Qt.DockWidgetArea.RightDockWidgetArea),
        }
        self.splitDockWidget(self.docks["evidence"], self.docks["review"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.docks["detail"], self.docks["undo"])
        self.docks["detail"].raise_()
        # The map in the centre gets the most room; the list shows its main columns.
        self.resizeDocks([self.docks["incidents"], self.docks["detail"]], [540, 420], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["evidence"]], [250], Qt.Orientation.Vertical)
        self._default_state = self.saveState(STATE_VERSION)

    def _build_status_bar(self) -> None:
        self.store_label = QLabel(f"Store: {self.ctx.store.display_name}")
        self.store_label.setAccessibleName("Store path")
        self.demo_label = QLabel(" DEMO DATA — fictitious ")
        self.demo_label.setObjectName("demoBadge")
        self.demo_label.setStyleSheet(
            "background: #d99a1e; color: black; font-weight: bold; border-radius: 3px; padding: 1px 6px;"
        )
        self.demo_label.hide()
        self.statusBar().addPermanentWidget(self.demo_label)
        self.statusBar().addPermanentWidget(self.store_label)

    def _build_controllers(self) -> None:
        # Each feature's dialogs and worker runs live in its own controller, which gets the
        # window as its host (ui/host.py).
        self.imports = ImportController(self)
        self.casefiles = CaseFileController(self)
        self.reviewers = ReviewerController(self)
        self.vessels = VesselController(self)
        self.demo = DemoController(self)
        self.attach = AttachController(self)
        self.store_check = StoreCheckController(self)
        self.reviewer_label = self.reviewers.label
        self.statusBar().addPermanentWidget(self.reviewer_label)
        self.team_db = TeamDatabaseController(self)  # File ▸ Open Team Database… (ui/team_database.py)
        self.live = LiveRefreshController(self)  # others' changes appear; a lost server is said (ui/live_refresh.py)
        self.statusBar().addPermanentWidget(self.live.label)
        self.reviewers.actorChanged.connect(self._actor_changed)
        self.imports.imported.connect(lambda _report: self.refresh())
        self.casefiles.caseImported.connect(lambda case_id: self.list_panel.reload_cases(select_id=case_id or None))
        self.detail.vesselActivated.connect(self.open_vessel_page)
        self.detail.newVesselRequested.connect(self.vessels.add_participant_by_sight)

    def _connect_panels(self) -> None:
        self.list_panel.incidentSelected.connect(self.select_incident)
        self.list_panel.caseSelected.connect(self._case_selected)
        self.list_panel.filesDropped.connect(self.attach_files)
        self.evidence_panel.filesDropped.connect(self.attach_files)
        self.evidence_panel.attachRequested.connect(self.choose_files_to_attach)
        self.evidence_panel.evidenceSelected.connect(self._evidence_selected)
        self.evidence_panel.placeRequested.connect(lambda evidence_id: self.place_on_map("evidence", evidence_id))
        if self.desk_map is not None:
            self.list_panel.filterChanged.connect(self.desk_map.apply_filter)
            self.desk_map.incidentClicked.connect(self.select_incident)
            self.desk_map.placeRequested.connect(self._placed_on_map)
            self.vesselTrackRequested.connect(
                lambda mmsi: (
                    self.desk_map.show_track(mmsi)
                    or self.statusBar().showMessage(f"No AIS positions stored for MMSI {mmsi}.", 8000)
                )
            )
        self.welcome.create_button.clicked.connect(self.new_case_dialog)
        self.welcome.demo_button.clicked.connect(self.open_demo_case)
        self.desk.incidentChanged.connect(self._incident_changed)
        self.desk.incidentsChanged.connect(self._incidents_changed)
        self.desk.undo_stack.cleanChanged.connect(lambda _c: None)

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")  # saveState/restoreState identify docks by object name
        dock.setWidget(widget)
        dock.setAccessibleName(title)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_case_action = self._action(
            file_menu, "New &Case…", self.new_case_dialog, "Ctrl+Shift+N", "Create a case"
        )
        self.new_incident_action = self._action(
            file_menu, "&New Incident", self.add_incident, QKeySequence.StandardKey.New, "Add an incident to the case"
        )
        self.attach_action = self._action(
            file_menu,
            "&Attach Files…",
            self.choose_files_to_attach,
            "Ctrl+Shift+A",
            "Attach files to the selected incident",
        )
        file_menu.addSeparator()
        import_menu = file_menu.addMenu("&Import")
        self._action(
            import_menu,
            "&AIS positions…",
            lambda: self.imports.open_dialog("ais"),
            tip="Import AIS files (MarineCadastre, NMEA, CSV)",
        )
        self._action(
            import_menu,
            "&Vessel registry…",
            lambda: self.imports.open_dialog("vessels"),
            tip="Import a vessel registry or the OFAC SDN list",
        )
        self._action(
            import_menu,
            "&Detected events…",
            lambda: self.imports.open_dialog("events"),
            tip="Import encounter detections as suspected incidents",
        )
        self._action(
            file_menu, "Import Case &File…", self.casefiles.choose_import, tip="Check and merge an .evcase file"
        )
        self._action(
            file_menu,
            "&Export Case…",
            lambda: self.casefiles.open_export("case"),
            "Ctrl+E",
            "Write the case as an .evcase file",
        )
        self._action(
            file_menu,
            "Export &Report…",
            lambda: self.casefiles.open_export("report"),
            tip="Write the case report as PDF or HTML",
        )
        self._action(
            file_menu,
            "Export &GeoJSON / KML…",
            lambda: self.casefiles.open_export("geo"),
            tip="Write incidents and tracks as KML or GeoJSON",
        )
        file_menu.addSeparator()
        self.add_basemap_action = self._action(
            file_menu, "Add &Basemap…", self.choose_basemap, tip="Add an MBTiles file as an offline basemap of the map"
        )
        self._action(
            file_menu, "Open &Demo", self.open_demo_case, tip="The fictitious demo case, in its own store and window"
        )
        self._action(  # ui/team_database.py
            file_menu, "Open &Team Database…", lambda: self.team_db.choose(), tip="A shared PostgreSQL database"
        )
        file_menu.addSeparator()
        self.switch_reviewer_action = self._action(
            file_menu,
            "S&witch Reviewer…",
            self.reviewers.open_dialog,
            tip="Act as another reviewer (four eyes at one desk) without restarting",
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.desk.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.desk.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self._action(
            edit_menu, "&Find Incidents", self.focus_search, QKeySequence.StandardKey.Find, "Search the incident list"
        )
        self.place_action = self._action(
            edit_menu,
            "&Place on Map",
            lambda: self.place_on_map(),
            "Ctrl+Shift+P",
            "The next click on the map sets the position of the selected incident (or, from the Evidence panel, of the selected item)",
        )
        self.place_action.setEnabled(False)
        toolbar = QToolBar("Map", self)
        toolbar.setObjectName("toolbar_map")  # saveState/restoreState identify toolbars by object name
        toolbar.addAction(self.place_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.map_toolbar = toolbar
        view_menu = bar.addMenu("&View")
        for dock in self.docks.values():  # a closed panel comes back from here
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.map_toolbar.toggleViewAction())
        view_menu.addSeparator()
        self._action(view_menu, "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh)
        self._action(view_menu, "Reset &Layout", self.reset_layout)
        self._action(
            view_menu,
            "&Compact Layout",
            self.compact_layout,
            tip="For a small screen: the panels in one column of tabs, the map gets the room",
        )
        tools_menu = bar.addMenu("&Tools")
        self._action(
            tools_menu,
            "&Detect Suspected Transfers…",
            self.open_detect_dialog,
            "Ctrl+Shift+D",
            tip="Find encounters, AIS gaps, loitering and identity changes in the stored AIS",
        )
        tools_menu.addSeparator()
        self._action(
            tools_menu, "&Verify Store…", self.verify_store, tip="Re-hash every evidence file and check the audit chain"
        )
        self._action(
            tools_menu, "&Vessels…", self.open_vessel_list, tip="Every vessel, with its identity history and sanctions"
        )
        self._action(
            tools_menu,
            "New V&essel…",
            lambda: self.vessels.open_dialog(),
            tip="Add a vessel, also one known only by sight (name or markings, no IMO or MMSI)",
        )
        self._action(
            tools_menu,
            "Merge &Conflicts…",
            lambda: self.casefiles.open_conflicts(),
            tip="Resolve conflicts from case-file imports",
        )
        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu,
            "Open &Demo Case",
            self.open_demo_case,
            tip="The fictitious demo case, in its own store and window",
        )
        self._action(help_menu, f"&About {APP_NAME}", self.about)

    # -- errors ---------------------------------------------------------------------------
    def report_error(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage("Cancelled: nothing was changed.", 8000)
            return
        if isinstance(exc, ConflictError):
            # Both versions side by side; the panels reload so the next edit starts from the current values.
            dialog = EditConflictDialog(exc, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
            self.last_error_box = dialog
            for incident_id in {exc.record_id if exc.entity == "incident" else None, self.current_incident} - {None}:
                self._incident_changed(incident_id)  # type: ignore[arg-type]
            return
        self.last_error_box = show_error(self, exc, self.log_path)

    # -- cases ----------------------------------------------------------------------------
    def new_case_dialog(self) -> None:
        dialog = NewCaseDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.create_case(dialog.title.text(), caveat=dialog.caveat.text(), four_eyes=dialog.four_eyes.isChecked())

    def create_case(self, title: str, *, caveat: str = "", four_eyes: bool = False) -> str | None:
        """Create a case and show it. Not undoable: a case is a container, removed only by an administrator."""
        try:
            case = cases.create_case(self.ctx, title, caveat=caveat, four_eyes=four_eyes)
        except UserError as exc:
            self.report_error(exc)
            return None
        self.list_panel.reload_cases(select_id=case.id)
        self._update_first_run()
        return case.id

    def _case_selected(self, case_id: str) -> None:
        row = self.list_panel.current_case()
        self.demo_label.setVisible(bool(row and row.is_demo))
        if row and row.is_demo:
            self.demo_label.setText(f" {row.caveat or 'DEMO DATA'} ")
        self._update_first_run()  # a case created, imported or opened anywhere ends the welcome page
        self.select_incident(None)
        if self.desk_map is not None:
            self.desk_map.view.select_incident(None, centre=False)  # the old case's selection ring goes
            # The map's time control spans the new case once its data lands (DeskMap.show_case).
            self.desk_map.show_case(case_id or None, self.list_panel.model.filter if case_id else None)
        first = self.list_panel.model.index(0, 0)
        if first.isValid():
            self.select_incident(first.data(self.list_panel.model.IdRole))

    def _update_first_run(self) -> None:
        has_case = self.list_panel.cases.rowCount() > 0
        self.centre.setCurrentWidget(self.map_tabs if has_case else self.welcome)
        self.new_incident_action.setEnabled(has_case)

    def open_demo_case(self) -> Task | None:
        """Open the demo case in its own store and window (ui/demo_actions.py)."""
        return self.demo.open_demo()

    def open_sibling_window(self, ctx: Context) -> MainWindow:
        """Another desk window on another store (the demo's), with this window's settings and log."""
        return MainWindow(ctx, settings=self.settings, log_path=self.log_path, with_map=self.desk_map is not None)

    # -- incidents ------------------------------------------------------------------------
    def add_incident(self) -> str | None:
        case_id = self.list_panel.current_case_id()
        if not case_id:
            return None
        command = AddIncidentCommand(
            self.desk, case_id, datetime.now(UTC).replace(second=0, microsecond=0), {"title": "New incident"}
        )
        if not self.desk.perform(command):
            return None
        self.select_incident(command.incident_id)
        title = self.detail.fields["title"][0]
        title.setFocus()
        title.selectAll()  # type: ignore[attr-defined]
        return command.incident_id

    def select_incident(self, incident_id: str | None) -> None:
        """Show an incident in the detail, evidence and review panels (the map calls this too)."""
        if incident_id == self.current_incident and incident_id is not None:
            return
        self.current_incident = incident_id
        if incident_id:
            self.list_panel.select(incident_id)
        self.detail.load(incident_id)
        self.evidence_panel.load(incident_id)
        self.review_panel.load(incident_id)
        self.attach_action.setEnabled(bool(incident_id))
        self.place_action.setEnabled(bool(incident_id) and self.desk_map is not None)
        if self.shown_photo and self.shown_photo not in {item.evidence_id for item in self.evidence_panel.model.rows()}:
            self.show_photo(None)  # that photo is not evidence of this incident
        elif self.photo_viewer is not None:
            self.photo_viewer.model.incident_id = incident_id  # its length check compares with this incident's vessels
        if self.desk_map is not None:
            self.desk_map.select(incident_id)
        self.incidentSelected.emit(incident_id or "")

    # -- the map --------------------------------------------------------------------------
    def place_on_map(self, kind: str | None = None, item_id: str | None = None) -> bool:
        """Put the map in place mode: the next click sets the position of the item.

        Without arguments: the evidence item selected in the Evidence panel when that panel
        has the keyboard focus, else the selected incident.
        """
        if self.desk_map is None:
            return False
        if kind is None:
            item = self.evidence_panel.selected()
            focus = QApplication.focusWidget()
            if item is not None and focus is not None and self.evidence_panel.isAncestorOf(focus):
                kind, item_id = "evidence", item.evidence_id
            elif self.current_incident:
                kind, item_id = "incident", self.current_incident
        if not kind or not item_id:
            return False
        self.map_tabs.setCurrentWidget(self.desk_map.view)
        self.desk_map.start_placing(kind, item_id)
        what = "incident" if kind == "incident" else "evidence item"
        self.statusBar().showMessage(f"Click the map to place the selected {what}.", 15000)
        return True

    def _placed_on_map(self, kind: str, item_id: str, lat: float, lon: float) -> None:
        self.statusBar().clearMessage()
        ok = self.place_incident(item_id, lat, lon) if kind == "incident" else self.place_evidence(item_id, lat, lon)
        if not ok and kind == "incident" and self.desk_map is not None:
            self.desk_map.refresh_incident(item_id)  # refused: the marker goes back to the stored position

    def place_incident(self, incident_id: str, lat: float, lon: float) -> bool:
        """Move an incident (the map's drag or click-to-place), as one undoable, audited edit."""
        command = PlaceCommand(self.desk, "incident", incident_id, lat, lon)
        return self.desk.perform(
            command, on_invalid=self.detail.mark_error if incident_id == self.current_incident else None
        )

    def place_evidence(self, evidence_id: str, lat: float, lon: float) -> bool:
        """Set an evidence item's point position from the map, as one undoable, audited edit."""
        return self.desk.perform(
            PlaceCommand(self.desk, "evidence", evidence_id, lat, lon, incident_id=self.current_incident or "")
        )

    # -- the photo ------------------------------------------------------------------------
    def _evidence_selected(self, evidence_id: str, kind: str) -> None:
        if kind == "photo" and evidence_id != self.shown_photo:
            if self.show_photo(evidence_id):
                self.map_tabs.setCurrentWidget(self.photo_widget)

    def show_photo(self, evidence_id: str | None) -> bool:
        """Show a photo in the Photo tab (annotations on the window's undo stack), or the placeholder."""
        from evidence_app.domain.errors import ValidationError
        from evidence_app.ui.photo_viewer import PhotoViewer

        self.shown_photo = None
        self.photo_viewer = None
        if evidence_id is None:
            self.set_photo_widget(_placeholder("Photo\n\nSelect a photo in the Evidence panel to see it here."))
            return False
        try:
            handle = photo_handle.PhotoHandle(self.ctx, evidence_id, self.current_incident)
        except ValidationError as exc:  # attached as a plain file before photo import existed
            self.set_photo_widget(_placeholder(f"Photo\n\nThis item cannot be shown: {exc}."))
            return False
        except UserError as exc:
            self.report_error(exc)
            return False
        viewer = PhotoViewer(handle, self.desk.undo_stack, shortcuts=False)
        viewer.setAccessibleName(f"Photo {handle.title}")
        self.set_photo_widget(viewer)
        self.photo_viewer = viewer
        self.shown_photo = handle.evidence_id
        return True

    def _incident_changed(self, incident_id: str) -> None:
        self.list_panel.refresh_incident(incident_id)
        if incident_id == self.current_incident:
            self.detail.load(incident_id)
            self.evidence_panel.load(incident_id)
            self.review_panel.load(incident_id)

    def _actor_changed(self, _name: str) -> None:
        # Windows holding their own context act under the new name too; the review panel
        # says again whose proposal waits and who may confirm it.
        for window in (self.vessels.page, self.vessels.list):
            if window is not None:
                window.ctx = self.ctx
        self.review_panel.load(self.current_incident)

    def _incidents_changed(self) -> None:
        self.list_panel.refresh_case_counts()
        self.list_panel.reload()
        current = self.current_incident
        self.current_incident = None
        self.select_incident(current)

    def open_detect_dialog(self) -> None:
        """Run detections over the stored AIS; incidents it creates go into the current case."""
        from evidence_app.ui.detect_dialog import DetectDialog

        dialog = DetectDialog(self.ctx, self.runner, case_id=self.list_panel.current_case_id(), parent=self)
        dialog.incidentsCreated.connect(lambda _ids: (self.refresh(), self._incidents_changed()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def refresh(self) -> None:
        self.list_panel.reload_cases()

    def focus_search(self) -> None:
        self.docks["incidents"].show()
        self.list_panel.text_edit.setFocus()
        self.list_panel.text_edit.selectAll()

    # -- basemaps -------------------------------------------------------------------------
    def choose_basemap(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a basemap", "", "MBTiles (*.mbtiles);;All files (*)")
        if path:
            self.add_basemap(path)

    def add_basemap(self, path: str) -> bool:
        """Register an MBTiles file (shared with ``evidence-app basemap add``) and show it in the map."""
        from evidence_app.services import basemaps

        try:
            entry = basemaps.add_basemap(path)
            if self.desk_map is not None:
                self.desk_map.view.add_mbtiles(entry.path)
        except UserError as exc:
            self.report_error(exc)
            return False
        self.statusBar().showMessage(f"Basemap {entry.name!r} added: choose it in the map's layer switcher.", 8000)
        return True

    # -- attaching (ui/attach_actions.py) -------------------------------------------------
    def choose_files_to_attach(self) -> None:
        self.attach.choose_files(self.current_incident)

    def attach_files(self, incident_id: str, paths: list[str]) -> Task | None:
        """Store and attach files on a worker, with a cancellable progress dialog; then one undoable command."""
        return self.attach.attach_files(incident_id, paths)

    @property
    def attach_task(self) -> Task | None:
        return self.attach.task

    # -- vessels (ui/vessel_actions.py) ---------------------------------------------------
    def open_vessel_page(self, vessel_ref: str) -> VesselPage | None:
        """Show a vessel's page (one, reused, non-modal window)."""
        return self.vessels.open_page(vessel_ref)

    def open_vessel_list(self) -> VesselListDialog:
        return self.vessels.open_list()

    @property
    def vessel_page(self) -> VesselPage | None:
        return self.vessels.page

    def show_incident(self, incident_id: str, case_id: str = "") -> bool:
        """Select an incident in the main list (switching case if needed); the panels show it even when a filter hides its row."""
        if case_id and case_id != self.list_panel.current_case_id():
            self.list_panel.reload_cases(select_id=case_id)
        self.select_incident(incident_id)
        return self.current_incident == incident_id

    # -- tools and help -------------------------------------------------------------------
    def verify_store(self) -> Task:
        """Re-hash every evidence file and check the audit chain, with progress and cancel (ui/store_actions.py)."""
        return self.store_check.verify()

    def about(self) -> None:
        QMessageBox.about(
            self, APP_NAME, f"<b>{APP_NAME}</b> {__version__}<br>Offline review of suspected ship-to-ship transfers."
        )

    # -- map and photo integration --------------------------------------------------------
    def set_map_widget(self, widget: QWidget) -> None:
        self._replace_tab(0, widget, "Map")
        self.map_widget = widget

    def set_photo_widget(self, widget: QWidget) -> None:
        self._replace_tab(1, widget, "Photo")
        self.photo_widget = widget

    def _replace_tab(self, index: int, widget: QWidget, title: str) -> None:
        old = self.map_tabs.widget(index)
        current = self.map_tabs.currentIndex()
        self.map_tabs.removeTab(index)
        self.map_tabs.insertTab(index, widget, title)
        self.map_tabs.setCurrentIndex(current)  # replacing a tab must not switch tabs (a hidden map never draws)
        if old is not None and old is not widget:
            old.deleteLater()

    # -- layout persistence and closing ---------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("desk/geometry")
        state = self.settings.value("desk/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state), STATE_VERSION)

    def save_layout(self) -> None:
        self.settings.setValue("desk/geometry", self.saveGeometry())
        self.settings.setValue("desk/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)

    def compact_layout(self) -> None:
        """For a laptop screen (1280 × 800): the panels in one column on the left, the list above
        the others as tabs, so the map gets most of the window. View ▸ Reset Layout goes back."""
        size = self.size()  # moving the docks passes through taller layouts: keep the window's size
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        order = ["incidents", "detail", "evidence", "review", "undo"]
        for name in order:
            dock = self.docks[name]
            dock.setFloating(False)
            self.addDockWidget(left, dock)
            dock.show()
        self.splitDockWidget(self.docks["incidents"], self.docks["detail"], Qt.Orientation.Vertical)
        for name in order[2:]:
            self.tabifyDockWidget(self.docks["detail"], self.docks[name])
        self.docks["detail"].raise_()
        self.resize(size)
        width = max(340, min(420, self.width() * 3 // 10))
        self.resizeDocks([self.docks["incidents"]], [width], Qt.Orientation.Horizontal)
        half = max(200, self.height() // 2 - 60)
        self.resizeDocks([self.docks["incidents"], self.docks["detail"]], [half, half], Qt.Orientation.Vertical)

    def fit_to_screen(self) -> None:
        """First start on a small screen (no saved layout): the compact layout at the screen's size."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is None or self.settings.value("desk/state") is not None or screen.width() >= 1440:
            return
        self.resize(min(self.width(), screen.width()), min(self.height(), screen.height()))
        self.compact_layout()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A running attach is cancelled and waited for: it rolls back whole (files already
        # streamed are inert objects without rows), so nothing is left half-attached.
        self.live.close()
        self.runner.shutdown()
        self.save_layout()
        # The end of a desk session anchors the audit chain: a signed checkpoint of its head.
        checkpoints.sign_head_quietly(self.ctx, "end of desk session")
        super().closeEvent(event)
