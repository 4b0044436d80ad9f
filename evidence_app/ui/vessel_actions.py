"""Creating vessels at the desk: counterparts known only by sight, from the participant field or Tools ▸ Vessels.

The dialog asks for what an analyst has from a report or an image (name, markings read
on the hull, the flag if one was seen, type, length); IMO and MMSI are optional. It
writes through ``services.vessels.add_vessel``, the same call and checks as
``evidence-app vessel add``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from evidence_app.domain.errors import UserError
from evidence_app.domain.identifiers import parse_vessel_ref
from evidence_app.services import vessels
from evidence_app.ui.errors import valid_input
from evidence_app.ui.host import DeskController, DeskHost
from evidence_app.ui.vessel_page import VesselListDialog, VesselPage


class NewVesselDialog(QDialog):
    """Name, observed markings, flag seen, type, length; IMO and MMSI optional."""

    def __init__(self, create: Callable[[dict[str, str]], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New vessel")
        self._create = create
        self.vessel: Any = None  # the stored vessel once created
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        intro = QLabel("A vessel may be known only by sight: a name or the markings on its hull is enough.")
        intro.setWordWrap(True)
        form.addRow(intro)
        for key, label, hint in (
            ("name", "Name", "as reported, e.g. MIN NING DE YOU 078"),
            ("markings", "Observed markings", "what was read on the hull or funnel"),
            ("flag", "Flag seen", "leave empty if no flag was seen"),
            ("vessel_type", "Type", "e.g. small tanker"),
            ("length_m", "Length (m)", "estimated, optional"),
            ("imo", "IMO", "optional"),
            ("mmsi", "MMSI", "optional"),
        ):
            edit = QLineEdit()
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(label)
            self.fields[key] = edit
            form.addRow(label, edit)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c8382d")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create vessel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(self.error_label)
        form.addRow(buttons)

    def prefill(self, ref: str) -> None:
        """What was typed in the participant field: a number goes to IMO/MMSI, text to the name."""
        kind, value = parse_vessel_ref(ref) if ref.strip() else ("name", "")
        target = {"imo": "imo", "mmsi": "mmsi", "number": "imo"}.get(kind, "name")
        self.fields[target].setText(str(value))

    def values(self) -> dict[str, str]:
        return {key: edit.text().strip() for key, edit in self.fields.items() if edit.text().strip()}

    def accept(self) -> None:
        def create() -> None:
            self.vessel = self._create(self.values())

        if valid_input(create, self.error_label):
            super().accept()


class VesselController(DeskController):
    """Opens the New Vessel dialog; a vessel made from the participant field joins the incident."""

    vesselCreated = Signal(str)  # vessel id

    def __init__(self, host: DeskHost) -> None:
        super().__init__(host)
        self.dialog: NewVesselDialog | None = None
        self.page: VesselPage | None = None  # one vessel page, reused
        self.list: VesselListDialog | None = None  # Tools ▸ Vessels
        self.vesselCreated.connect(lambda _id: self.list.reload() if self.list is not None else None)

    def open_page(self, vessel_ref: str) -> VesselPage | None:
        """Show a vessel's page (one, reused, non-modal window)."""
        if self.page is None:
            self.page = VesselPage(self.ctx, self.parent_widget)
            self.page.trackRequested.connect(self.host.vesselTrackRequested)
            self.page.incidentActivated.connect(self.host.show_incident)
        try:
            self.page.load(vessel_ref)
        except UserError as exc:
            self.report_error(exc)
            return None
        self.page.show()
        self.page.raise_()
        return self.page

    def open_list(self) -> VesselListDialog:
        if self.list is None:
            self.list = VesselListDialog(self.ctx, self.parent_widget)
            self.list.vesselActivated.connect(self.open_page)
            self.list.newVesselRequested.connect(lambda: self.open_dialog())
        self.list.reload()
        self.list.show()
        self.list.raise_()
        return self.list

    def create(self, values: dict[str, str]) -> Any:
        vessel = vessels.add_vessel(self.ctx, **values)
        self.status(f"Vessel {vessel.name or vessel.imo or vessel.mmsi} created.")
        self.vesselCreated.emit(vessel.id)
        return vessel

    def open_dialog(self, ref: str = "", then: Callable[[Any], None] | None = None) -> NewVesselDialog:
        """Window-modal and non-blocking; ``then`` receives the vessel once it is stored."""
        dialog = NewVesselDialog(self.create, self.parent_widget)
        dialog.prefill(ref)
        if then is not None:
            dialog.accepted.connect(lambda: then(dialog.vessel) if dialog.vessel is not None else None)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def add_participant_by_sight(self, incident_id: str, ref: str, role: str) -> NewVesselDialog:
        """The participant field named no known vessel: create it, then add it with ``role``."""
        from evidence_app.ui.commands import ParticipantCommand

        def join(vessel: Any) -> None:
            desk = self.host.desk
            desk.perform(ParticipantCommand(desk, incident_id, vessel.id, None, {"role": role}))

        return self.open_dialog(ref, then=join)
