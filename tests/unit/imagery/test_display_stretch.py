"""16-bit and multi-band scenes (Sentinel-2 / Landsat bands are uint16) show in thumbnails, reports and overlays.

The GeoTIFFs are written here as Sentinel-2 L2A products store them: uint16 reflance
scaled by 10,000, dark sea around 300-600, ships near 2,500, far below the uint16 top.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence_app.services import casefiles, cases, incidents, overlays, photo_import, photos, review
from evidence_app.services.thumbnails import thumbnail_png

tifffile = pytest.importorskip("tifffile")

# GeoTIFF tags: 10 m pixels in degrees near 36.5 N, 123.9 E (EPSG:4326), as GDAL writes them.
GEOTAGS = [
    (33550, "d", 3, (0.0001, 0.0001, 0.0), True),
    (33922, "d", 6, (0.0, 0.0, 0.0, 123.9, 36.56, 0.0), True),
    (34735, "H", 16, (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326), True),
]


def scene(bands: int, size: tuple[int, int] = (320, 200)) -> np.ndarray:
    """Sea with two tankers alongside, per band slightly different (as real bands are)."""
    h, w = size[1], size[0]
    rng = np.random.default_rng(7)
    out = np.empty((h, w, bands), dtype=np.uint16)
    for b in range(bands):
        sea = 350 + 80 * b + rng.normal(0, 40, (h, w))
        sea[80:100, 90:200] = 2400 + 150 * b  # one hull
        sea[104:120, 95:190] = 1900 + 100 * b  # the other
        out[..., b] = np.clip(sea, 0, 65535).astype(np.uint16)
    return out


def write_band_tiff(path: Path, bands: int, *, planar: bool = False) -> Path:
    data = scene(bands)
    if bands == 1:
        tifffile.imwrite(path, data[..., 0], extratags=GEOTAGS)
    elif bands == 3 and not planar:
        tifffile.imwrite(path, data, photometric="rgb", extratags=GEOTAGS)
    else:
        tifffile.imwrite(
            path, np.moveaxis(data, -1, 0), photometric="minisblack", planarconfig="separate", extratags=GEOTAGS
        )
    return path


def not_blank(img: Image.Image) -> tuple[float, float]:
    """(mean, standard deviation) of the grey levels; a blank (white, black or flat) image fails the checks."""
    a = np.asarray(img.convert("L"), dtype=np.float64)
    return float(a.mean()), float(a.std())


@pytest.fixture
def band_photos(ctx, tmp_path: Path):
    case = cases.create_case(ctx, "Sentinel-2 scenes", caveat="OFFICIAL")
    inc = incidents.add_incident(
        ctx,
        case.id,
        start_utc=datetime(2024, 3, 1, 2, tzinfo=UTC),
        lat=36.55,
        lon=123.915,
        radius_m=400,
        title="STS seen in band data",
    )
    items = {}
    for name, bands, planar in (
        ("s2_b08_single.tif", 1, False),
        ("s2_rgb16.tif", 3, False),
        ("s2_4band_planar.tif", 4, True),
    ):
        items[name] = photo_import.import_photo(ctx, inc.id, write_band_tiff(tmp_path / name, bands, planar=planar))
    review.review(ctx, inc.id, "under_review", rationale="two hulls alongside in the band data")
    return case.id, inc.id, items


def test_thumbnails_of_16_bit_and_multi_band_scenes_are_not_blank(ctx, band_photos):
    _, _, items = band_photos
    for name, ev in items.items():
        png = thumbnail_png(ctx, ev.sha256, ev.media_type, size=96)
        assert png is not None, name
        with Image.open(io.BytesIO(png)) as thumb:
            mean, std = not_blank(thumb)
            assert 15 < mean < 200 and std > 25, (name, mean, std)  # sea dark, ships bright: a picture, not a blank
            assert max(thumb.size) == 96


def test_the_viewer_preview_and_the_map_overlay_use_the_same_stretch(ctx, band_photos):
    _, _, items = band_photos
    for name, ev in items.items():
        photos.ensure_cache(ctx, ev.id)
        with Image.open(photos.cache_dir(ctx, ev.sha256) / "preview.png") as preview:
            assert not_blank(preview)[1] > 25, name
        overlay = overlays.overlay_for(ctx, ev.id)
        assert overlay is not None, name
        with Image.open(overlay.path) as ov:
            rgba = np.asarray(ov.convert("RGBA"))
            inside = rgba[..., 3] > 0
            assert inside.mean() > 0.5, name
            assert rgba[..., :3][inside].std() > 25, name


def test_pdf_report_shows_the_16_bit_scenes(ctx, band_photos, tmp_path: Path):
    if shutil.which("pdfimages") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed (tools/ensure-system-packages.sh installs it)")
    case_id, _, items = band_photos
    pdf = tmp_path / "report.pdf"
    casefiles.export_report(ctx, case_id, pdf, fmt="pdf")
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    embedded = [Image.open(p) for p in sorted(tmp_path.glob("img-*.png"))]
    scenes = [im for im in embedded if im.size[0] == 320 or im.size == (900, 562)]  # the photos, at their own size
    assert len(scenes) >= len(items), [im.size for im in embedded]
    for im in scenes:
        mean, std = not_blank(im)
        assert 15 < mean < 200 and std > 25, (im.size, mean, std)
    # The page as a reader sees it, kept to look at (the test asserts on the embedded images above).
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "2", "-l", "4", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    for page in pages:
        shutil.copy(page, Path("/tmp") / f"report-16bit-{page.name}")
