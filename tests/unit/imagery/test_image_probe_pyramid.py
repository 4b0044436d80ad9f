"""Probing, pixel limits, truncated files and the tile pyramid."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageChops

from evidence_app.domain.errors import Cancelled, UserError
from evidence_app.domain.progress import CancelToken
from evidence_app.imagery.images import probe_image
from evidence_app.imagery.pyramid import build_preview, build_pyramid, open_pyramid, read_region


@pytest.fixture
def noise_jpeg(tmp_path):
    path = tmp_path / "noise.jpg"
    Image.effect_noise((1300, 700), 60).convert("RGB").save(path, quality=90)
    return path


def test_format_is_sniffed_from_content(tmp_path):
    path = tmp_path / "looks_like.tif"
    Image.new("RGB", (30, 20)).save(path, format="PNG")
    info = probe_image(path)
    assert (info.format, info.media_type, info.width, info.height) == ("PNG", "image/png", 30, 20)


def test_tiff_datetime_is_capture_time(tmp_path):
    path = tmp_path / "t.tif"
    exif = Image.Exif()
    exif[306] = "2017:12:10 02:33:00"
    Image.new("L", (8, 8)).save(path, exif=exif)
    info = probe_image(path)
    assert info.capture_time.isoformat() == "2017-12-10T02:33:00+00:00"
    assert info.capture_time_source == "TIFF DateTime"
    assert any("time zone" in n for n in info.notes)


def test_decompression_bomb_refused_before_decoding(tmp_path, make_png_bomb):
    bomb = make_png_bomb(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(UserError, match="10000 megapixels, above the limit of 250") as err:
        probe_image(bomb)
    assert err.value.location == "bomb.png"
    with pytest.raises(UserError, match="decompression bomb"):
        build_pyramid(bomb, tmp_path / "cache")
    assert not (tmp_path / "cache" / "pyramid.json").exists()


def test_pixel_limit_is_configurable(noise_jpeg):
    with pytest.raises(UserError, match=r"0\.91 megapixels, above the limit of 0\.5 megapixels"):
        probe_image(noise_jpeg, max_pixels=500_000)
    assert probe_image(noise_jpeg, max_pixels=2_000_000).width == 1300


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an image"),
        (b"GIF89a" + bytes(50), "not an image|format is GIF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(10), "not an image|unreadable"),
    ],
)
def test_garbage_files(tmp_path, content, message):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        probe_image(path)


def test_unsupported_format(tmp_path):
    path = tmp_path / "anim.gif"
    Image.new("P", (4, 4)).save(path)
    with pytest.raises(UserError, match="format is GIF"):
        probe_image(path)


def test_truncated_jpeg_fails_at_decode_and_leaves_no_pyramid(tmp_path, noise_jpeg):
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(noise_jpeg.read_bytes()[: noise_jpeg.stat().st_size // 2])
    assert probe_image(cut).width == 1300  # the header is intact
    with pytest.raises(UserError, match="truncated or corrupt") as err:
        build_pyramid(cut, tmp_path / "cache")
    assert err.value.location == "cut.jpg"
    assert open_pyramid(tmp_path / "cache") is None
    assert not any(p.name.startswith(".build") for p in (tmp_path / "cache").iterdir())


def test_pyramid_tiles_reassemble_the_image(tmp_path, noise_jpeg):
    seen = []
    pyr = build_pyramid(noise_jpeg, tmp_path / "cache", tile_size=256, progress=lambda d, t, m="": seen.append((d, t)))
    assert (pyr.width, pyr.height, pyr.levels) == (1300, 700, 4)
    assert pyr.grid(0) == (6, 3) and pyr.level_size(3) == (163, 88)
    assert seen[-1][0] == seen[-1][1] == 6 * 3 + 3 * 2 + 2 * 1 + 1
    with Image.open(noise_jpeg) as original:
        region = read_region(pyr, 0, (200, 100, 900, 650))
        assert ImageChops.difference(region, original.crop((200, 100, 900, 650))).getbbox() is None
    assert pyr.preview_path.is_file()
    assert open_pyramid(tmp_path / "cache") == pyr
    # Tiles visible in a full-resolution window, at level 1 (2 × 256 px per tile).
    assert pyr.tiles_in(1, 0, 0, 600, 100) == [(0, 0), (1, 0)]
    assert pyr.level_for_scale(1.0) == 0 and pyr.level_for_scale(0.3) == 1 and pyr.level_for_scale(0.001) == 3


def test_jpeg_preview_is_reduced(tmp_path, noise_jpeg):
    p = build_preview(noise_jpeg, tmp_path / "c", max_side=400)
    with Image.open(p) as im:
        assert max(im.size) <= 400 and max(im.size) >= 300


def test_sixteen_bit_tiff_is_stretched_for_display(tmp_path):
    path = tmp_path / "dem.tif"
    Image.linear_gradient("L").resize((300, 200)).convert("I").point(lambda v: v * 200).convert("I;16").save(path)
    pyr = build_pyramid(path, tmp_path / "c", tile_size=128)
    assert pyr.mode == "L"
    with Image.open(pyr.tile_path(0, 0, 1)) as t:
        assert t.getextrema()[1] > 100


def test_cancel_leaves_no_pyramid(tmp_path, noise_jpeg):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        build_pyramid(noise_jpeg, tmp_path / "c", tile_size=256, cancel=token)
    assert open_pyramid(tmp_path / "c") is None
    shutil.rmtree(tmp_path / "c")
