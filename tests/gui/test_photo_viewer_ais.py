"""The photo viewer's AIS panel: vessels at capture time listed and marked on the photo, the dark hull named."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

pytestmark = pytest.mark.gui

START = datetime(2023, 7, 1, tzinfo=UTC)
CENTRE = (12.0, 60.0)
GSD = 2.0
W, H = 1000, 800
R = 6_371_008.8


def _offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (
        CENTRE[0] + math.degrees(north_m / R),
        CENTRE[1] + math.degrees(east_m / R / math.cos(math.radians(CENTRE[0]))),
    )


def test_ais_at_capture_lists_and_marks_the_vessels_and_names_the_dark_hull(qtbot, ctx, sample_case, tmp_path):
    from evidence_app.services import imports, photo_annotations, photo_handle, photo_import, photo_placement
    from evidence_app.ui.photo_viewer import PhotoViewer

    _, incident = sample_case
    ais = tmp_path / "ais.csv"
    with ais.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        for minute in range(0, 120, 5):
            la, lo = _offset(200, -300)
            w.writerow(
                [
                    312000001,
                    (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S"),
                    f"{la:.6f}",
                    f"{lo:.6f}",
                    0.2,
                    0,
                    0,
                    "LONE TANKER",
                    "",
                ]
            )
    imports.import_ais(ctx, [ais])
    image = tmp_path / "frame.png"
    Image.new("RGB", (W, H), (20, 40, 70)).save(image)
    ev = photo_import.import_photo(ctx, incident.id, image)
    photo_placement.place_by_hand(ctx, ev.id, center=CENTRE, gsd_m=GSD)
    photo_placement.set_capture_time(ctx, ev.id, START + timedelta(hours=1))
    photo_annotations.add_annotation(
        ctx, ev.id, "box", [[960, 770], [990, 790]], "unlit hull"
    )  # 1.58 km from the tanker
    viewer = PhotoViewer(photo_handle.PhotoHandle(ctx, ev.id))
    qtbot.addWidget(viewer)
    assert not viewer.ais_list.isVisible()
    viewer.ais_action.trigger()
    lines = [viewer.ais_list.item(i).text() for i in range(viewer.ais_list.count())]
    assert lines[0].startswith("1 vessel(s) in the photo")
    assert "312000001 LONE TANKER" in lines[1]
    assert "unlit hull" in lines[2] and "DARK VESSEL" in lines[2]
    (mark,) = viewer._ais_items
    centre = mark.rect().center()
    assert centre.x() == pytest.approx(W / 2 - 300 / GSD, abs=2) and centre.y() == pytest.approx(
        H / 2 - 200 / GSD, abs=2
    )
