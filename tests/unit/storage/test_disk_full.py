"""Disk full, read-only media: a clear, located error (exit 1) and nothing left behind.

ENOSPC is injected at the write layer (always), and a 2 MB tmpfs is used where this machine
lets the test mount one (it skips otherwise; the injected tests still run).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evidence_app.cli import main
from evidence_app.services.verify import verify_store
from evidence_app.storage.db import open_store
from evidence_app.storage.models import Evidence


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")

    def run(db: Path, *args):
        code = main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _mount_tmpfs(where: Path, options: str) -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8); the injected ENOSPC tests cover this")
    where.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected ENOSPC tests cover this")


@pytest.fixture
def small_disk(tmp_path: Path):
    where = tmp_path / "small-disk"
    _mount_tmpfs(where, "size=2m")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def read_only_disk(tmp_path: Path):
    where = tmp_path / "ro-disk"
    _mount_tmpfs(where, "size=2m,ro")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def case_with_big_file(cli, tmp_path: Path):
    db = tmp_path / "store.sqlite"
    case = json.loads(cli(db, "--json", "case", "create", "Full disk")[1])
    inc = json.loads(
        cli(db, "--json", "incident", "add", "--case", case["id"], "--start", "2020-01-01", "--lat", "1", "--lon", "1")[
            1
        ]
    )
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3_000_000))  # incompressible, larger than the small disk
    code, _out, err = cli(db, "attach", inc["id"], str(big))
    assert code == 0, err
    return db, case["id"], inc["id"]


def _fill(path: Path) -> None:
    """Write until the disk is full."""
    with path.open("wb", buffering=0) as fh:
        while True:
            try:
                fh.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                return


def _no_leftovers(folder: Path) -> None:
    assert [p.name for p in folder.iterdir()] == []


def _objects_and_rows(db: Path) -> tuple[int, int]:
    store = open_store(db)
    try:
        with store.read() as s:
            rows = s.scalar(select(func.count()).select_from(Evidence))
        assert verify_store(store).ok
        assert list((store.objects.root / "tmp").rglob("*.part")) == []
        return len(list(store.objects.iter_objects())), rows
    finally:
        store.close()


def test_disk_full_while_storing_an_attachment_is_a_located_error(cli, tmp_path: Path, monkeypatch):
    db = tmp_path / "store.sqlite"
    case = json.loads(cli(db, "--json", "case", "create", "Full disk")[1])
    inc = json.loads(
        cli(db, "--json", "incident", "add", "--case", case["id"], "--start", "2020-01-01", "--lat", "1", "--lon", "1")[
            1
        ]
    )
    photo = tmp_path / "photo.bin"
    photo.write_bytes(os.urandom(200_000))
    calls = []
    real_copy = os.copy_file_range

    def copy_until_full(src, dst, count, *args):
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_copy(src, dst, min(count, 65536), *args)

    monkeypatch.setattr(os, "copy_file_range", copy_until_full)
    code, _out, err = cli(db, "attach", inc["id"], str(photo))
    assert len(calls) >= 2  # the injected failure was reached, after a first chunk landed
    assert code == 1, err
    assert "No space left on device" in err and "photo.bin" in err and err.count("\n") == 1
    monkeypatch.setattr(os, "copy_file_range", real_copy)
    assert _objects_and_rows(db) == (0, 0)


def test_disk_full_while_writing_a_stream_is_a_located_error(store, monkeypatch):
    import io

    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    from evidence_app.domain.errors import UserError

    with pytest.raises(UserError, match="No space left on device"):
        store.objects.put_stream(io.BytesIO(b"x" * 10_000))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert list(store.objects.iter_objects()) == []
    assert list((store.objects.root / "tmp").rglob("*.part")) == []


@pytest.mark.parametrize("what", [("export", "case"), ("export", "report", "--format", "html"), ("export", "geojson")])
def test_disk_full_during_an_export_leaves_nothing(cli, case_with_big_file, small_disk: Path, what):
    db, case_id, _inc = case_with_big_file
    target = small_disk / ("out." + {"case": "evcase", "report": "html", "geojson": "geojson"}[what[1]])
    if what[1] != "case":  # outputs smaller than the disk: fill it first
        _fill(small_disk / "filler")
    code, _out, err = cli(db, what[0], what[1], case_id, str(target), *what[2:])
    assert code == 1, err
    assert "No space left on device" in err and str(target) in err
    assert "Traceback" not in err and "Exception ignored" not in err and err.count("\n") == 1
    (small_disk / "filler").unlink(missing_ok=True)
    _no_leftovers(small_disk)


def test_attaching_to_a_store_on_a_full_disk_keeps_the_store_whole(cli, tmp_path: Path, small_disk: Path):
    db = small_disk / "store.sqlite"
    case = json.loads(cli(db, "--json", "case", "create", "Full disk")[1])
    inc = json.loads(
        cli(db, "--json", "incident", "add", "--case", case["id"], "--start", "2020-01-01", "--lat", "1", "--lon", "1")[
            1
        ]
    )
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3_000_000))
    code, _out, err = cli(db, "attach", inc["id"], str(big))
    assert code == 1 and "No space left on device" in err, err
    assert _objects_and_rows(db) == (0, 0)
    code, out, err = cli(db, "verify")
    assert code == 0, out + err


def test_exporting_to_read_only_media_is_a_located_error(cli, case_with_big_file, read_only_disk: Path):
    db, case_id, _inc = case_with_big_file
    target = read_only_disk / "out.evcase"
    code, _out, err = cli(db, "export", "case", case_id, str(target))
    assert code == 1 and "Read-only file system" in err and str(target) in err, err
    _no_leftovers(read_only_disk)
