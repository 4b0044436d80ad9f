"""Photo viewer: tiles, annotations through the undo stack into the store, length readout, screenshot."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from evidence_app.services import photo_annotations

pytestmark = pytest.mark.gui

LANDSAT = "imagery/landsat7_bahamas_utm18n.tif"


@pytest.fixture
def viewer(qtbot, ctx, sample_case, shared_data):
    from evidence_app.services import photo_handle, photo_import
    from evidence_app.ui.photo_viewer import PhotoViewer

    _, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / LANDSAT)
    w = PhotoViewer(photo_handle.PhotoHandle(ctx, ev.id))
    qtbot.addWidget(w)
    w.resize(1000, 800)
    w.show()
    qtbot.waitExposed(w)
    return w, ev


def test_measurement_is_stored_checked_and_undoable(viewer, ctx):

    w, ev = viewer
    w.draw("measurement", [[100, 100], [400, 500]], "hull")
    stored = photo_annotations.list_annotations(ctx, ev.id)
    assert [a["shape"] for a in stored] == ["measurement"]
    assert stored[0]["length_m"] == pytest.approx(500 * ev.gsd_m)
    assert w.last_check is not None and w.last_check.pixels == 500
    assert "INCONSISTENT" in w.check_label.text()  # 150 km is no ship
    assert "Consistent with none" in w.check_label.text() and "#b00020" in w.check_label.styleSheet()
    w.undo_stack.undo()
    assert photo_annotations.list_annotations(ctx, ev.id) == []
    assert w.annotation_ids() == []
    w.undo_stack.redo()
    assert [a["id"] for a in photo_annotations.list_annotations(ctx, ev.id)] == [stored[0]["id"]]
    assert w.annotation_ids() == [stored[0]["id"]]


def test_edit_and_delete_through_undo(viewer, ctx):

    w, ev = viewer
    w.draw("box", [[10, 10], [60, 40]], "tanker")
    ann_id = w.annotation_ids()[0]
    w.edit(ann_id, points=[[20, 20], [70, 50]])
    assert photo_annotations.list_annotations(ctx, ev.id)[0]["points"] == [[20, 20], [70, 50]]
    w.undo_stack.undo()
    assert photo_annotations.list_annotations(ctx, ev.id)[0]["points"] == [[10, 10], [60, 40]]
    w._items[ann_id].setSelected(True)
    w.delete_selected()
    assert photo_annotations.list_annotations(ctx, ev.id) == []
    w.undo_stack.undo()
    assert photo_annotations.list_annotations(ctx, ev.id)[0]["id"] == ann_id


def test_refused_shape_is_not_stored_or_stacked(viewer, ctx):

    w, ev = viewer
    w.draw("polygon", [[1, 1], [2, 2]])
    assert photo_annotations.list_annotations(ctx, ev.id) == [] and w.undo_stack.count() == 0
    assert "at least 3" in w.check_label.text()


def test_tiles_follow_zoom_and_stay_bounded(viewer):
    from evidence_app.ui.photo_viewer import MAX_TILES

    w, _ = viewer
    assert w.model.pyramid.levels == 2
    w.view.resetTransform()
    w.view.zoom(0.3)
    assert {k[0] for k in w.loaded_tiles} == {1}
    w.view.resetTransform()
    w.view.zoom(2.0)
    assert {k[0] for k in w.loaded_tiles} == {0}
    assert 1 <= len(w.loaded_tiles) <= min(MAX_TILES, 4)


def test_cursor_shows_lat_lon(viewer):
    w, _ = viewer
    text = w.describe_position(395.5, 359)
    assert "px" in text and "° N" in text and "° W" in text


def test_screenshot(viewer, tmp_path):
    w, _ = viewer
    w.draw("box", [[245, 215], [330, 290]], "vessel cluster?")
    w.draw("arrow", [[520, 520], [420, 420]], "")
    w.draw("polygon", [[560, 150], [700, 170], [680, 260], [580, 240]], "shallows")
    w.draw("text", [[60, 40]], "Landsat 7, Bahamas (UTM 18N)")
    w.draw("line", [[120, 600], [250, 650]], "")
    w.draw("measurement", [[300, 330], [302, 330]], "hull")
    w.fit()
    w._show_position(395.5, 359)
    out = os.environ.get("PHOTO_VIEWER_SCREENSHOT", str(tmp_path / "photo_viewer.png"))
    assert w.grab().save(out)
    with Image.open(out) as im:
        assert im.size[0] >= 900
