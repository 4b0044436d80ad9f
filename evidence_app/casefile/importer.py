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
from evidence_app.casefile.record_dicts import (
    AIS_FIELDS,
    AUDIT_FIELDS,
    COLLECTION,
    DELETABLE,
    RECORD_TYPES,
    REFERENCES,
    TOMBSTONES,
    CaseRecords,
    check_record,
    parse_time,
)
from evidence_app.casefile.validate import check_fields, check_relations
from evidence_app.domain import limits
from evidence_app.domain.errors import UserError, ValidationError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.storage.audit import entry_hash

CHUNK = 1024 * 1024
MAX_INT_DIGITS = 19  # what a 64-bit database integer holds


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
                    raise UserError(
                        f"expands beyond its declared {declared} bytes: refused as a zip bomb", location=name
                    )
                on_bytes(len(block))
                yield block
    except zipfile.BadZipFile as exc:
        raise UserError(f"damaged or altered: {exc}", location=name) from None
    except (OSError, EOFError, ValueError) as exc:
        raise UserError(f"cannot be read: {exc}", location=name) from None


def _read_checked(
    zf: zipfile.ZipFile, name: str, declared: int, cap: int | None, cancel: CancelToken, on_bytes: Any
) -> tuple[str, int, bytes | None, list[bytes]]:
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


class _Refused(ValueError):
    """A JSON literal the parser hooks refuse (NaN, Infinity, a whole number of too many digits)."""


def _constant(literal: str) -> Any:
    raise _Refused(f"{literal} is not a number JSON allows: expected a finite number")


def _whole_number(text: str) -> int:
    # Checked as text, before int() (which refuses past 4,300 digits with an unlocated ValueError).
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        shown = text if len(text) <= 30 else text[:12] + "…"
        raise _Refused(f"the whole number {shown} is too large: at most {MAX_INT_DIGITS} digits")
    return int(text)


def _json(data: bytes, name: str) -> Any:
    """Parse JSON with limits: NaN and Infinity, huge whole numbers and runaway nesting are refused, located."""
    try:
        return json.loads(data, parse_constant=_constant, parse_int=_whole_number)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(f"not valid JSON: {exc}", location=f"{name}:{line}" if line else name) from None
    except _Refused as exc:
        raise UserError(str(exc), location=name) from None
    except RecursionError:
        raise UserError(
            f"JSON nested too deeply: at most {limits.MAX_JSON_DEPTH} levels are expected", location=name
        ) from None


def open_case_file(
    path: str | Path, *, progress: Progress = no_progress, cancel: CancelToken = NEVER_CANCELLED
) -> CaseFile:
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
    m_sha, _, m_bytes, _ = _read_checked(
        zf, mf.MANIFEST, by_name[mf.MANIFEST].file_size, mf.MAX_MANIFEST_BYTES, cancel, lambda n: None
    )
    assert m_bytes is not None
    manifest = _json(m_bytes, mf.MANIFEST)
    files = mf.check_manifest(manifest, entries)
    for key in ("export_id", "store_id"):  # both are written into this store's audit log
        try:
            limits.check_name(manifest[key], field=key)
        except ValidationError as exc:
            raise UserError(exc.message, location=f"{mf.MANIFEST}: {key}") from None
    total = sum(f["size"] for f in files.values())
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total, "checking hashes")

    in_memory = {mf.RECORDS, mf.SYNC, mf.AUDIT, mf.ATTESTATIONS}
    contents: dict[str, bytes] = {}
    ais_rows = 0
    ais_evidence: set[str] = set()
    for name, item in files.items():
        if name == mf.AIS:
            sha, size, ais_rows = _check_ais(zf, name, item["size"], cancel, on_bytes, ais_evidence)
        else:
            cap = mf.MAX_JSON_BYTES if name in in_memory else None
            sha, size, data, _ = _read_checked(zf, name, item["size"], cap, cancel, on_bytes)
            if data is not None:
                contents[name] = data
        if size != item["size"]:
            raise UserError(
                f"{size} bytes, the manifest says {item['size']}: the file was altered or truncated", location=name
            )
        if sha != item["sha256"]:
            raise UserError(
                f"SHA-256 is {sha}, the manifest says {item['sha256']}: the file was altered or damaged;"
                " nothing was imported",
                location=name,
            )
    signature = None
    if mf.SIGNATURE in by_name:
        _, _, signature, _ = _read_checked(
            zf, mf.SIGNATURE, by_name[mf.SIGNATURE].file_size, signatures.MAX_SIGNATURE_BYTES, cancel, lambda n: None
        )
    signer = signatures.check_manifest_signature(manifest, m_bytes, signature)
    attestations = (
        signatures.check_attestations(_json(contents[mf.ATTESTATIONS], mf.ATTESTATIONS))
        if mf.ATTESTATIONS in contents
        else []
    )
    records = _parse_records(_json(contents[mf.RECORDS], mf.RECORDS))
    sync = _json(contents[mf.SYNC], mf.SYNC) if mf.SYNC in contents else {}
    if not isinstance(sync, dict) or not isinstance(sync.get("peers", {}), dict) or not _is_clean_json(sync):
        raise UserError("expected an object with 'peers'", location=mf.SYNC)
    for peer, hashes in sync.get("peers", {}).items():
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            raise UserError(f"peer {peer!r}: expected an object of hashes", location=mf.SYNC)
    audit = _parse_audit(contents.get(mf.AUDIT, b""))
    if records.case["id"] != manifest["case"]["id"]:
        raise UserError("the manifest and the records name different cases", location=mf.RECORDS)
    check_fields(records)  # before any field is used, e.g. an original name to find an entry
    members: dict[str, str] = {}
    for item in records.of("evidence"):
        folder = mf.DERIVED_DIR if item.get("derived_from_id") else mf.EVIDENCE_DIR
        name = folder + mf.safe_member_name(item["original_name"], item["sha256"])
        if name not in files or files[name]["sha256"] != item["sha256"]:
            raise UserError(
                f"evidence {item['id']} ({item['original_name']}) has no matching file in the case file", location=name
            )
        members[item["sha256"]] = name
    # The content layer: every record as the services would have written it (nothing read from the store yet).
    check_relations(
        records,
        evidence_sizes={sha: files[name]["size"] for sha, name in members.items()},
        ais_evidence_ids=ais_evidence,
    )
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
            rid = row.get("id") if isinstance(row, dict) and isinstance(row.get("id"), str) else None
            label = f" ({record_type.replace('_', ' ')} {limits.printable(rid[:40])})" if rid else ""
            checked = check_record(record_type, row, f"{mf.RECORDS}: {key}[{i}]{label}")
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
    out.tombstones = _parse_tombstones(data.get(TOMBSTONES, []), out)
    return out


def _parse_tombstones(rows: Any, records: CaseRecords) -> list[dict[str, Any]]:
    """Deletions the file carries: each names a known kind of record and holds it as it was deleted."""
    where = f"{mf.RECORDS}: {TOMBSTONES}"
    if not isinstance(rows, list):
        raise UserError(f"{TOMBSTONES!r} must be a list", location=mf.RECORDS)
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        loc = f"{where}[{i}]"
        if not isinstance(row, dict):
            raise UserError("expected an object", location=loc)
        record_type = row.get("record_type")
        if record_type not in DELETABLE:
            raise UserError(f"record_type {record_type!r}: expected one of {', '.join(DELETABLE)}", location=loc)
        record = check_record(record_type, row.get("record"), f"{loc}.record")
        if row.get("record_id") != record["id"]:
            raise UserError("record_id differs from the id of the record it holds", location=f"{loc}.record_id")
        if (record_type, record["id"]) in seen:
            raise UserError(f"{record_type} {record['id']} is deleted twice", location=loc)
        seen.add((record_type, record["id"]))
        if any(r["id"] == record["id"] for r in records.of(record_type)):
            raise UserError(f"{record_type} {record['id']} is both in the file and deleted", location=loc)
        case_id = row.get("case_id")
        if case_id is not None and case_id != records.case["id"]:
            raise UserError("the deletion belongs to another case", location=f"{loc}.case_id")
        keys = row.get("keys", {})
        if not isinstance(keys, dict) or set(keys) - {"vessel_imo", "evidence_sha256"}:
            raise UserError("keys: expected an object with vessel_imo or evidence_sha256", location=f"{loc}.keys")
        imo, sha = keys.get("vessel_imo"), keys.get("evidence_sha256")
        if imo is not None and (isinstance(imo, bool) or not isinstance(imo, int) or not 1_000_000 <= imo <= 9_999_999):
            raise UserError(f"vessel_imo {imo!r} is not an IMO number", location=f"{loc}.keys")
        if sha is not None and (
            not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)
        ):
            raise UserError(f"evidence_sha256 {sha!r} is not a SHA-256 hex digest", location=f"{loc}.keys")
        deleted_by = row.get("deleted_by", "")
        if not isinstance(deleted_by, str) or len(deleted_by) > 120:
            raise UserError("deleted_by: expected a name of at most 120 characters", location=f"{loc}.deleted_by")
        deleted_at = row.get("deleted_at")
        if not isinstance(deleted_at, str):
            raise UserError("deleted_at: expected an ISO 8601 time", location=f"{loc}.deleted_at")
        parse_time(deleted_at, f"{loc}.deleted_at")
        out.append(
            {
                "record_type": record_type,
                "record_id": record["id"],
                "case_id": case_id,
                "record": record,
                "keys": {"vessel_imo": imo, "evidence_sha256": sha},
                "deleted_at": deleted_at,
                "deleted_by": deleted_by,
            }
        )
    return out


def _check_references(records: CaseRecords) -> None:
    ids = {t: {r["id"] for r in records.of(t)} for t in RECORD_TYPES}
    for record_type, refs in REFERENCES.items():
        for i, row in enumerate(records.of(record_type)):
            for column, target in refs.items():
                if row.get(column) is not None and row[column] not in ids[target]:
                    raise UserError(
                        f"names {target.replace('_', ' ')} {row[column]} that the file does not hold",
                        location=f"{mf.RECORDS}: {COLLECTION[record_type]}[{i}] ({record_type.replace('_', ' ')} {row['id']}).{column}",
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
        try:  # before hashing: a lone surrogate cannot even be encoded to hash it
            limits.check_json_value(entry, field="entry")
        except ValidationError as exc:
            raise UserError(exc.message, location=where) from None
        for key in AUDIT_FIELDS:
            expected: type = int if key == "seq" else str
            if not isinstance(entry.get(key), expected) or isinstance(entry.get(key), bool):
                raise UserError(f"field {key!r} is missing or of the wrong type", location=where)
        content = entry.get("content")  # content hashes (optional: older stores wrote none)
        if content is not None and not isinstance(content, str):
            raise UserError("field 'content' is of the wrong type", location=where)
        recomputed = entry_hash(
            entry["seq"],
            entry["ts"],
            entry["actor"],
            entry["action"],
            entry["entity"],
            entry["entity_id"],
            entry["payload"],
            entry["prev_hash"],
            content,
        )
        if recomputed != entry["hash"]:
            raise UserError(
                f"audit entry {entry['seq']} of store {entry['origin_store_id']} does not match its hash: it was altered",
                location=where,
            )
        entries.append({**{k: entry[k] for k in AUDIT_FIELDS}, "content": content})
    return entries


def _is_clean_json(value: Any) -> bool:
    try:
        limits.check_json_value(value, field="sync")
    except ValidationError:
        return False
    return True


def _check_ais(
    zf: zipfile.ZipFile, name: str, declared: int, cancel: CancelToken, on_bytes: Any, evidence_ids: set[str]
) -> tuple[str, int, int]:
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
                evidence_ids.add(_check_ais_row(raw, f"{name}:{rows}"))
    if tail.strip():
        rows += 1
        evidence_ids.add(_check_ais_row(tail, f"{name}:{rows}"))
    return sha.hexdigest(), size, rows


EPOCH_RANGE = (int(limits.EARLIEST.timestamp()), int(limits.LATEST.timestamp()))
# field -> (whole number?, low, high) for the optional AIS values (null means "not available").
AIS_OPTIONAL = {
    "sog": (False, limits.SPEED_KN),
    "cog": (False, limits.COURSE_DEG),
    "heading": (True, limits.Range(0, 511)),  # 511: not available
    "nav_status": (True, limits.Range(0, 15)),
}


AIS_KEYS = frozenset(AIS_FIELDS)
_NUMBER = (int, float)


def _ais_row_ok(row: dict[str, Any]) -> bool:
    """The common case at C speed (millions of lines): every value of the right type and in range.

    ``type(...)`` rather than ``isinstance`` so booleans fail; NaN fails every comparison.
    """
    mmsi, ts, lat, lon = row["mmsi"], row["ts"], row["lat"], row["lon"]
    sog, cog, heading, nav, eid = row["sog"], row["cog"], row["heading"], row["nav_status"], row["evidence_id"]
    return (
        type(mmsi) is int
        and 1 <= mmsi <= 999_999_999
        and type(ts) is int
        and EPOCH_RANGE[0] <= ts <= EPOCH_RANGE[1]
        and type(lat) in _NUMBER
        and -90.0 <= lat <= 90.0
        and type(lon) in _NUMBER
        and -180.0 <= lon <= 180.0
        and (sog is None or (type(sog) in _NUMBER and limits.SPEED_KN.low <= sog <= limits.SPEED_KN.high))
        and (cog is None or (type(cog) in _NUMBER and limits.COURSE_DEG.low <= cog <= limits.COURSE_DEG.high))
        and (heading is None or (type(heading) is int and 0 <= heading <= 511))
        and (nav is None or (type(nav) is int and 0 <= nav <= 15))
        and type(eid) is str
        and 0 < len(eid) <= limits.MAX_NAME
        and eid.isprintable()
    )


def _check_ais_row(raw: bytes, where: str) -> str:
    """One AIS line: the fields, types and ranges of a position the AIS importer could have stored."""
    try:
        row = json.loads(raw)  # no hooks here: NaN, Infinity and huge numbers fail the range checks below
    except (UnicodeDecodeError, ValueError, RecursionError):
        row = _json(raw, where)  # the hooked parser names the problem
    if not isinstance(row, dict) or row.keys() != AIS_KEYS:
        raise UserError(f"expected the fields {', '.join(AIS_FIELDS)}", location=where)
    if not _ais_row_ok(row):
        _explain_ais_row(row, where)
    return str(row["evidence_id"])


def _explain_ais_row(row: dict[str, Any], where: str) -> None:
    """Raise the located message for a row ``_ais_row_ok`` refused."""
    try:
        limits.check_int(row["mmsi"], 1, 999_999_999, field="mmsi")
        limits.check_int(row["ts"], *EPOCH_RANGE, field="ts")
        limits.check_number(row["lat"], limits.Range(-90.0, 90.0, "°"), field="lat")
        limits.check_number(row["lon"], limits.Range(-180.0, 180.0, "°"), field="lon")
        for key, (whole, rng) in AIS_OPTIONAL.items():
            if row[key] is None:
                continue
            if whole:
                limits.check_int(row[key], int(rng.low), int(rng.high), field=key)
            else:
                limits.check_number(row[key], rng, field=key)
        limits.check_name(row["evidence_id"], field="evidence_id")
        if not row["evidence_id"]:
            raise ValidationError("evidence_id must not be empty", field="evidence_id")
    except ValidationError as exc:
        raise UserError(exc.message, location=f"{where}.{exc.field}") from None
    raise UserError("a value is out of range", location=where)  # not reached: every refusal above is named
