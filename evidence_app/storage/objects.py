"""The content-addressed evidence store: files kept by SHA-256, written atomically, read-only.

Layout: ``<root>/sha256/ab/cd/abcd…`` (the full hex digest as the file name). A file is
streamed into a temporary folder while it is hashed, flushed to disk, made read-only and
renamed into place, so a reader never sees a partial object.

Temporary files belong to the process that writes them: each process writes in its own
folder ``<root>/tmp/<pid>-<random>/`` and holds an exclusive ``flock`` on the folder's
``owner.lock`` for as long as the store is open. Another process may remove the folder
only when it can take that lock itself, i.e. when the owner is gone (killed or exited
without closing), so a writer's temporary files are never swept from under it. Objects a
writer has just stored but not yet recorded are *pinned* (an empty file per digest in its
folder); the garbage collector (``collect``) skips pinned objects and takes the folder-wide
``tmp/.sweep.lock`` exclusively while it looks, writers take it shared while they pin.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # not on Windows: temporaries there are never judged stale
    fcntl = None  # type: ignore[assignment]

from evidence_app.domain.errors import StoreError, UserError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress

CHUNK = 8 * 1024 * 1024
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
SWEEP_LOCK = ".sweep.lock"
OWNER_LOCK = "owner.lock"
PINS = "pins"
# Loose files in tmp/ (written by versions before per-process folders) are stale after a day.
LOOSE_TEMPORARY_AGE_S = 24 * 3600


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
        self._owner: _Owner | None = None
        self._owner_guard = threading.Lock()
        # Digests this process stored and still needs (its own pins), counted per use.
        self._pins: Counter[str] = Counter()
        self._batches = threading.local()

    def ensure(self) -> None:
        """Create the folders and remove temporary files that writers no longer alive left behind."""
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the evidence folder {self.root}: {exc.strerror}") from exc
        try:
            with self._sweep_lock(exclusive=True, wait=False) as held:
                if held:
                    self._remove_stale_temporaries()
        except OSError:
            pass  # a read-only store: nothing to sweep, and reading still works

    # ------------------------------------------------------------- temporary files

    def scratch_dir(self) -> Path:
        """This process's own temporary folder (created and locked on first use)."""
        with self._owner_guard:
            owner = self._owner
            if owner is None or owner.pid != os.getpid():  # a forked child gets its own
                owner = self._owner = _Owner.claim(self)
            return owner.path

    def close(self) -> None:
        """Release this process's temporary folder: its files and pins go with it."""
        with self._owner_guard:
            owner, self._owner = self._owner, None
        if owner is not None and owner.pid == os.getpid():
            owner.release()

    @contextmanager
    def _sweep_lock(self, *, exclusive: bool, wait: bool = True) -> Iterator[bool]:
        """The folder-wide lock: shared while a writer claims a folder or pins, exclusive to sweep or collect."""
        if fcntl is None:  # no flock: never judge another writer stale
            yield not exclusive
            return
        fd = os.open(self._tmp / SWEEP_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def _stale_temporaries(self) -> list[Path]:
        """Folders whose owner is gone, and loose files from older versions untouched for a day.

        Called with the sweep lock held exclusively, so no folder is being claimed meanwhile.
        """
        stale: list[Path] = []
        own = self._owner.path if self._owner is not None else None
        try:
            entries = list(self._tmp.iterdir())
        except OSError:
            return stale
        for entry in entries:
            if entry.name == SWEEP_LOCK or entry == own:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if _owner_gone(entry):
                    stale.append(entry)
            else:
                try:
                    age = time.time() - entry.lstat().st_mtime
                except OSError:
                    continue
                if age > LOOSE_TEMPORARY_AGE_S:
                    stale.append(entry)
        return stale

    def _remove_stale_temporaries(self) -> list[Path]:
        removed = []
        for entry in self._stale_temporaries():
            if _remove_tree(entry):
                removed.append(entry)
        return removed

    def _live_pins(self, stale: list[Path]) -> set[str]:
        """Digests pinned by live writers in other processes (and other stores in this one)."""
        pinned: set[str] = set()
        own = self._owner.path if self._owner is not None else None
        for pins in self._tmp.glob(f"*/{PINS}"):
            if pins.parent == own or pins.parent in stale:
                continue
            for pin in pins.iterdir():
                pinned.add(pin.name)
        return pinned

    def _pin(self, sha: str) -> None:
        """Mark a digest as needed by this process (call with the sweep lock held shared)."""
        self._pins[sha] += 1
        pin = self.scratch_dir() / PINS / sha
        if not pin.exists():
            pin.touch()
        batches = getattr(self._batches, "stack", None)
        if batches:
            batches[-1].append(sha)

    def _unpin(self, sha: str) -> None:
        self._pins[sha] -= 1
        if self._pins[sha] <= 0:
            del self._pins[sha]
            owner = self._owner
            if owner is not None:
                with suppress(OSError):
                    (owner.path / PINS / sha).unlink()

    @contextmanager
    def holding(self, referenced: Callable[[Iterable[str]], set[str]]) -> Iterator[None]:
        """Pin what the block stores until it ends; if it fails, remove what it stored that nothing references.

        ``referenced(digests)`` answers which of ``digests`` a record refers to (read
        after the block's transaction ended). A refused import thus leaves no copy of its
        file behind, while an object another writer or record still needs stays.
        """
        stack = getattr(self._batches, "stack", None)
        if stack is None:
            stack = self._batches.stack = []
        batch: list[str] = []
        stack.append(batch)
        try:
            yield
        except BaseException:
            stack.pop()
            for sha in batch:
                self._unpin(sha)
            with suppress(Exception):  # the original error matters more than a failed cleanup
                self.collect(referenced, only=batch)
            raise
        else:
            stack.pop()
            for sha in batch:
                self._unpin(sha)

    def collect(
        self,
        referenced: Callable[[Iterable[str]], set[str]],
        *,
        only: Iterable[str] | None = None,
        dry_run: bool = False,
    ) -> CollectResult:
        """Remove objects no record references and no live writer has pinned, and stale temporaries.

        The sweep lock is held exclusively throughout, and the database is asked after it
        was taken, so a writer that pins or commits first is seen, and one that comes
        later waits.
        """
        result = CollectResult()
        if fcntl is None:
            return result
        with self._sweep_lock(exclusive=True) as held:
            if not held:
                return result
            stale = self._stale_temporaries()
            result.stale_temporaries = [str(p) for p in stale]
            result.stale_bytes = sum(_tree_size(p) for p in stale)
            pinned = self._live_pins(stale) | {sha for sha, n in self._pins.items() if n > 0}
            candidates = [
                sha for sha in (self.iter_objects() if only is None else dict.fromkeys(only)) if sha not in pinned
            ]
            refs = referenced(candidates) if candidates else set()
            for sha in candidates:
                if sha in refs:
                    continue
                path = self.path_for(sha)
                try:
                    size = path.lstat().st_size
                except OSError:
                    continue
                result.unreferenced.append(sha)
                result.unreferenced_bytes += size
                if not dry_run:
                    with suppress(FileNotFoundError):
                        path.unlink()
            if not dry_run:
                for entry in stale:
                    _remove_tree(entry)
        return result

    def path_for(self, sha256: str) -> Path:
        if not _is_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self._objects / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def hold_existing(self, sha256: str) -> bool:
        """Pin an object if it is present (so ``gc`` keeps it until it is recorded); False if absent."""
        path = self.path_for(sha256)
        with self._sweep_lock(exclusive=False):
            if not path.is_file():
                return False
            self._pin(sha256)
            return True

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
            try:
                if hasattr(os, "copy_file_range"):
                    try:
                        return self._put_by_kernel_copy(fh, total, progress, cancel)
                    except _KernelCopyUnsupported:
                        fh.seek(0)
                return self._put_stream(fh, total, progress, cancel)
            except UserError:
                raise
            except OSError as exc:  # disk full, permission denied, read-only media: nothing was kept
                raise self._write_error(exc, path) from None

    def _write_error(self, exc: OSError, source: Path | None) -> UserError:
        reason = exc.strerror or str(exc)
        what = f"{source} " if source is not None else ""
        return UserError(
            f"cannot store {what}in the evidence folder {self.root}: {reason}; nothing was stored",
            location=str(source or self.root),
        )

    def _put_by_kernel_copy(self, src: BinaryIO, total: int, progress: Progress, cancel: CancelToken) -> StoredObject:
        """Copy in the kernel on one thread while hashing the *copy* on this one.

        Both halves run without the GIL, so the whole costs little more than hashing. The
        hash is computed over the bytes as written to our temporary file, just behind the
        copier, so the digest always describes what is stored, even if the source file
        changes while it is being read.
        """
        fd, tmp_name = tempfile.mkstemp(dir=self.scratch_dir(), suffix=".part")
        tmp = Path(tmp_name)
        state = _CopyState()
        cond = threading.Condition()

        def copier() -> None:
            try:
                while not cancel.cancelled:
                    n = os.copy_file_range(src.fileno(), fd, CHUNK)
                    if n == 0:
                        break
                    with cond:
                        state.copied += n
                        cond.notify()
                os.fsync(fd)
            except BaseException as exc:  # handed to the hashing thread
                state.error = exc
            finally:
                with cond:
                    state.done = True
                    cond.notify()

        digest = hashlib.sha256()
        hashed = 0
        thread = threading.Thread(target=copier, name="evidence-copy", daemon=True)
        try:
            with open(tmp, "rb") as reader:
                thread.start()
                buffer = bytearray(CHUNK)
                view = memoryview(buffer)
                while True:
                    with cond:
                        while state.copied <= hashed and not state.done:
                            cond.wait()
                        available = state.copied - hashed
                        finished = state.done
                    while available > 0:
                        n = reader.readinto(view[: min(CHUNK, available)])
                        if not n:
                            raise OSError("the copy is shorter than reported")
                        digest.update(view[:n])
                        hashed += n
                        available -= n
                        progress(hashed, total, "")
                    if finished and hashed >= state.copied:
                        break
                thread.join()
            error = state.error
            if isinstance(error, OSError) and error.errno in _NO_KERNEL_COPY and state.copied == 0:
                raise _KernelCopyUnsupported from error
            if error is not None:
                raise error
            cancel.raise_if_cancelled()
            return self._commit_tmp(tmp, digest.hexdigest(), hashed)
        except BaseException:
            if thread.is_alive():
                thread.join()  # the copier stops at its next chunk once cancelled
            if tmp.exists():
                tmp.chmod(0o600)
                tmp.unlink()
            raise
        finally:
            os.close(fd)

    def _commit_tmp(self, tmp: Path, sha: str, size: int) -> StoredObject:
        """Move a fully written, synced temporary file into place under its hash, pinned."""
        final = self.path_for(sha)
        with self._sweep_lock(exclusive=False):
            self._pin(sha)
            if final.is_file():
                tmp.unlink()
                return StoredObject(sha, size, final, already_present=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp.chmod(READ_ONLY)
            os.replace(tmp, final)
        _fsync_dir(final.parent)
        return StoredObject(sha, size, final, already_present=False)

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        total: int | None = None,
        progress: Progress = no_progress,
        cancel: CancelToken = NEVER_CANCELLED,
    ) -> StoredObject:
        """Hash and copy a stream in one pass; memory use is one chunk whatever the size."""
        try:
            return self._put_stream(stream, total, progress, cancel)
        except UserError:
            raise
        except OSError as exc:
            raise self._write_error(exc, None) from None

    def _put_stream(self, stream: BinaryIO, total: int | None, progress: Progress, cancel: CancelToken) -> StoredObject:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.scratch_dir(), suffix=".part")
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
            return self._commit_tmp(tmp, digest.hexdigest(), size)
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


@dataclass
class CollectResult:
    unreferenced: list[str] = field(default_factory=list)
    unreferenced_bytes: int = 0
    stale_temporaries: list[str] = field(default_factory=list)
    stale_bytes: int = 0


class _Owner:
    """A process's claim on its temporary folder: the folder and the open, locked ``owner.lock``."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.pid = os.getpid()
        self._fd: int | None = fd
        # Closing the descriptor releases the lock even if close() is never called.
        self._finalizer = weakref.finalize(self, _close_quietly, fd)

    @classmethod
    def claim(cls, store: ObjectStore) -> _Owner:
        try:
            store._tmp.mkdir(parents=True, exist_ok=True)
            # Shared sweep lock: a sweeper (exclusive) never sees a folder before its lock is held.
            with store._sweep_lock(exclusive=False):
                path = store._tmp / f"{os.getpid()}-{secrets.token_hex(6)}"
                path.mkdir()
                (path / PINS).mkdir()
                fd = os.open(path / OWNER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            raise StoreError(
                f"cannot write in the evidence folder {store._tmp}: {exc.strerror or exc}", location=str(store._tmp)
            ) from exc
        return cls(path, fd)

    def release(self) -> None:
        _remove_tree(self.path)
        self._finalizer()


def _close_quietly(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)


def _owner_gone(folder: Path) -> bool:
    """True when no process holds the folder's owner lock (or it never got one)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder / OWNER_LOCK, os.O_RDWR)
    except FileNotFoundError:
        return True  # killed between mkdir and the lock: claims happen under the sweep lock
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _tree_size(path: Path) -> int:
    if not path.is_dir() or path.is_symlink():
        with suppress(OSError):
            return path.lstat().st_size
        return 0
    total = 0
    for sub in path.rglob("*"):
        with suppress(OSError):
            if sub.is_file() and not sub.is_symlink():
                total += sub.lstat().st_size
    return total


def _remove_tree(path: Path) -> bool:
    """Remove a stale temporary file or folder (temporary objects may already be read-only)."""

    def make_writable_and_retry(func: Callable[..., Any], name: str, _exc: Any) -> None:
        with suppress(OSError):
            os.chmod(name, 0o600)
            func(name)

    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, onerror=make_writable_and_retry)
        else:
            path.unlink()
    except OSError:
        return False
    return not path.exists()


class _KernelCopyUnsupported(Exception):
    """copy_file_range is not available for this pair of files: use the portable path."""


_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF}


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


@dataclass
class _CopyState:
    """What the kernel-copy thread hands the hashing thread, guarded by their condition."""

    copied: int = 0
    done: bool = False
    error: BaseException | None = None
