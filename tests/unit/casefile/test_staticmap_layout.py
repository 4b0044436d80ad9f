"""Report maps: the packaged coastline is drawn, and labels never cover each other or leave the frame."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from evidence_app.casefile.staticmap import (
    LAND,
    LabelPlacer,
    MapSpec,
    MapTrack,
    label_font,
    load_land,
    render_map,
)


def test_report_maps_load_the_packaged_basemap():
    land = load_land()
    assert land is not None and len(land) > 1000
    # Shanghai's coast is in it: some ring spans 121.5 E, 31 N.
    assert any(
        min(x for x, _ in r) < 121.5 < max(x for x, _ in r) and min(y for _, y in r) < 31 < max(y for _, y in r)
        for r in land
    )


def test_a_map_near_the_coast_shows_land():
    png = render_map(MapSpec(lat=30.9, lon=122.05, radius_m=2000), land=load_land())  # off Shanghai
    img = Image.open(io.BytesIO(png)).convert("RGB")
    counts = {colour: n for n, colour in img.getcolors(maxcolors=1 << 24)}
    assert counts.get(LAND, 0) > 0.01 * img.width * img.height


def test_labels_of_track_ends_a_few_pixels_apart_do_not_overlap():
    draw = ImageDraw.Draw(Image.new("RGB", (1800, 1120)))
    font = label_font(22)
    placer = LabelPlacer(1800, 1120, 6)
    placer.reserve((890, 550, 910, 570))  # the end markers themselves
    first = placer.place(draw, (900, 560), "SONGHAE 7 (receiver)", font, 20)
    second = placer.place(draw, (903, 562), "HAI RUN 16 (supplier)", font, 20)
    third = placer.place(draw, (1795, 5), "A label at the corner", font, 20)
    assert first and second and third
    a, b, c = placer.taken[-3:]
    assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    assert 0 <= c[0] and c[2] <= 1800 and 0 <= c[1]  # moved inside the frame


def test_render_with_coincident_track_ends():
    tracks = [
        MapTrack("SONGHAE 7 (receiver)", [(31.0, 123.4), (31.02, 123.48)]),
        MapTrack("HAI RUN 16 (supplier)", [(30.9, 123.5), (31.021, 123.481)]),
    ]
    png = render_map(MapSpec(lat=31.02, lon=123.48, radius_m=800, label="STS", tracks=tracks), land=None)
    assert png.startswith(b"\x89PNG")
