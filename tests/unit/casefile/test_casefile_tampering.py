"""Altered or hostile case files are refused with a message naming the problem, and nothing is written."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_app.casefile import manifest as mf
from evidence_app.domain.errors import UserError
from evidence_app.services import casefiles


@pytest.fixture
def exported(workstation, tmp_path: Path) -> Path:
    ws, ids = workstation
    out = tmp_path / "case.evcase"
    casefiles.export_case(ws, ids["case"], out, with_report=False)
    return out


def rewrite(src: Path, dst: Path, change) -> Path:
    """Copy a zip entry by entry, letting ``change(name, data)`` return new bytes (or None to drop)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)
    return dst


def unsigned(change):
    """``change``, and the signature stripped: the most a holder who edits a file can do is pass it off as unsigned."""

    def strip(name, data):
        if name == mf.SIGNATURE:
            return None
        data = change(name, data)
        if name == mf.MANIFEST and data is not None:
            m = json.loads(data)
            m.pop("signer", None)
            data = json.dumps(m).encode()
        return data

    return strip


def store_snapshot(ctx) -> tuple[list[str], int]:
    objects = sorted(p.name for p in (ctx.store.objects.root / "sha256").glob("*/*/*"))
    with ctx.store.read() as s:
        from sqlalchemy import text

        rows = sum(
            s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("cases", "incidents", "evidence", "audit_entries", "store_meta")
        )
    return objects, rows


def assert_refused(ctx, path: Path, match: str) -> None:
    before = store_snapshot(ctx)
    with pytest.raises(UserError, match=match):
        casefiles.import_case(ctx, path)
    assert store_snapshot(ctx) == before


def test_a_changed_byte_in_an_evidence_file_is_refused(exported, new_store, tmp_path):
    def flip(name, data):
        if name.startswith("evidence/") and name.endswith(".jpg"):
            data = bytearray(data)
            data[5000] ^= 0x01
            return bytes(data)
        return data

    bad = rewrite(exported, tmp_path / "flipped.evcase", flip)
    assert_refused(new_store("laptop"), bad, r"evidence/.*\.jpg: SHA-256 is .* the manifest says .*altered")


def test_a_manifest_hash_that_does_not_match_is_refused(exported, new_store, tmp_path):
    def lie(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            for f in manifest["files"]:
                if f["path"] == "records/case.json":
                    f["sha256"] = "0" * 64
            return json.dumps(manifest).encode()
        return data

    bad = rewrite(exported, tmp_path / "lie.evcase", lie)
    assert_refused(new_store("laptop"), bad, r"records/case.json: SHA-256 is [0-9a-f]{64}, the manifest says 0{64}")


def test_a_record_edited_with_a_recomputed_manifest_still_lands_only_if_consistent(exported, new_store, tmp_path):
    """An edit to the records whose evidence reference no longer matches a file is refused."""
    import hashlib

    def edit(name, data):
        if name == "records/case.json":
            records = json.loads(data)
            records["evidence"][0]["sha256"] = "ab" * 32
            return json.dumps(records).encode()
        return data

    staged = rewrite(exported, tmp_path / "staged.evcase", edit)
    with zipfile.ZipFile(staged) as z:
        new_sha = hashlib.sha256(z.read("records/case.json")).hexdigest()
        size = z.getinfo("records/case.json").file_size

    def fix(name, data):
        if name == "manifest.json":
            m = json.loads(data)
            for f in m["files"]:
                if f["path"] == "records/case.json":
                    f["sha256"], f["size"] = new_sha, size
            return json.dumps(m).encode()
        return data

    bad = rewrite(staged, tmp_path / "edited.evcase", fix)
    assert_refused(new_store("signed"), bad, "manifest.sig: the signature does not match the manifest")
    # Passed off as unsigned, the edit still meets the content checks.
    bad = rewrite(staged, tmp_path / "edited-unsigned.evcase", unsigned(fix))
    assert_refused(new_store("laptop"), bad, "has no matching file in the case file")


def _add_entry(src: Path, dst: Path, info: zipfile.ZipInfo, data: bytes) -> Path:
    rewrite(src, dst, lambda n, d: d)
    with zipfile.ZipFile(dst, "a") as z:
        z.writestr(info, data)
    return dst


def test_a_dot_dot_path_is_refused(exported, new_store, tmp_path):
    bad = _add_entry(
        exported, tmp_path / "dotdot.evcase", zipfile.ZipInfo("evidence/../../etc/cron.d/x"), b"* * * * * root true\n"
    )
    assert_refused(new_store("laptop"), bad, r"'\.\.' in an entry path")


def test_an_absolute_path_and_a_symlink_are_refused(exported, new_store, tmp_path):
    bad = _add_entry(exported, tmp_path / "abs.evcase", zipfile.ZipInfo("/etc/passwd"), b"x")
    assert_refused(new_store("a"), bad, "absolute path")
    link = zipfile.ZipInfo("evidence/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bad = _add_entry(exported, tmp_path / "link.evcase", link, b"/etc/passwd")
    assert_refused(new_store("b"), bad, "symbolic link")


def test_a_zip_bomb_is_refused(exported, new_store, tmp_path):
    bomb = zipfile.ZipInfo("evidence/bomb.bin")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    bad = _add_entry(exported, tmp_path / "bomb.evcase", bomb, b"\0" * (40 * 1024 * 1024))
    assert bad.stat().st_size < 2 * 1024 * 1024
    assert_refused(new_store("laptop"), bad, "refused as a zip bomb")


def test_an_unknown_format_version_is_refused(exported, new_store, tmp_path):
    def bump(name, data):
        if name == "manifest.json":
            m = json.loads(data)
            m["format_version"] = 99
            return json.dumps(m).encode()
        return data

    bad = rewrite(exported, tmp_path / "v99.evcase", bump)
    assert_refused(new_store("laptop"), bad, "format version 99 is not supported")


def test_an_unlisted_entry_and_a_truncated_file_are_refused(exported, new_store, tmp_path):
    bad = _add_entry(exported, tmp_path / "extra.evcase", zipfile.ZipInfo("notes.txt"), b"hello")
    assert_refused(new_store("a"), bad, "manifest does not list")
    cut = tmp_path / "cut.evcase"
    cut.write_bytes(exported.read_bytes()[: exported.stat().st_size // 2])
    assert_refused(new_store("b"), cut, "not a zip archive")


def test_an_altered_audit_entry_is_refused(exported, new_store, tmp_path):
    import hashlib

    def alter(name, data):
        if name == "records/audit.jsonl":
            lines = data.decode().splitlines()
            entry = json.loads(lines[0])
            entry["actor"] = "someone-else"
            lines[0] = json.dumps(entry)
            return ("\n".join(lines) + "\n").encode()
        return data

    staged = rewrite(exported, tmp_path / "audit1.evcase", alter)
    with zipfile.ZipFile(staged) as z:
        body = z.read("records/audit.jsonl")

    def fix(name, data):
        if name == "manifest.json":
            m = json.loads(data)
            for f in m["files"]:
                if f["path"] == "records/audit.jsonl":
                    f["sha256"], f["size"] = hashlib.sha256(body).hexdigest(), len(body)
            return json.dumps(m).encode()
        return data

    bad = rewrite(staged, tmp_path / "audit2.evcase", fix)
    assert_refused(new_store("signed"), bad, "manifest.sig: the signature does not match the manifest")
    bad = rewrite(staged, tmp_path / "audit3.evcase", unsigned(fix))
    assert_refused(new_store("laptop"), bad, r"records/audit.jsonl:1: audit entry 1 .* was altered")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "..", ".", "", "evidence", "x.jpg", "C:", "\\", "/"]), min_size=1, max_size=5)
)
def test_names_that_pass_stay_inside_the_folder(parts):
    name = "/".join(parts)
    try:
        mf.check_name(name)
    except UserError:
        return
    import posixpath

    normal = posixpath.normpath("/root/" + name)
    assert normal.startswith("/root/") and ".." not in name.split("/") and "\\" not in name
