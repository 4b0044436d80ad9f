"""Fixtures for the imagery tests: small image files made on the fly (no sample data copied)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import ImageFileDirectory_v2


def write_geotiff(path: Path, tags: dict[int, tuple], size: tuple[int, int] = (64, 32)) -> Path:
    """A small RGB TIFF with the given GeoTIFF tags (doubles for 33550/33922/34264/34736, shorts for 34735)."""
    ifd = ImageFileDirectory_v2()
    for tag, value in tags.items():
        ifd[tag] = value
        ifd.tagtype[tag] = 3 if tag == 34735 else 2 if tag == 34737 else 12
    Image.new("RGB", size, (10, 120, 200)).save(path, format="TIFF", tiffinfo=ifd)
    return path


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width×height pixels but carries almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(body)
    return path


@pytest.fixture
def make_geotiff():
    return write_geotiff


@pytest.fixture
def make_png_bomb():
    return png_bomb
