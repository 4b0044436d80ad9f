"""The evidence panel: an incident's items with thumbnails, grading, relation and tags; drop files to attach."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evidence_app.domain.grading import CREDIBILITY, RELIABILITY
from evidence_app.domain.incident import RELATIONS
from evidence_app.services import incident_queries, tags
from evidence_app.services.thumbnails import thumbnail_png
from evidence_app.ui.commands import (
    Desk,
    DetachCommand,
    EvidenceEditCommand,
    LinkCommand,
    TagCommand,
)
from evidence_app.ui.incident_list import dropped_paths
from evidence_app.ui.models.detail_models import EvidenceItem, EvidenceModel

THUMB = 56


class EvidencePanel(QWidget):
    attachRequested = Signal()  # the "Attach files…" button: the window asks for files
    filesDropped = Signal(str, list)  # incident id, paths
    evidenceSelected = Signal(str, str)  # evidence id, kind ("" ids when the selection is cleared)
    placeRequested = Signal(str)  # "Place on map" for this evidence id

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.incident_id: str | None = None
        self.setAcceptDrops(True)
        self.model = EvidenceModel(self._thumbnail, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Evidence of the selected incident")
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.resizeSection(EvidenceModel.PREVIEW, THUMB + 12)
        header.setStretchLastSection(True)
        for col, width in (
            (EvidenceModel.NAME, 230),
            (EvidenceModel.KIND, 56),
            (EvidenceModel.SOURCE, 190),
            (EvidenceModel.CAPTURED, 116),
            (EvidenceModel.SHA, 104),
            (EvidenceModel.GRADING, 60),
            (EvidenceModel.RELATION, 84),
        ):
            header.resizeSection(col, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.hint = QLabel("Drop files here, or on an incident in the list, to attach them.")
        self.hint.setObjectName("dropHint")

        self.attach_button = QPushButton("Attach files…")
        self.attach_button.setAccessibleName("Attach files to the incident")
        self.attach_button.clicked.connect(self.attachRequested)
        self.detach_button = QPushButton("Detach")
        self.detach_button.setAccessibleName("Detach the selected evidence from the incident")
        self.detach_button.clicked.connect(self._detach)
        self.place_button = QPushButton("Place on map")
        self.place_button.setAccessibleName("Place the selected evidence on the map")
        self.place_button.setToolTip("The next click on the map sets this item's position")
        self.place_button.clicked.connect(self._place)
        self.reliability = QComboBox()
        self.reliability.setAccessibleName("Source reliability (A to F)")
        self.reliability.addItem("Reliability –", None)
        for letter, meaning in RELIABILITY.items():
            self.reliability.addItem(f"{letter}: {meaning}", letter)
        self.credibility = QComboBox()
        self.credibility.setAccessibleName("Information credibility (1 to 6)")
        self.credibility.addItem("Credibility –", None)
        for number, meaning in CREDIBILITY.items():
            self.credibility.addItem(f"{number}: {meaning}", number)
        self.relation = QComboBox()
        self.relation.setAccessibleName("Supports or contradicts the incident")
        for r in RELATIONS:
            self.relation.addItem(r, r)
        self.tag_entry = QLineEdit()
        self.tag_entry.setPlaceholderText("tag item…")
        self.tag_entry.setAccessibleName("Add a tag to the selected evidence")
        self.tag_entry.setMaximumWidth(120)
        self.tag_entry.returnPressed.connect(self._add_tag)
        self.reliability.activated.connect(lambda _i: self._grade())
        self.credibility.activated.connect(lambda _i: self._grade())
        self.relation.activated.connect(lambda _i: self._set_relation())
        # Two short rows, and combos that may show less than their longest item: the panel
        # then fits beside the review panel on a 1280-pixel laptop screen.
        for combo in (self.reliability, self.credibility, self.relation):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addWidget(self.detach_button)
        row.addWidget(self.place_button)
        row.addStretch(1)
        grading = QHBoxLayout()
        grading.addWidget(self.reliability)
        grading.addWidget(self.credibility)
        grading.addWidget(self.relation)
        grading.addWidget(self.tag_entry)
        grading.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(row)
        layout.addLayout(grading)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self._sync_controls()
        self.setEnabled(False)

    def _thumbnail(self, sha256: str, media_type: str) -> QPixmap | None:
        png = thumbnail_png(self.desk.ctx, sha256, media_type, size=THUMB * 2)
        if png is None:
            return None
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        pixmap.setDevicePixelRatio(2.0)  # made at twice the size: sharp on high-DPI screens
        return pixmap

    def load(self, incident_id: str | None) -> None:
        selected = self.selected()
        self.incident_id = incident_id
        self.setEnabled(bool(incident_id))
        if not incident_id:
            self.model.set_rows([])
            return
        incident = incident_queries.incident_view(self.desk.ctx, incident_id)
        links = sorted(incident.evidence, key=lambda link: link.linked_at or datetime.min.replace(tzinfo=UTC))
        item_tags = tags.tags_of_evidence(self.desk.ctx, [link.evidence_id for link in links])
        self.model.set_rows(
            [
                EvidenceItem(
                    link.evidence_id,
                    link.kind,
                    link.original_name,
                    link.source,
                    link.capture_time,
                    link.sha256,
                    link.media_type,
                    link.reliability,
                    link.credibility,
                    link.relation,
                    link.note,
                    tuple(item_tags.get(link.evidence_id, [])),
                )
                for link in links
            ]
        )
        if selected:
            for i, item in enumerate(self.model.rows()):
                if item.evidence_id == selected.evidence_id:
                    self.view.selectRow(i)
        self._sync_controls()

    def selected(self) -> EvidenceItem | None:
        index = self.view.currentIndex()
        rows = self.model.rows()
        return rows[index.row()] if index.isValid() and index.row() < len(rows) else None

    def _selection_changed(self) -> None:
        self._sync_controls()
        item = self.selected()
        self.evidenceSelected.emit(item.evidence_id if item else "", item.kind if item else "")

    def _place(self) -> None:
        item = self.selected()
        if item is not None:
            self.placeRequested.emit(item.evidence_id)

    def _sync_controls(self) -> None:
        item = self.selected()
        for w in (
            self.detach_button,
            self.place_button,
            self.reliability,
            self.credibility,
            self.relation,
            self.tag_entry,
        ):
            w.setEnabled(item is not None)
        if item is None:
            return
        self.reliability.setCurrentIndex(max(0, self.reliability.findData(item.reliability)))
        self.credibility.setCurrentIndex(max(0, self.credibility.findData(item.credibility)))
        self.relation.setCurrentIndex(max(0, self.relation.findData(item.relation)))

    def _grade(self) -> None:
        item = self.selected()
        if item is None or not self.incident_id:
            return
        after = {"reliability": self.reliability.currentData(), "credibility": self.credibility.currentData()}
        before = {"reliability": item.reliability, "credibility": item.credibility}
        if after != before:
            self.desk.perform(EvidenceEditCommand(self.desk, self.incident_id, item.evidence_id, before, after))

    def _set_relation(self) -> None:
        item = self.selected()
        if item is None or not self.incident_id or self.relation.currentData() == item.relation:
            return
        self.desk.perform(
            LinkCommand(
                self.desk,
                self.incident_id,
                item.evidence_id,
                {"relation": item.relation},
                {"relation": self.relation.currentData()},
            )
        )

    def _detach(self) -> None:
        item = self.selected()
        if item is not None and self.incident_id:
            self.desk.perform(DetachCommand(self.desk, self.incident_id, item.evidence_id, item.relation, item.note))

    def _add_tag(self) -> None:
        item = self.selected()
        name = self.tag_entry.text().strip()
        if item is None or not name or not self.incident_id:
            return
        if self.desk.perform(
            TagCommand(self.desk, "evidence", item.evidence_id, name, True, incident_id=self.incident_id)
        ):
            self.tag_entry.clear()

    # -- drops ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.incident_id and dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if self.incident_id and paths:
            event.acceptProposedAction()
            self.filesDropped.emit(self.incident_id, paths)
