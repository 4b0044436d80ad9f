"""Open plain, .gz and .zip inputs as text, and guess which AIS format a file holds."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from evidence_app.domain.errors import UserError

# Bytes read from the start of a file to guess its format.
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Member:
    """One logical text file: the file itself, or one member of a .zip archive."""

    path: Path
    member: str | None = None
    # The file's own name when ``path`` is its copy in the evidence store (a bare hash).
    display: str | None = None

    @property
    def file_name(self) -> str:
        return self.display or self.path.name

    @property
    def name(self) -> str:
        """How problems name this file: 'day.zip!day.csv' for a zip member."""
        return f"{self.file_name}!{self.member}" if self.member else self.file_name


def members(path: str | Path, display: str | None = None) -> list[Member]:
    """The logical files in ``path``: a .zip's files (directories and dot-files skipped), else itself.

    ``display`` is the original file name when ``path`` is a stored copy; its suffix
    (.zip, .gz) decides how the bytes are opened.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such file: {path}", location=str(path))
    if Path(display or path.name).suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = [
                    info.filename
                    for info in archive.infolist()
                    if not info.is_dir()
                    and not Path(info.filename).name.startswith(".")
                    and not info.filename.startswith("__MACOSX/")
                ]
        except zipfile.BadZipFile as exc:
            raise UserError(f"not a readable zip archive ({exc})", location=display or path.name) from exc
        if not names:
            raise UserError("the zip archive holds no files", location=display or path.name)
        return [Member(path, name, display) for name in names]
    return [Member(path, None, display)]


@contextmanager
def open_binary(member: Member) -> Iterator[IO[bytes]]:
    """The decompressed bytes of a member (.gz inside .zip is unwrapped too)."""
    try:
        if member.member is not None:
            with zipfile.ZipFile(member.path) as archive, archive.open(member.member) as raw:
                if member.member.lower().endswith(".gz"):
                    with gzip.open(raw) as unzipped:
                        yield unzipped
                else:
                    yield raw
        elif Path(member.file_name).suffix.lower() == ".gz":
            with gzip.open(member.path) as unzipped:
                yield unzipped
        else:
            with open(member.path, "rb") as raw:
                yield raw
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        # A truncated .gz surfaces mid-read as EOFError/BadGzipFile (an OSError).
        raise UserError(f"cannot read the file ({exc})", location=member.name) from exc


@contextmanager
def open_text(member: Member) -> Iterator[IO[str]]:
    """Text for the csv module: UTF-8 (a BOM is dropped); undecodable bytes become U+FFFD,
    which then fails the field it is in with a located error instead of stopping the file."""
    with open_binary(member) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        try:
            yield text
        finally:
            text.detach()


def head(member: Member, size: int = SNIFF_BYTES) -> str:
    """The first ``size`` bytes of a member as text, for sniffing."""
    with open_binary(member) as raw:
        try:
            data = raw.read(size)
        except (OSError, EOFError) as exc:
            raise UserError(f"cannot read the file ({exc})", location=member.name) from exc
    return data.decode("utf-8-sig", errors="replace")


def sniff_ais_format(text: str, name: str | None = None) -> str:
    """'nmea', 'marinecadastre' or 'csv' from the start of a file; UserError when none fits."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped[0] in "!\\$":
            return "nmea"
        header = {h.strip().strip('"').lower() for h in stripped.split(",")}
        if {"mmsi", "basedatetime", "lat", "lon"} <= header:
            return "marinecadastre"
        if "mmsi" in header or len(header) >= 3:
            return "csv"
        break
    raise UserError(
        "cannot tell the format: expected NMEA sentences (!AIVDM...) or a CSV header "
        "with mmsi, time, lat and lon columns",
        location=name,
    )
