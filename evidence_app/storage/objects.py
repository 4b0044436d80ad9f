"""The content-addressed evidence store: files kept by SHA-256, written atomically, read-only.

Layout: ``<root>/sha256/ab/cd/abcd…`` (the full hex digest as the file name). A file is
streamed into ``<root>/tmp/`` while it is hashed, flushed to disk, made read-only and
renamed into place, so a reader never sees a partial object and a crash leaves at most
a stray temporary file, which ``ensure()`` sweeps away.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence_app.domain.errors import StoreError, UserError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

CHUNK = 1024 * 1024
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    path: Path
    already_present: bool


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class ObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "sha256"
        self._tmp = root / "tmp"

    def ensure(self) -> None:
        """Create the folders and remove temporary files a killed writer left behind."""
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the evidence folder {self.root}: {exc.strerror}") from exc
        for leftover in self._tmp.glob("*.part"):
            try:
                leftover.chmod(0o600)
                leftover.unlink()
            except OSError:
                pass

    def path_for(self, sha256: str) -> Path:
        if not _is_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self._objects / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_file(
        self,
        source: str | os.PathLike[str],
        *,
        progress: Progress = no_progress,
        cancel: CancelToken = NEVER_CANCELLED,
    ) -> StoredObject:
        path = Path(source)
        try:
            total = path.stat().st_size
            fh = path.open("rb")
        except FileNotFoundError:
            raise UserError("file not found", location=str(path)) from None
        except IsADirectoryError:
            raise UserError("is a folder, expected a file", location=str(path)) from None
        except PermissionError:
            raise UserError("permission denied reading the file", location=str(path)) from None
        with fh:
            return self.put_stream(fh, total=total, progress=progress, cancel=cancel)

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        total: int | None = None,
        progress: Progress = no_progress,
        cancel: CancelToken = NEVER_CANCELLED,
    ) -> StoredObject:
        """Hash and copy a stream in one pass; memory use is one chunk whatever the size."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                buffer = bytearray(CHUNK)
                view = memoryview(buffer)
                while True:
                    cancel.raise_if_cancelled()
                    n = stream.readinto(buffer) if hasattr(stream, "readinto") else _read_into(stream, buffer)
                    if not n:
                        break
                    chunk = view[:n]
                    digest.update(chunk)
                    out.write(chunk)
                    size += n
                    progress(size, total, "")
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file():
                tmp.unlink()
                return StoredObject(sha, size, final, already_present=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp.chmod(READ_ONLY)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return StoredObject(sha, size, final, already_present=False)
        except BaseException:
            if tmp.exists():
                tmp.chmod(0o600)
                tmp.unlink()
            raise

    def verify(self, sha256: str) -> str | None:
        """Re-hash one object; return a problem description, or None when it is intact."""
        path = self.path_for(sha256)
        if not path.is_file():
            return "file is missing from the evidence store"
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                digest.update(block)
        actual = digest.hexdigest()
        if actual != sha256:
            return f"content changed: SHA-256 is now {actual}"
        return None

    def iter_objects(self) -> Iterator[str]:
        for path in self._objects.glob("*/*/*"):
            if _is_sha256(path.name):
                yield path.name


def _read_into(stream: BinaryIO, buffer: bytearray) -> int:
    data = stream.read(len(buffer))
    buffer[: len(data)] = data
    return len(data)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
