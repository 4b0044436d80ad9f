"""Reading a case file safely: every entry checked and every hash recomputed before anything is written.

``open_case_file`` only reads. It refuses unsafe names, links, unknown format versions,
zip bombs, unlisted or missing entries, and any file whose SHA-256 or size differs from
the manifest, naming the entry and the problem. What it returns (``CaseFile``) is then
merged by ``casefile.merge`` in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_app.casefile import manifest as mf
from evidence_app.casefile import signatures
from evidence_app.casefile.records import (
    AIS_FIELDS,
    AUDIT_FIELDS,
    COLLECTION,
    RECORD_TYPES,
    CaseRecords,
    check_record,
)
from evidence_app.domain.errors import UserError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.storage.audit import entry_hash

CHUNK = 1024 * 1024


@dataclass
class CaseFile:
    """A case file whose every byte has been checked against its manifest."""

    path: Path
    zf: zipfile.ZipFile
    manifest: dict[str, Any]
    manifest_sha256: str
    files: dict[str, dict[str, Any]]
    records: CaseRecords
    sync: dict[str, Any]
    audit: list[dict[str, Any]] = field(default_factory=list)
    ais_rows: int = 0
    evidence_members: dict[str, str] = field(default_factory=dict)  # sha256 -> member name
    signer: signatures.Signer | None = None  # None: an unsigned file
    attestations: list[signatures.Attestation] = field(default_factory=list)

    def attestation_index(self) -> dict[tuple[str, int, str], list[int]]:
        """(store, seq, hash) of each audit entry an attestation vouches for -> the attestations' positions."""
        out: dict[tuple[str, int, str], list[int]] = {}
        for i, att in enumerate(self.attestations):
            for seq, digest in att.pairs:
                out.setdefault((att.store_id, seq, digest), []).append(i)
        return out

    @property
    def origin_store_id(self) -> str:
        return str(self.manifest["store_id"])

    @property
    def case_id(self) -> str:
        return str(self.records.case["id"])

    def close(self) -> None:
        self.zf.close()

    def iter_ais(self) -> Iterator[dict[str, Any]]:
        """AIS positions, re-read from the (already verified) entry line by line."""
        if mf.AIS not in self.files:
            return
        with self.zf.open(mf.AIS) as fh:
            for raw in fh:
                if raw.strip():
                    yield json.loads(raw)

    def open_member(self, name: str) -> Any:
        return self.zf.open(name)


def _entry_info(zi: zipfile.ZipInfo) -> mf.EntryInfo:
    return mf.EntryInfo(
        name=zi.filename,
        file_size=zi.file_size,
        compress_size=zi.compress_size,
        compressed=zi.compress_type != zipfile.ZIP_STORED,
        external_attr=zi.external_attr,
        flag_bits=zi.flag_bits,
        is_dir=zi.is_dir(),
    )


def _blocks(zf: zipfile.ZipFile, name: str, declared: int, cancel: CancelToken, on_bytes: Any) -> Iterator[bytes]:
    """Stream one member's bytes, stopping as soon as it expands past its declared size."""
    size = 0
    try:
        with zf.open(name) as fh:
            while True:
                cancel.raise_if_cancelled()
                block = fh.read(CHUNK)
                if not block:
                    return
                size += len(block)
                if size > declared:
                    raise UserError(f"expands beyond its declared {declared} bytes: refused as a zip bomb", location=name)
                on_bytes(len(block))
                yield block
    except zipfile.BadZipFile as exc:
        raise UserError(f"damaged or altered: {exc}", location=name) from None
    except (OSError, EOFError, ValueError) as exc:
        raise UserError(f"cannot be read: {exc}", location=name) from None


def _read_checked(zf: zipfile.ZipFile, name: str, declared: int, cap: int | None, cancel: CancelToken, on_bytes: Any) -> tuple[str, int, bytes | None, list[bytes]]:
    """Stream one member: SHA-256, byte count, and the bytes themselves when ``cap`` says
    the caller needs them in memory."""
    if cap is not None and declared > cap:
        raise UserError(f"{declared} bytes: at most {cap} allowed for this entry", location=name)
    sha = hashlib.sha256()
    size = 0
    keep: list[bytes] | None = [] if cap is not None else None
    for block in _blocks(zf, name, declared, cancel, on_bytes):
        size += len(block)
        sha.update(block)
        if keep is not None:
            keep.append(block)
    data = b"".join(keep) if keep is not None else None
    return sha.hexdigest(), size, data, []


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(f"not valid JSON: {exc}", location=f"{name}:{line}" if line else name) from None


def open_case_file(path: str | Path, *, progress: Progress = no_progress, cancel: CancelToken = NEVER_CANCELLED) -> CaseFile:
    """Open and check a case file completely; raise a UserError naming the first problem."""
    source = Path(path)
    if not source.is_file():
        raise UserError("file not found", location=str(source))
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise UserError("not a case file: it is not a zip archive (or it is truncated)", location=str(source)) from None
    except OSError as exc:
        raise UserError(f"cannot be read: {exc.strerror}", location=str(source)) from None
    try:
        return _check(source, zf, progress, cancel)
    except BaseException:
        zf.close()
        raise


def _check(source: Path, zf: zipfile.ZipFile, progress: Progress, cancel: CancelToken) -> CaseFile:
    entries = mf.check_directory([_entry_info(zi) for zi in zf.infolist()])
    by_name = {e.name: e for e in entries}
    m_sha, _, m_bytes, _ = _read_checked(zf, mf.MANIFEST, by_name[mf.MANIFEST].file_size, mf.MAX_MANIFEST_BYTES, cancel, lambda n: None)
    assert m_bytes is not None
    manifest = _json(m_bytes, mf.MANIFEST)
    files = mf.check_manifest(manifest, entries)
    total = sum(f["size"] for f in files.values())
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total, "checking hashes")

    in_memory = {mf.RECORDS, mf.SYNC, mf.AUDIT, mf.ATTESTATIONS}
    contents: dict[str, bytes] = {}
    ais_rows = 0
    for name, item in files.items():
        if name == mf.AIS:
            sha, size, ais_rows = _check_ais(zf, name, item["size"], cancel, on_bytes)
        else:
            cap = mf.MAX_JSON_BYTES if name in in_memory else None
            sha, size, data, _ = _read_checked(zf, name, item["size"], cap, cancel, on_bytes)
            if data is not None:
                contents[name] = data
        if size != item["size"]:
            raise UserError(f"{size} bytes, the manifest says {item['size']}: the file was altered or truncated", location=name)
        if sha != item["sha256"]:
            raise UserError(
                f"SHA-256 is {sha}, the manifest says {item['sha256']}: the file was altered or damaged;"
                " nothing was imported",
                location=name,
            )
    signature = None
    if mf.SIGNATURE in by_name:
        _, _, signature, _ = _read_checked(zf, mf.SIGNATURE, by_name[mf.SIGNATURE].file_size, signatures.MAX_SIGNATURE_BYTES,
                                           cancel, lambda n: None)
    signer = signatures.check_manifest_signature(manifest, m_bytes, signature)
    attestations = (signatures.check_attestations(_json(contents[mf.ATTESTATIONS], mf.ATTESTATIONS))
                    if mf.ATTESTATIONS in contents else [])
    records = _parse_records(_json(contents[mf.RECORDS], mf.RECORDS))
    sync = _json(contents[mf.SYNC], mf.SYNC) if mf.SYNC in contents else {}
    if not isinstance(sync, dict) or not isinstance(sync.get("peers", {}), dict):
        raise UserError("expected an object with 'peers'", location=mf.SYNC)
    for peer, hashes in sync.get("peers", {}).items():
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            raise UserError(f"peer {peer!r}: expected an object of hashes", location=mf.SYNC)
    audit = _parse_audit(contents.get(mf.AUDIT, b""))
    if records.case["id"] != manifest["case"]["id"]:
        raise UserError("the manifest and the records name different cases", location=mf.RECORDS)
    members: dict[str, str] = {}
    for item in records.of("evidence"):
        folder = mf.DERIVED_DIR if item.get("derived_from_id") else mf.EVIDENCE_DIR
        name = folder + mf.safe_member_name(item["original_name"], item["sha256"])
        if name not in files or files[name]["sha256"] != item["sha256"]:
            raise UserError(f"evidence {item['id']} ({item['original_name']}) has no matching file in the case file", location=name)
        members[item["sha256"]] = name
    return CaseFile(source, zf, manifest, m_sha, files, records, sync, audit, ais_rows, members, signer, attestations)


def check_own_entries_signed(cf: CaseFile) -> None:
    """In a signed file, the signer vouches for every entry of its own store: none added or swapped after export.

    Run by the merge after the signer was checked against the store's known keys, so a
    file signed by a stranger is refused for that, the clearer reason.
    """
    signer, store_id, attestations, audit = cf.signer, cf.origin_store_id, cf.attestations, cf.audit
    if signer is None:
        return
    vouched: set[tuple[int, str]] = set()
    for att in attestations:
        if att.store_id == store_id and att.signer.key_id == signer.key_id:
            vouched |= att.pairs
    for entry in audit:
        if entry["origin_store_id"] == store_id and (entry["seq"], entry["hash"]) not in vouched:
            raise UserError(
                f"audit entry {entry['seq']} of store {store_id} (by {entry['actor']!r}, {entry['action']}) is not among the"
                f" entries {signer.reviewer} signed: it was added or rewritten after export; nothing was imported",
                location=mf.AUDIT,
            )


def _parse_records(data: Any) -> CaseRecords:
    if not isinstance(data, dict):
        raise UserError("expected a JSON object", location=mf.RECORDS)
    out = CaseRecords()
    for record_type in RECORD_TYPES:
        key = COLLECTION[record_type]
        rows = data.get(key, [])
        if not isinstance(rows, list):
            raise UserError(f"{key!r} must be a list", location=mf.RECORDS)
        seen: set[str] = set()
        for i, row in enumerate(rows):
            checked = check_record(record_type, row, f"{mf.RECORDS}: {key}[{i}]")
            if checked["id"] in seen:
                raise UserError(f"id {checked['id']} occurs twice", location=f"{mf.RECORDS}: {key}[{i}]")
            seen.add(checked["id"])
            out.records[record_type].append(checked)
    if len(out.of("case")) != 1:
        raise UserError(f"expected exactly one case, found {len(out.of('case'))}", location=mf.RECORDS)
    case_id = out.case["id"]
    for i, inc in enumerate(out.of("incident")):
        if inc["case_id"] != case_id:
            raise UserError("incident belongs to another case", location=f"{mf.RECORDS}: incidents[{i}]")
    _check_references(out)
    return out


REFERENCES = {
    "vessel_identity": {"vessel_id": "vessel"},
    "designation": {"vessel_id": "vessel"},
    "participant": {"incident_id": "incident", "vessel_id": "vessel"},
    "link": {"incident_id": "incident", "evidence_id": "evidence"},
    "annotation": {"evidence_id": "evidence"},
    "review": {"incident_id": "incident"},
}


def _check_references(records: CaseRecords) -> None:
    ids = {t: {r["id"] for r in records.of(t)} for t in RECORD_TYPES}
    for record_type, refs in REFERENCES.items():
        for i, row in enumerate(records.of(record_type)):
            for column, target in refs.items():
                if row[column] not in ids[target]:
                    raise UserError(
                        f"{column} {row[column]} names a {target} the file does not hold",
                        location=f"{mf.RECORDS}: {COLLECTION[record_type]}[{i}]",
                    )


def _parse_audit(data: bytes) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{mf.AUDIT}:{number}"
        entry = _json(raw, where)
        if not isinstance(entry, dict):
            raise UserError("expected a JSON object", location=where)
        for key in AUDIT_FIELDS:
            expected: type = int if key == "seq" else str
            if not isinstance(entry.get(key), expected) or isinstance(entry.get(key), bool):
                raise UserError(f"field {key!r} is missing or of the wrong type", location=where)
        recomputed = entry_hash(
            entry["seq"], entry["ts"], entry["actor"], entry["action"], entry["entity"],
            entry["entity_id"], entry["payload"], entry["prev_hash"],
        )
        if recomputed != entry["hash"]:
            raise UserError(
                f"audit entry {entry['seq']} of store {entry['origin_store_id']} does not match its hash: it was altered",
                location=where,
            )
        entries.append({k: entry[k] for k in AUDIT_FIELDS})
    return entries


def _check_ais(zf: zipfile.ZipFile, name: str, declared: int, cancel: CancelToken, on_bytes: Any) -> tuple[str, int, int]:
    """Hash the AIS entry and check each line's fields in the same pass."""
    sha = hashlib.sha256()
    size = 0
    rows = 0
    tail = b""
    for block in _blocks(zf, name, declared, cancel, on_bytes):
        size += len(block)
        sha.update(block)
        lines = (tail + block).split(b"\n")
        tail = lines.pop()
        for raw in lines:
            if raw.strip():
                rows += 1
                _check_ais_row(raw, f"{name}:{rows}")
    if tail.strip():
        rows += 1
        _check_ais_row(tail, f"{name}:{rows}")
    return sha.hexdigest(), size, rows


def _check_ais_row(raw: bytes, where: str) -> None:
    row = _json(raw, where)
    if not isinstance(row, dict) or set(row) != set(AIS_FIELDS):
        raise UserError(f"expected the fields {', '.join(AIS_FIELDS)}", location=where)
    for key in ("mmsi", "ts"):
        if not isinstance(row[key], int) or isinstance(row[key], bool):
            raise UserError(f"{key} must be a whole number", location=where)
    if not isinstance(row["lat"], int | float) or not -90 <= row["lat"] <= 90:
        raise UserError(f"lat {row['lat']!r} is outside -90..90", location=where)
    if not isinstance(row["lon"], int | float) or not -180 <= row["lon"] <= 180:
        raise UserError(f"lon {row['lon']!r} is outside -180..180", location=where)
    if not isinstance(row["evidence_id"], str):
        raise UserError("evidence_id must be text", location=where)
