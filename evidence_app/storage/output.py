"""Writing an output file (case file, report, GeoJSON, KML) so that it appears whole or not at all.

The bytes go to a hidden ``.<name>.<random>.part`` beside the target, locked (``flock``) by
the writer while it writes, then fsynced and renamed over the target. A killed writer's
``.part`` is removed by the next write of the same target: its lock is free. Disk full,
permission denied and read-only media become one located error; nothing is left behind.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from evidence_app.domain.errors import UserError

try:
    import fcntl
except ImportError:  # no flock: stale parts are left for the user
    fcntl = None  # type: ignore[assignment]


def write_error(target: Path, exc: OSError) -> UserError:
    reason = exc.strerror or str(exc)
    return UserError(f"cannot write the file: {reason}; nothing was written", location=str(target))


def stale_parts(target: Path) -> list[Path]:
    """Temporary files of earlier writes of ``target`` whose writer is gone (their lock is free)."""
    found = []
    for name in glob.glob(glob.escape(str(target.parent / f".{target.name}.")) + "*part"):
        part = Path(name)
        if fcntl is None or not part.is_file() or part.is_symlink():
            continue
        try:
            fd = os.open(part, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live writer holds it
        else:
            found.append(part)
        finally:
            os.close(fd)
    return found


@contextmanager
def atomic_output(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a file to write ``target``'s bytes into; on success it replaces ``target`` in one rename."""
    out = Path(target)
    if out.is_dir():
        raise UserError("is a folder: give a file name", location=str(out))
    if not out.parent.is_dir():
        raise UserError("the folder does not exist", location=str(out.parent))
    for part in stale_parts(out):
        with contextlib.suppress(OSError):
            part.unlink()
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise write_error(out, exc) from None
    tmp = Path(name)
    # A second descriptor holds the lock until the rename, after the writing one is closed.
    lock_fd = os.open(tmp, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise write_error(out, exc) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    finally:
        os.close(lock_fd)
    _fsync_dir(out.parent)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
