"""The case-file format: manifest layout and the checks every entry of an incoming file must pass.

Pure functions over names, sizes and parsed JSON: nothing here reads or writes files,
so the rules are easy to test exhaustively (see the hypothesis tests).
"""

from __future__ import annotations

import posixpath
import stat
from dataclasses import dataclass
from typing import Any

from evidence_app.domain.errors import UserError

FORMAT_NAME = "evidence-review-case"
# Version 2 adds the signature (manifest.sig) and the audit attestations; version 1 files import as unsigned.
FORMAT_VERSION = 2
SUPPORTED_VERSIONS = frozenset({1, 2})
MANIFEST = "manifest.json"
# The signer's Ed25519 signature over manifest.json's exact bytes (base64): the one entry the manifest cannot list.
SIGNATURE = "manifest.sig"
ATTESTATIONS = "records/attestations.json"
RECORDS = "records/case.json"
SYNC = "records/sync.json"
AIS = "records/ais_positions.jsonl"
AUDIT = "records/audit.jsonl"
EVIDENCE_DIR = "evidence/"
DERIVED_DIR = "derived/"
README = "README.txt"  # plain words for whoever opens the zip by hand
SHA256SUMS = "SHA256SUMS"  # the hashes again, in the format `sha256sum -c` reads

# Limits that make a hostile file harmless: each is far above what a real case needs.
MAX_ENTRIES = 200_000
MAX_ENTRY_BYTES = 64 * 1024**3  # one evidence file
MAX_TOTAL_BYTES = 512 * 1024**3
MAX_JSON_BYTES = 1024**3  # records files are parsed in memory (AIS and audit are line by line)
MAX_MANIFEST_BYTES = 256 * 1024**2
# Compressed entries that expand more than this are refused (a zip bomb); real JSON compresses ~10x.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 1024**2  # small entries may compress as they like


@dataclass(frozen=True)
class EntryInfo:
    """What the zip directory says about one entry (all of it may be a lie)."""

    name: str
    file_size: int
    compress_size: int
    compressed: bool
    external_attr: int
    flag_bits: int
    is_dir: bool


def check_name(name: str) -> None:
    """Refuse names that could escape the target folder or mean different things on different systems."""
    where = name or "(empty name)"
    if not name or "\x00" in name:
        raise UserError("an entry has an empty name or a NUL character", location=where)
    if "\\" in name:
        raise UserError("backslash in an entry name: expected '/' separators", location=where)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UserError("absolute path in the case file: entries must be relative", location=where)
    parts = (name[:-1] if name.endswith("/") else name).split("/")
    if any(p == ".." for p in parts):
        raise UserError("'..' in an entry path: the file tries to reach outside its folder", location=where)
    if any(p in ("", ".") for p in parts) or posixpath.normpath(name) != name.rstrip("/"):
        raise UserError("entry path is not in normal form", location=where)
    if len(name) > 1024:
        raise UserError("entry path longer than 1024 characters", location=where[:80] + "…")


def check_entry(entry: EntryInfo) -> None:
    check_name(entry.name)
    mode = entry.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UserError("symbolic link in the case file: links are refused", location=entry.name)
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UserError("special file (device, pipe) in the case file", location=entry.name)
    if entry.flag_bits & 0x1:
        raise UserError("encrypted entry: case files are not encrypted", location=entry.name)
    if entry.file_size < 0 or entry.file_size > MAX_ENTRY_BYTES:
        raise UserError(
            f"declared size {entry.file_size} bytes is beyond the {MAX_ENTRY_BYTES} limit", location=entry.name
        )
    if entry.compressed and entry.file_size > RATIO_FLOOR_BYTES:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > MAX_RATIO:
            raise UserError(
                f"expands {ratio:.0f} times ({entry.compress_size} to {entry.file_size} bytes): refused as a zip bomb"
                f" (at most {MAX_RATIO} times)",
                location=entry.name,
            )


def check_directory(entries: list[EntryInfo]) -> list[EntryInfo]:
    """Check the whole zip directory; return the file entries (folders dropped)."""
    if len(entries) > MAX_ENTRIES:
        raise UserError(f"{len(entries)} entries: at most {MAX_ENTRIES} allowed")
    seen: set[str] = set()
    files: list[EntryInfo] = []
    total = 0
    for entry in entries:
        check_entry(entry)
        key = entry.name.rstrip("/")
        if key.lower() in seen:
            raise UserError("the name occurs twice in the case file", location=entry.name)
        seen.add(key.lower())
        if entry.is_dir:
            continue
        total += entry.file_size
        files.append(entry)
    if total > MAX_TOTAL_BYTES:
        raise UserError(f"the files add up to {total} bytes: beyond the {MAX_TOTAL_BYTES}-byte limit, refused")
    if not any(e.name == MANIFEST for e in files):
        raise UserError(f"no {MANIFEST}: this is not an Evidence Review case file")
    return files


def _need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise UserError(f"field {key!r} is missing", location=where)
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise UserError(f"field {key!r} has the wrong type ({type(value).__name__})", location=where)
    return value


def is_sha256(text: Any) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def check_manifest(manifest: Any, entries: list[EntryInfo]) -> dict[str, dict[str, Any]]:
    """Check the manifest against the zip directory; return ``{path: file record}``.

    Every entry but the manifest must be listed with its size and SHA-256, and every
    listed file must be present: nothing may be added to or dropped from a case file.
    """
    where = MANIFEST
    if not isinstance(manifest, dict):
        raise UserError("expected a JSON object", location=where)
    if manifest.get("format") != FORMAT_NAME:
        raise UserError(f"format is {manifest.get('format')!r}, expected {FORMAT_NAME!r}", location=where)
    version = manifest.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise UserError(
            f"format version {version!r} is not supported: this version of Evidence Review reads version"
            f" {', '.join(str(v) for v in sorted(SUPPORTED_VERSIONS))}. Install a newer version to import it.",
            location=where,
        )
    for key in ("export_id", "store_id"):
        _need(manifest, key, str, where)
    case = _need(manifest, "case", dict, where)
    _need(case, "id", str, f"{where}: case")
    listed = _need(manifest, "files", list, where)
    files: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(listed):
        loc = f"{where}: files[{i}]"
        if not isinstance(item, dict):
            raise UserError("expected an object", location=loc)
        path = _need(item, "path", str, loc)
        check_name(path)
        if path in (MANIFEST, SIGNATURE):
            raise UserError(f"the manifest lists {path}, which it cannot hash", location=loc)
        size = _need(item, "size", int, loc)
        if size < 0:
            raise UserError("negative size", location=loc)
        if not is_sha256(item.get("sha256")):
            raise UserError(f"sha256 {item.get('sha256')!r} is not a SHA-256 hex digest", location=loc)
        if path in files:
            raise UserError("listed twice", location=loc)
        files[path] = item
    present = {e.name: e for e in entries if e.name not in (MANIFEST, SIGNATURE)}
    for path, entry in present.items():
        if path not in files:
            raise UserError("the case file holds an entry its manifest does not list", location=path)
        if entry.file_size != files[path]["size"]:
            raise UserError(f"the zip says {entry.file_size} bytes, the manifest {files[path]['size']}", location=path)
    for path in files:
        if path not in present:
            raise UserError("listed in the manifest but missing from the case file", location=path)
    if RECORDS not in files:
        raise UserError(f"no {RECORDS} in the case file")
    return files


def safe_member_name(original_name: str, sha256: str) -> str:
    """The name of an evidence file inside a case file: its hash plus a tidy extension."""
    suffix = posixpath.splitext(original_name.replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    if not (1 < len(suffix) <= 10 and suffix[1:].isalnum() and suffix.isascii()):
        suffix = ""
    return f"{sha256}{suffix}"
