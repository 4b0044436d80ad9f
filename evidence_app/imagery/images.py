"""Probe an image file: format by content, size, capture time, georeferencing, size limits.

Only headers are read here, so probing a 200-megapixel file is instant; decoding (and
so the detection of truncated data) happens when the pyramid is built.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_app.domain.errors import UserError
from evidence_app.imagery import georef as georef_mod

DEFAULT_MAX_PIXELS = 250_000_000
"""Refuse images larger than this many pixels unless the caller raises the limit."""

# Pillow format name → (media type, label). JPEG 2000 only where Pillow was built with OpenJPEG.
SUPPORTED_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",  # multi-picture JPEG from phones; first frame is a plain JPEG
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "JPEG2000": "image/jp2",
}

TAG_DATETIME = 306
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
EXIF_DATETIME_ORIGINAL = 36867
EXIF_OFFSET_TIME_ORIGINAL = 36881


@dataclass(frozen=True)
class ImageInfo:
    """What a photo's headers say about it."""

    path: Path
    format: str
    media_type: str
    width: int
    height: int
    mode: str
    capture_time: datetime | None
    capture_time_source: str | None  # "EXIF DateTimeOriginal", "TIFF DateTime", "EXIF GPS"
    georef: georef_mod.Georef | None
    nodata: float | None = None
    exif: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def to_meta(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "capture_time_source": self.capture_time_source,
            "nodata": self.nodata,
            "exif": self.exif,
            "georef": self.georef.to_meta() if self.georef else None,
            "notes": list(self.notes),
        }


@contextmanager
def open_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS):  # type: ignore[no-untyped-def]
    """Open an image lazily (headers only) after checking format and pixel count.

    Pillow's own bomb guard is global and tied to a fixed size; we switch it off for the
    duration and apply ``max_pixels`` instead, before any pixel data is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UserError("file not found", location=str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                im = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except UnidentifiedImageError:
        raise UserError(
            "not an image Evidence Review can read (expected JPEG, PNG, TIFF/GeoTIFF or JPEG 2000)", location=name
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UserError(f"image header is unreadable ({exc})", location=name) from None
    try:
        if im.format not in SUPPORTED_FORMATS:
            raise UserError(
                f"image format is {im.format}, expected JPEG, PNG, TIFF/GeoTIFF or JPEG 2000", location=name
            )
        w, h = im.size
        if w <= 0 or h <= 0:
            raise UserError(f"image size is {w}×{h}", location=name)
        if w * h > max_pixels:
            raise UserError(
                f"image is {w}×{h} = {_megapixels(w * h)} megapixels, above the limit of {_megapixels(max_pixels)} "
                "megapixels (possible decompression bomb); raise the pixel limit if the file is trusted",
                location=name,
            )
        yield im
    finally:
        im.close()


def _megapixels(n: int) -> str:
    mp = n / 1e6
    return f"{mp:.0f}" if mp >= 10 else f"{mp:.2g}"


def _exif_time(text: Any, offset: Any = None) -> datetime | None:
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str):
        return None
    text = text.strip("\x00 ")
    if not text or text.startswith("0000"):
        return None
    try:
        t = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if isinstance(offset, str) and len(offset.strip()) == 6:
        try:
            return datetime.strptime(text[:19] + offset.strip(), "%Y:%m:%d %H:%M:%S%z").astimezone(UTC)
        except ValueError:
            pass
    # EXIF times are camera-local without a zone; stored as UTC and flagged for the analyst.
    return t.replace(tzinfo=UTC)


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode("latin-1")[:200]
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v][:64]
    if isinstance(v, int | str | bool) or v is None:
        return v if not isinstance(v, str) else v.strip("\x00")[:500]
    try:
        f = float(v)
        return f if f == f and abs(f) != float("inf") else None
    except (TypeError, ValueError, ZeroDivisionError):
        return str(v)[:200]


def probe_image(
    path: Path | str, *, max_pixels: int = DEFAULT_MAX_PIXELS, world_file_crs: str | None = None
) -> ImageInfo:
    """Read an image's headers: format (sniffed from content), size, capture time and georeferencing.

    GeoTIFF tags win over a world file, which wins over EXIF GPS.
    """
    from PIL import ExifTags

    path = Path(path)
    name = path.name
    with open_image(path, max_pixels) as im:
        fmt = im.format
        w, h = im.size
        notes: list[str] = []
        exif_summary: dict[str, Any] = {}
        try:
            exif = im.getexif()
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad EXIF
            exif = None
            notes.append(f"EXIF unreadable: {exc}")
        gps: dict[int, Any] = {}
        exif_ifd: dict[int, Any] = {}
        if exif:
            for k in (271, 272, 305, 306, 274):
                if k in exif:
                    exif_summary[ExifTags.TAGS.get(k, str(k))] = _jsonable(exif[k])
            try:
                exif_ifd = dict(exif.get_ifd(EXIF_IFD))
                gps = dict(exif.get_ifd(GPS_IFD))
            except Exception as exc:  # noqa: BLE001
                notes.append(f"EXIF sub-directory unreadable: {exc}")
            for k in (EXIF_DATETIME_ORIGINAL, EXIF_OFFSET_TIME_ORIGINAL):
                if k in exif_ifd:
                    exif_summary[ExifTags.TAGS.get(k, str(k))] = _jsonable(exif_ifd[k])
            if gps:
                exif_summary["GPS"] = {ExifTags.GPSTAGS.get(k, str(k)): _jsonable(v) for k, v in gps.items()}

        # Georeferencing, most precise source first.
        geo: georef_mod.Georef | None = None
        nodata: float | None = None
        if fmt == "TIFF":
            tags = dict(im.tag_v2)
            geo = georef_mod.georef_from_geotiff_tags(tags, w, h, location=name)
            raw_nodata = tags.get(georef_mod.TAG_GDAL_NODATA)
            if raw_nodata is not None:
                try:
                    nodata = float(str(raw_nodata).strip("\x00 "))
                except ValueError:
                    notes.append(f"GDAL nodata value {raw_nodata!r} is not a number; ignored")
        if geo is None:
            geo = georef_mod.georef_from_world_file(path, w, h, crs=world_file_crs)
        gps_info = None
        if gps:
            try:
                gps_geo = georef_mod.georef_from_exif_gps(gps, w, h)
            except UserError as exc:
                raise UserError(exc.message, location=f"{name}: {exc.location}" if exc.location else name) from None
            gps_info = gps_geo
            if geo is None:
                geo = gps_geo

        # Capture time: a zoned DateTimeOriginal, then GPS time (UTC from the satellites), then
        # the camera's zone-less clock, then TIFF DateTime. The analyst can edit it afterwards.
        capture, source = None, None
        has_offset = EXIF_OFFSET_TIME_ORIGINAL in exif_ifd
        dto = _exif_time(exif_ifd.get(EXIF_DATETIME_ORIGINAL), exif_ifd.get(EXIF_OFFSET_TIME_ORIGINAL))
        if dto is not None and has_offset:
            capture, source = dto, "EXIF DateTimeOriginal"
        elif gps_info is not None and gps_info.gps_time is not None:
            capture, source = gps_info.gps_time, "EXIF GPS"
        elif dto is not None:
            capture, source = dto, "EXIF DateTimeOriginal"
            notes.append("EXIF DateTimeOriginal has no time zone; taken as UTC, check and edit")
        else:
            t = _exif_time(exif.get(TAG_DATETIME) if exif else None)
            if t is None and fmt == "TIFF":
                t = _exif_time(im.tag_v2.get(TAG_DATETIME))
            if t is not None:
                capture, source = t, "TIFF DateTime"
                notes.append("DateTime has no time zone; taken as UTC, check and edit")
        return ImageInfo(
            path=path,
            format=fmt,
            media_type=SUPPORTED_FORMATS[fmt],
            width=w,
            height=h,
            mode=im.mode,
            capture_time=capture,
            capture_time_source=source,
            georef=geo,
            nodata=nodata,
            exif=exif_summary,
            notes=notes,
        )
