"""Photo viewer: tiled display of huge images, editable annotations with undo, and length checks.

The widget is handed a ``PhotoModel`` (built by the caller from the photo service); it
never opens a database session or a store file itself. The scene is in full-resolution
image pixels; only the pyramid tiles visible at the current zoom are loaded (an LRU of
``MAX_TILES``), over the cached preview, so memory stays bounded for any image size.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from evidence_app.analysis.length import LengthCheck
from evidence_app.domain.errors import UserError
from evidence_app.imagery.georef import Georef, pixel_to_lonlat
from evidence_app.imagery.pyramid import Pyramid
from evidence_app.imagery.render import DEFAULT_COLOURS

MAX_TILES = 96  # 96 × 512² × 4 bytes ≈ 100 MB of pixmaps at most
ZOOM_STEP = 1.25
ANN_ID_ROLE = 0


class PhotoModel(Protocol):
    """What the viewer needs from the photo service, for one photo.

    Each write method is one audited transaction in the service and returns the stored
    annotation as a dict with ``id, shape, points, label, length_m, style``.
    """

    width: int
    height: int
    preview_path: Path
    pyramid: Pyramid | None
    georef: Georef | None
    gsd_m: float | None

    def annotations(self) -> list[dict[str, Any]]: ...
    def add_annotation(
        self,
        shape: str,
        points: list[list[float]],
        label: str = "",
        style: dict[str, Any] | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]: ...
    def update_annotation(
        self,
        annotation_id: str,
        *,
        points: list[list[float]] | None = None,
        label: str | None = None,
        gsd_m: float | None = None,
    ) -> dict[str, Any]: ...
    def delete_annotation(self, annotation_id: str) -> dict[str, Any]: ...
    def restore_annotation(self, data: dict[str, Any]) -> dict[str, Any]: ...
    def length_check(self, points: list[list[float]], gsd_m: float | None = None) -> LengthCheck: ...


# --------------------------------------------------------------------------- undo commands
# On a window's shared undo stack these commands outlive their viewer (another photo was
# opened): the store is still undone and redone through the model; only the drawing is
# skipped, and the next viewer of that photo reads the annotations afresh.


def _shown(viewer: PhotoViewer) -> bool:
    return shiboken6.isValid(viewer) and shiboken6.isValid(viewer.scene)


class _AddAnnotation(QUndoCommand):
    """Created after the first store succeeded (so a refused shape never enters the stack)."""

    def __init__(self, viewer: PhotoViewer, data: dict[str, Any]) -> None:
        super().__init__(f"Add {data['shape']}")
        self.viewer, self.data, self.first = viewer, data, True

    def redo(self) -> None:
        if not self.first:
            self.data = self.viewer.model.restore_annotation(self.data)
        self.first = False
        if _shown(self.viewer):
            self.viewer._show_annotation(self.data)

    def undo(self) -> None:
        self.viewer.model.delete_annotation(self.data["id"])
        if _shown(self.viewer):
            self.viewer._remove_item(self.data["id"])


class _DeleteAnnotation(QUndoCommand):
    def __init__(self, viewer: PhotoViewer, data: dict[str, Any]) -> None:
        super().__init__(f"Delete {data['shape']}")
        self.viewer, self.data = viewer, data

    def redo(self) -> None:
        self.data = self.viewer.model.delete_annotation(self.data["id"])
        if _shown(self.viewer):
            self.viewer._remove_item(self.data["id"])

    def undo(self) -> None:
        self.data = self.viewer.model.restore_annotation(self.data)
        if _shown(self.viewer):
            self.viewer._show_annotation(self.data)


class _EditAnnotation(QUndoCommand):
    """Created after the first update succeeded; undo writes the earlier points and label back."""

    def __init__(self, viewer: PhotoViewer, before: dict[str, Any], after: dict[str, Any]) -> None:
        super().__init__(f"Edit {before['shape']}")
        self.viewer, self.before, self.after, self.first = viewer, before, after, True
        self.model, self.gsd_m = viewer.model, viewer.gsd()

    def redo(self) -> None:
        if not self.first:
            self.after = self.model.update_annotation(
                self.after["id"], points=self.after["points"], label=self.after["label"], gsd_m=self._gsd()
            )
        self.first = False
        if _shown(self.viewer):
            self.viewer._show_annotation(self.after)

    def undo(self) -> None:
        data = self.model.update_annotation(
            self.before["id"], points=self.before["points"], label=self.before["label"], gsd_m=self._gsd()
        )
        if _shown(self.viewer):
            self.viewer._show_annotation(data)

    def _gsd(self) -> float | None:
        return self.viewer.gsd() if _shown(self.viewer) else self.gsd_m


# --------------------------------------------------------------------------- items


class _LabelItem(QGraphicsSimpleTextItem):
    """Annotation text on a translucent dark plate, readable over clouds and sea alike."""

    def paint(self, painter: QPainter, option: Any, widget: Any = None) -> None:
        painter.fillRect(self.boundingRect().adjusted(-3, -1, 3, 1), QColor(0, 0, 0, 150))
        super().paint(painter, option, widget)


class _AnnotationItem(QGraphicsPathItem):
    """One annotation drawn with a cosmetic pen (same width at any zoom); movable."""

    def __init__(self, viewer: PhotoViewer, data: dict[str, Any]) -> None:
        super().__init__()
        self.viewer = viewer
        self.data_ = data
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setZValue(10)
        self.label_item = _LabelItem(self)
        self.label_item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        font = QFont()
        font.setPointSize(11)
        font.setBold(True)
        self.label_item.setFont(font)
        self.set_data(data)

    def set_data(self, data: dict[str, Any]) -> None:
        self.data_ = data
        self.setPos(0, 0)
        shape, pts = data["shape"], [QPointF(x, y) for x, y in data["points"]]
        colour = QColor((data.get("style") or {}).get("color") or DEFAULT_COLOURS.get(shape, "#ffffff"))
        pen = QPen(colour, 2.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        if shape == "box":
            path.addRect(QRectF(pts[0], pts[1]).normalized())
        elif shape == "polygon":
            path.addPolygon(QPolygonF([*pts, pts[0]]))
        elif shape == "text":
            # A small anchor cross; the text itself is the label item.
            s = 4 / max(self.viewer.view.current_scale(), 1e-9)
            path.moveTo(pts[0] - QPointF(s, 0))
            path.lineTo(pts[0] + QPointF(s, 0))
            path.moveTo(pts[0] - QPointF(0, s))
            path.lineTo(pts[0] + QPointF(0, s))
        else:
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
            if shape == "arrow":
                self._arrow_head(path, pts[0], pts[1])
            elif shape == "measurement":
                self._end_ticks(path, pts[0], pts[1])
                self._end_ticks(path, pts[-1], pts[-2])
        self.setPath(path)
        label = data.get("label") or ""
        if shape == "measurement" and data.get("length_m") is not None:
            label = f"{label} {data['length_m']:.1f} m".strip()
        self.label_item.setText(label)
        self.label_item.setBrush(QBrush(colour))
        anchor = pts[0] if shape == "text" else min(pts, key=lambda p: p.y())
        self.label_item.setPos(anchor)

    def _arrow_head(self, path: QPainterPath, tail: QPointF, head: QPointF) -> None:
        ang = math.atan2(head.y() - tail.y(), head.x() - tail.x())
        size = 14 / max(self.viewer.view.current_scale(), 1e-9)
        for side in (-0.45, 0.45):
            path.moveTo(head)
            path.lineTo(head - QPointF(size * math.cos(ang + side), size * math.sin(ang + side)))

    def _end_ticks(self, path: QPainterPath, end: QPointF, other: QPointF) -> None:
        ang = math.atan2(other.y() - end.y(), other.x() - end.x()) + math.pi / 2
        size = 8 / max(self.viewer.view.current_scale(), 1e-9)
        d = QPointF(size * math.cos(ang), size * math.sin(ang))
        path.moveTo(end - d)
        path.lineTo(end + d)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        offset = self.pos()
        if offset.manhattanLength() > 0:
            moved = [[x + offset.x(), y + offset.y()] for x, y in self.data_["points"]]
            self.viewer.edit(self.data_["id"], points=moved)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        text, ok = QInputDialog.getText(self.viewer, "Label", "Label:", text=self.data_.get("label") or "")
        if ok:
            self.viewer.edit(self.data_["id"], label=text)


# --------------------------------------------------------------------------- view


class _TileView(QGraphicsView):
    """A QGraphicsView that zooms with the wheel and reports cursor and viewport changes."""

    cursor_moved = Signal(float, float)
    viewport_changed = Signal()

    def __init__(self, viewer: PhotoViewer) -> None:
        super().__init__()
        self.viewer = viewer
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QColor("#202124"))
        self.horizontalScrollBar().valueChanged.connect(self.viewport_changed)
        self.verticalScrollBar().valueChanged.connect(self.viewport_changed)

    def current_scale(self) -> float:
        return self.transform().m11()

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)
        self.viewport_changed.emit()

    def wheelEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.viewport_changed.emit()

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.viewer.tool != "pan" and event.button() == Qt.MouseButton.LeftButton:
            self.viewer._draw_press(self.mapToScene(event.position().toPoint()))
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        p = self.mapToScene(event.position().toPoint())
        self.cursor_moved.emit(p.x(), p.y())
        if self.viewer.tool != "pan" and self.viewer._drawing is not None:
            self.viewer._draw_move(p)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.viewer.tool != "pan" and event.button() == Qt.MouseButton.LeftButton:
            self.viewer._draw_release(self.mapToScene(event.position().toPoint()))
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.viewer.tool == "polygon":
            self.viewer._finish_polygon()
            return
        super().mouseDoubleClickEvent(event)


class PhotoViewer(QWidget):
    """Tiled photo view with annotation tools, lat/lon readout and a vessel length check."""

    TOOLS = ("pan", "box", "arrow", "line", "polygon", "text", "measurement")
    length_checked = Signal(object)  # LengthCheck

    def __init__(
        self,
        model: PhotoModel,
        undo_stack: QUndoStack | None = None,
        parent: QWidget | None = None,
        *,
        shortcuts: bool = True,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        # In the desk the window's Edit menu owns Ctrl+Z / Ctrl+Shift+Z for the same stack;
        # a second action with the same shortcut would make both ambiguous (neither fires).
        self._shortcuts = shortcuts
        self.tool = "pan"
        self._drawing: list[QPointF] | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._items: dict[str, _AnnotationItem] = {}
        self._tiles: OrderedDict[tuple[int, int, int], QGraphicsPixmapItem] = OrderedDict()
        self._level: int | None = None
        self._fitted = False
        self.last_check: LengthCheck | None = None

        self.scene = QGraphicsScene(self)
        self.scene.setSceneRect(0, 0, model.width, model.height)
        self.view = _TileView(self)
        self.view.setScene(self.scene)
        self._build_toolbar()
        self.position_label = QLabel("")
        self.check_label = QLabel("Draw a measurement along a hull to check its length.")
        self.check_label.setWordWrap(True)
        self.check_label.setTextFormat(Qt.TextFormat.PlainText)
        self.check_label.setObjectName("lengthCheck")
        self.check_label.setMinimumHeight(self.check_label.fontMetrics().lineSpacing() * 4 + 8)
        self.check_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.check_label.setContentsMargins(6, 4, 6, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.position_label, 1)
        bottom.addWidget(QLabel("GSD (m/px):"))
        bottom.addWidget(self.gsd_box)
        layout.addLayout(bottom)
        layout.addWidget(self.check_label)
        # AIS at capture time (models that can check it: the desk's PhotoHandle).
        self.ais_list = QListWidget(objectName="aisAtCapture")
        self.ais_list.setVisible(False)
        self.ais_list.setMaximumHeight(self.ais_list.fontMetrics().lineSpacing() * 7 + 8)
        layout.addWidget(self.ais_list)
        self._ais_items: list[QGraphicsEllipseItem] = []

        # The preview covers the whole image at once, beneath the tiles.
        self.preview_item = QGraphicsPixmapItem(QPixmap(str(model.preview_path)))
        pw = max(1, self.preview_item.pixmap().width())
        self.preview_item.setScale(model.width / pw)
        self.preview_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.preview_item.setZValue(-10)
        self.scene.addItem(self.preview_item)
        for data in model.annotations():
            self._show_annotation(data)
        self.view.cursor_moved.connect(self._show_position)
        self.view.viewport_changed.connect(self.update_tiles)

    # ------------------------------------------------------------------ setup
    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar()
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for name in self.TOOLS:
            act = QAction(name.capitalize() if name != "measurement" else "Measure", self, checkable=True)
            act.setData(name)
            act.triggered.connect(lambda _=False, n=name: self.set_tool(n))
            group.addAction(act)
            self.toolbar.addAction(act)
            self.tool_actions[name] = act
        self.tool_actions["pan"].setChecked(True)
        self.toolbar.addSeparator()
        # Short fixed texts (the stack's own actions grow with the command name); the name goes in the tooltip.
        undo = QAction("Undo", self)
        if self._shortcuts:
            undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.triggered.connect(self.undo_stack.undo)
        undo.setEnabled(self.undo_stack.canUndo())
        self.undo_stack.canUndoChanged.connect(undo.setEnabled)
        self._undo_act = undo
        # Bound methods, not lambdas: a shared stack outlives the viewer, and Qt disconnects
        # a destroyed receiver's slots but not a lambda holding a dead action.
        self.undo_stack.undoTextChanged.connect(self._undo_text)
        redo = QAction("Redo", self)
        if self._shortcuts:
            redo.setShortcut(QKeySequence.StandardKey.Redo)
        redo.triggered.connect(self.undo_stack.redo)
        redo.setEnabled(self.undo_stack.canRedo())
        self.undo_stack.canRedoChanged.connect(redo.setEnabled)
        self._redo_act = redo
        self.undo_stack.redoTextChanged.connect(self._redo_text)
        delete = QAction("Delete", self)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.triggered.connect(self.delete_selected)
        fit = QAction("Fit", self)
        fit.triggered.connect(self.fit)
        for act in (undo, redo, delete, fit):
            self.toolbar.addAction(act)
        if callable(getattr(self.model, "ais_check", None)):
            self.ais_action = QAction("AIS at capture", self)
            self.ais_action.setToolTip(
                "Vessels whose AIS, interpolated to the capture time, lies in the photo; "
                "marked hulls with no AIS within 1.5 km are dark vessels"
            )
            self.ais_action.triggered.connect(self.show_ais)
            self.toolbar.addAction(self.ais_action)
        self.gsd_box = QDoubleSpinBox()
        self.gsd_box.setDecimals(3)
        self.gsd_box.setRange(0, 100_000)
        self.gsd_box.setSpecialValueText("unknown")
        self.gsd_box.setValue(self.model.gsd_m or 0)
        self.gsd_box.setToolTip("Ground sample distance, from the georeferencing or typed in")

    @Slot()
    def show_ais(self) -> None:
        """List (and mark on the photo) the vessels AIS places in the footprint at capture time, and the dark hulls."""
        for item in self._ais_items:
            self.scene.removeItem(item)
        self._ais_items = []
        self.ais_list.clear()
        self.ais_list.setVisible(True)
        try:
            check = self.model.ais_check()  # type: ignore[attr-defined]
        except UserError as exc:
            self.ais_list.addItem(str(exc))
            return
        self.ais_list.addItem(f"{len(check.vessels)} vessel(s) in the photo at {check.capture_time} (AIS interpolated)")
        radius = max(self.model.width, self.model.height) / 150
        for v in check.vessels:
            heading = "?" if v.heading_deg is None else f"{v.heading_deg:.0f}°"
            self.ais_list.addItem(f"{v.mmsi} {v.name or ''}: {v.distance_m:,.0f} m from the centre, heading {heading}")
            if v.x is not None and v.y is not None:
                mark = QGraphicsEllipseItem(v.x - radius, v.y - radius, 2 * radius, 2 * radius)
                mark.setPen(QPen(QColor("#00e5ff"), 0))
                mark.setToolTip(f"AIS {v.mmsi} {v.name or ''}")
                mark.setZValue(5)
                self.scene.addItem(mark)
                self._ais_items.append(mark)
        for h in check.hulls:
            near = "no AIS position" if h.nearest_m is None else f"nearest AIS {h.nearest_mmsi} at {h.nearest_m:,.0f} m"
            verdict = "DARK VESSEL" if h.dark else "matched"
            self.ais_list.addItem(f"hull {h.label or h.annotation_id[:8]}: {near} → {verdict}")

    @Slot(str)
    def _undo_text(self, text: str) -> None:
        self._undo_act.setToolTip(f"Undo {text}")

    @Slot(str)
    def _redo_text(self, text: str) -> None:
        self._redo_act.setToolTip(f"Redo {text}")

    def set_tool(self, name: str) -> None:
        if name not in self.TOOLS:
            raise ValueError(name)
        self.tool = name
        self.tool_actions[name].setChecked(True)
        self.view.setDragMode(QGraphicsView.DragMode.ScrollHandDrag if name == "pan" else QGraphicsView.DragMode.NoDrag)
        self._cancel_drawing()

    def gsd(self) -> float | None:
        v = self.gsd_box.value()
        return v if v > 0 else None

    def fit(self) -> None:
        self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.update_tiles()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        # Fit once, when first shown at its real size: a viewer built in a hidden tab has
        # already loaded tiles for its provisional size, so "no level yet" is not the test.
        if not self._fitted:
            self._fitted = True
            self.fit()

    # ------------------------------------------------------------------ tiles
    def update_tiles(self) -> None:
        """Load the tiles of the level matching the zoom that cover the visible area; drop the rest."""
        pyr = self.model.pyramid
        if pyr is None:
            return
        scale = self.view.current_scale()
        level = pyr.level_for_scale(scale)
        rect = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        wanted = [(level, c, r) for c, r in pyr.tiles_in(level, rect.left(), rect.top(), rect.right(), rect.bottom())]
        if level != self._level:
            # A new level replaces the old one; the preview shows through while tiles arrive.
            for key in [k for k in self._tiles if k[0] != level]:
                self.scene.removeItem(self._tiles.pop(key))
            self._level = level
        for key in wanted[:MAX_TILES]:
            if key in self._tiles:
                self._tiles.move_to_end(key)
                continue
            lvl, col, row = key
            item = QGraphicsPixmapItem(QPixmap(str(pyr.tile_path(lvl, col, row))))
            f = 2**lvl
            item.setScale(f)
            item.setPos(col * pyr.tile_size * f, row * pyr.tile_size * f)
            item.setZValue(-5)
            self.scene.addItem(item)
            self._tiles[key] = item
        while len(self._tiles) > MAX_TILES:
            _, old = self._tiles.popitem(last=False)
            self.scene.removeItem(old)

    @property
    def loaded_tiles(self) -> list[tuple[int, int, int]]:
        return list(self._tiles)

    # ------------------------------------------------------------------ position
    def _show_position(self, x: float, y: float) -> None:
        self.position_label.setText(self.describe_position(x, y))

    def describe_position(self, x: float, y: float) -> str:
        text = f"x {x:.0f}, y {y:.0f} px"
        g = self.model.georef
        if g is not None and g.transform is not None and 0 <= x <= self.model.width and 0 <= y <= self.model.height:
            try:
                lon, lat = pixel_to_lonlat(g, x, y)
                text += f"   {abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
            except UserError:
                pass
        return text

    # ------------------------------------------------------------------ annotations
    def _show_annotation(self, data: dict[str, Any]) -> None:
        item = self._items.get(data["id"])
        if item is None:
            item = _AnnotationItem(self, data)
            item.setData(ANN_ID_ROLE, data["id"])
            self.scene.addItem(item)
            self._items[data["id"]] = item
        else:
            item.set_data(data)
        if data["shape"] == "measurement":
            self._run_check(data["points"])

    def _remove_item(self, annotation_id: str) -> None:
        item = self._items.pop(annotation_id, None)
        if item is not None:
            self.scene.removeItem(item)

    def annotation_ids(self) -> list[str]:
        return list(self._items)

    def draw(
        self, shape: str, points: Sequence[Sequence[float]], label: str = "", style: dict[str, Any] | None = None
    ) -> None:
        """Add an annotation through the undo stack (what the mouse tools call)."""
        pts = [[float(x), float(y)] for x, y in points]
        try:
            data = self.model.add_annotation(shape, pts, label, style, gsd_m=self.gsd())
        except UserError as exc:
            self.check_label.setText(f"Not stored: {exc}")
            return
        self.undo_stack.push(_AddAnnotation(self, data))

    def edit(self, annotation_id: str, *, points: list[list[float]] | None = None, label: str | None = None) -> None:
        """Move/reshape or relabel an annotation through the undo stack."""
        before = self._items[annotation_id].data_
        try:
            after = self.model.update_annotation(annotation_id, points=points, label=label, gsd_m=self.gsd())
        except UserError as exc:
            self.check_label.setText(f"Not stored: {exc}")
            self._show_annotation(before)
            return
        self.undo_stack.push(_EditAnnotation(self, before, after))

    def delete_selected(self) -> None:
        items = [i for i in self.scene.selectedItems() if isinstance(i, _AnnotationItem)]
        if not items:
            return
        self.undo_stack.beginMacro("Delete annotations")
        for item in items:
            self.undo_stack.push(_DeleteAnnotation(self, item.data_))
        self.undo_stack.endMacro()

    def _run_check(self, points: list[list[float]]) -> None:
        try:
            check = self.model.length_check(points, self.gsd())
        except UserError as exc:
            self.check_label.setText(f"Length check: {exc}")
            return
        self.last_check = check
        lines = check.summary.splitlines()
        if len(lines) == 1:
            lines.append("No participant vessel with a registry length to compare.")
        # The question is whether the hull in the photo is one of the incident's vessels:
        # one match answers it (green), even if the other participants do not fit.
        judged = [c for c in check.comparisons if c.consistent is not None]
        matches = [c.vessel for c in judged if c.consistent]
        if matches:
            lines.insert(1, f"Consistent with {', '.join(matches)}.")
            colour = "#1b5e20"
        elif judged:
            lines.insert(1, "Consistent with none of the incident's vessels.")
            colour = "#b00020"
        else:
            colour = "#5f6368"
        self.check_label.setText("Length check: " + "\n".join(lines))
        self.check_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.length_checked.emit(check)

    # ------------------------------------------------------------------ mouse drawing
    def _draw_press(self, p: QPointF) -> None:
        if self.tool == "text":
            text, ok = QInputDialog.getText(self, "Text", "Text:")
            if ok and text:
                self.draw("text", [[p.x(), p.y()]], text)
            return
        if self.tool == "polygon" and self._drawing is not None:
            self._drawing.append(p)
        else:
            self._drawing = [p, p]
        self._update_rubber()

    def _draw_move(self, p: QPointF) -> None:
        assert self._drawing is not None
        self._drawing[-1] = p
        self._update_rubber()

    def _draw_release(self, p: QPointF) -> None:
        if self._drawing is None:
            return
        self._drawing[-1] = p
        if self.tool == "polygon":
            self._drawing.append(p)
            self._update_rubber()
            return
        a, b = self._drawing[0], self._drawing[-1]
        self._cancel_drawing()
        if (a - b).manhattanLength() * self.view.current_scale() >= 3:
            self.draw(self.tool, [[a.x(), a.y()], [b.x(), b.y()]])

    def _finish_polygon(self) -> None:
        pts = self._drawing or []
        # Drop the duplicate points the double click leaves behind.
        clean: list[QPointF] = []
        for p in pts:
            if not clean or (p - clean[-1]).manhattanLength() > 1e-6:
                clean.append(p)
        self._cancel_drawing()
        if len(clean) >= 3:
            self.draw("polygon", [[p.x(), p.y()] for p in clean])

    def _update_rubber(self) -> None:
        if self._rubber is None:
            self._rubber = QGraphicsPathItem()
            pen = QPen(QColor("#ffffff"), 1.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._rubber.setPen(pen)
            self._rubber.setZValue(20)
            self.scene.addItem(self._rubber)
        path = QPainterPath()
        pts = self._drawing or []
        if self.tool == "box" and len(pts) >= 2:
            path.addRect(QRectF(pts[0], pts[-1]).normalized())
        elif pts:
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
        self._rubber.setPath(path)

    def _cancel_drawing(self) -> None:
        self._drawing = None
        if self._rubber is not None:
            self.scene.removeItem(self._rubber)
            self._rubber = None
