"""Writing a case file: one zip with manifest, records, original and derived files, report and map exports.

Streamed end to end: evidence files are copied through a 1 MiB buffer while their
SHA-256 is recomputed (a damaged store object is refused, never shipped), AIS positions
and audit entries are written line by line. The zip is written under a temporary name
beside the target and renamed only when complete, so a cancelled or failed export
leaves no half file that looks like a case file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from evidence_app import __version__
from evidence_app.casefile import manifest as mf
from evidence_app.casefile import signatures
from evidence_app.casefile.record_dicts import (
    CaseRecords,
    check_finite,
    collect_case,
    iter_ais_positions,
    iter_case_audit,
    store_id,
    sync_bases,
)
from evidence_app.domain.errors import StoreError, UserError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.storage.db import Store
from evidence_app.storage.output import atomic_output
from evidence_app.storage.signing import SigningKey

CHUNK = 1024 * 1024
GENERATOR = "Evidence Review"


@dataclass
class ExportResult:
    path: Path
    case_id: str
    export_id: str
    files: int = 0
    bytes_written: int = 0
    evidence_files: int = 0
    incidents: int = 0
    manifest_sha256: str = ""
    signed_by: str = ""  # reviewer name, empty for an unsigned file
    signer_fingerprint: str = ""
    seconds: float = 0.0
    entries: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "entries"}
        data["path"] = str(self.path)
        return data


class _Entry:
    """A zip member being written: counts bytes and hashes them on the way."""

    def __init__(self, zf: zipfile.ZipFile, name: str, *, compress: bool, when: datetime) -> None:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
        self.name = name
        self._fh = zf.open(info, "w", force_zip64=True)
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._sha.update(data)
        self._fh.write(data)
        self.size += len(data)

    def close(self) -> dict[str, Any]:
        self._fh.close()
        return {"path": self.name, "size": self.size, "sha256": self._sha.hexdigest()}

    def abandon(self) -> None:
        with contextlib.suppress(Exception):
            self._fh.close()  # zipfile marks the archive writable again even when this fails


class _Writer:
    def __init__(self, zf: zipfile.ZipFile, when: datetime) -> None:
        self.zf = zf
        self.when = when
        self.files: list[dict[str, Any]] = []
        self._open: _Entry | None = None

    def add_bytes(self, name: str, data: bytes, *, compress: bool = True, role: str = "") -> dict[str, Any]:
        entry = self._open = _Entry(self.zf, name, compress=compress, when=self.when)
        entry.write(data)
        return self._done(entry, role)

    def add_lines(self, name: str, rows: Iterable[dict[str, Any]], *, role: str, cancel: CancelToken) -> int:
        entry = self._open = _Entry(self.zf, name, compress=True, when=self.when)
        count = 0
        buffer: list[str] = []
        for row in rows:
            buffer.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            count += 1
            if len(buffer) >= 5000:
                cancel.raise_if_cancelled()
                entry.write(("\n".join(buffer) + "\n").encode("utf-8"))
                buffer.clear()
        if buffer:
            entry.write(("\n".join(buffer) + "\n").encode("utf-8"))
        self._done(entry, role)
        return count

    def add_stream(
        self,
        name: str,
        source: BinaryIO,
        *,
        expect_sha256: str,
        role: str,
        on_bytes: Callable[[int], None],
        cancel: CancelToken,
    ) -> dict[str, Any]:
        entry = self._open = _Entry(self.zf, name, compress=False, when=self.when)
        _copy_hashed(source, entry, on_bytes, cancel)
        record = self._done(entry, role)
        if record["sha256"] != expect_sha256:
            raise StoreError(
                f"evidence object {expect_sha256} in the store is damaged (its content now hashes to"
                f" {record['sha256']}): run `evidence-app verify`; nothing was exported"
            )
        return record

    def abandon(self) -> None:
        """Give the archive up after an error: close an open member and the zip without raising,
        so neither ``ZipFile.close`` nor its ``__del__`` fails again (or prints a traceback)."""
        if self._open is not None:
            self._open.abandon()
            self._open = None
        with contextlib.suppress(Exception):
            self.zf.close()

    def _done(self, entry: _Entry, role: str) -> dict[str, Any]:
        record = entry.close()
        self._open = None
        if role:
            record["role"] = role
        self.files.append(record)
        return record


def _copy_hashed(source: BinaryIO, entry: _Entry, on_bytes: Callable[[int], None], cancel: CancelToken) -> None:
    """Copy with the SHA-256 computed on a second thread, one chunk behind the write.

    hashlib and zlib both release the GIL on large buffers, so hashing one chunk while
    the zip writer CRCs and writes it keeps both cores busy; in one thread the export
    runs at about half the speed of a plain `zip -0`. Two buffers alternate: a buffer is
    refilled only after its hash job has finished.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    buffers = [bytearray(CHUNK), bytearray(CHUNK)]
    jobs: list[Future[None] | None] = [None, None]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="casefile-hash") as pool:
        index = 0
        while True:
            cancel.raise_if_cancelled()
            job = jobs[index]
            if job is not None:
                job.result()
            buf = buffers[index]
            n = source.readinto(buf)  # type: ignore[attr-defined]
            if not n:
                break
            view = memoryview(buf)[:n]
            jobs[index] = pool.submit(entry._sha.update, view)
            entry._fh.write(view)
            entry.size += n
            on_bytes(n)
            index ^= 1
        for job in jobs:
            if job is not None:
                job.result()


def default_out_name(case_title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in case_title.strip())[:60].strip("-")
    return f"{cleaned or 'case'}.evcase"


def export_case(
    store: Store,
    case_id: str,
    out_path: str | os.PathLike[str],
    *,
    only_confirmed: bool = False,
    exported_by: str = "",
    with_report: bool = True,
    report_helpers: Any = None,
    signing_key: SigningKey | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ExportResult:
    """Write the case file; returns what went in. The target appears only when complete.

    ``report_helpers`` (``report_data.ReportHelpers``) brings the image display stretch and
    the distance from shore; the services pass them.

    With ``signing_key`` the manifest is signed (``manifest.sig``) and so is the list of
    this store's audit entries in the file; without it the file is unsigned (tests make
    such files to stand for exports of older versions).
    """
    started = time.perf_counter()
    out = Path(out_path)
    if out.is_dir():
        raise UserError("is a folder: give a file name such as case.evcase", location=str(out))
    if not out.parent.is_dir():
        raise UserError("the folder does not exist", location=str(out.parent))
    with store.write() as session:
        own_id = store_id(session)  # created once, in its own small transaction
    now = datetime.now(UTC)
    export_id = str(uuid.uuid4())
    with store.read() as session:
        records = collect_case(session, case_id, only_confirmed=only_confirmed)
        check_finite(records)
        case = records.case
        evidence = records.of("evidence")
        total_bytes = sum(e["size"] for e in evidence)
        result = ExportResult(out, case["id"], export_id, incidents=len(records.of("incident")))
        entity_ids = [case["id"]] + [r["id"] for t in ("incident", "vessel", "evidence") for r in records.of(t)]
        with atomic_output(out) as raw:
            zf = zipfile.ZipFile(raw, "w", allowZip64=True)
            try:
                writer = _Writer(zf, now)
                _write_contents(
                    session,
                    store,
                    writer,
                    records,
                    own_id,
                    entity_ids,
                    total_bytes,
                    result,
                    progress,
                    cancel,
                    with_report=with_report,
                    export_id=export_id,
                    when=now,
                    report_helpers=report_helpers,
                    signing_key=signing_key,
                )
                _write_guide(
                    writer,
                    records,
                    exported_at=now,
                    exported_by=exported_by,
                    export_id=export_id,
                    scope="confirmed" if only_confirmed else "all",
                )
                manifest = {
                    "format": mf.FORMAT_NAME,
                    "format_version": mf.FORMAT_VERSION,
                    "generator": GENERATOR,
                    "generator_version": __version__,
                    "exported_at": now.isoformat().replace("+00:00", "Z"),
                    "exported_by": exported_by,
                    "export_id": export_id,
                    "store_id": own_id,
                    "scope": "confirmed" if only_confirmed else "all",
                    "case": {k: case.get(k) for k in ("id", "title", "summary", "caveat", "four_eyes")},
                    "counts": {t: len(rows) for t, rows in records.records.items()},
                    "files": list(writer.files),
                }
                if signing_key is not None:
                    manifest["signer"] = signatures.signer_block(signing_key)
                manifest_bytes = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
                writer.add_bytes(mf.MANIFEST, manifest_bytes)
                if signing_key is not None:
                    writer.add_bytes(
                        mf.SIGNATURE, signatures.sign_manifest(signing_key, manifest_bytes), compress=False
                    )
                    result.signed_by, result.signer_fingerprint = signing_key.reviewer, signing_key.fingerprint
                zf.close()
            except BaseException:
                writer.abandon()  # no central directory: the temporary file is removed anyway
                raise
    result.files = len(writer.files)
    result.bytes_written = out.stat().st_size
    result.manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    result.entries = writer.files
    result.seconds = time.perf_counter() - started
    progress(total_bytes, total_bytes, "exported")
    return result


def _write_contents(
    session: Any,
    store: Store,
    writer: _Writer,
    records: CaseRecords,
    own_id: str,
    entity_ids: list[str],
    total_bytes: int,
    result: ExportResult,
    progress: Progress,
    cancel: CancelToken,
    *,
    with_report: bool,
    export_id: str,
    when: datetime,
    report_helpers: Any = None,
    signing_key: SigningKey | None = None,
) -> None:
    from evidence_app.casefile.record_dicts import case_tracks

    writer.add_bytes(
        mf.RECORDS, json.dumps(records.to_json(), indent=1, ensure_ascii=False).encode("utf-8"), role="records"
    )
    hashes = records.hashes()
    sync = {"store_id": own_id, "export_id": export_id, "hashes": hashes, "peers": sync_bases(session, hashes)}
    writer.add_bytes(mf.SYNC, json.dumps(sync, indent=1).encode("utf-8"), role="sync")
    ais_ids = [e["id"] for e in records.of("evidence") if e["kind"] == "ais"]
    writer.add_lines(mf.AIS, iter_ais_positions(session, ais_ids), role="ais", cancel=cancel)
    own_pairs: list[tuple[int, str]] = []
    relayed: set[str] = set()

    def audit_rows() -> Iterator[dict[str, Any]]:
        for row in iter_case_audit(session, own_id, entity_ids, with_attestation=True):
            attestation_id = row.pop("attestation_id", None)
            if row["origin_store_id"] == own_id:
                own_pairs.append((row["seq"], row["hash"]))
            elif attestation_id:
                relayed.add(attestation_id)
            yield row

    writer.add_lines(mf.AUDIT, audit_rows(), role="audit", cancel=cancel)
    attestations = relayed_attestations(session, relayed)
    if signing_key is not None and own_pairs:
        attestations.insert(0, signatures.attest(signing_key, own_id, own_pairs))
    writer.add_bytes(
        mf.ATTESTATIONS,
        json.dumps(signatures.attestations_json(attestations), indent=1, ensure_ascii=False).encode("utf-8"),
        role="signatures",
    )
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total_bytes, f"evidence {result.evidence_files + 1}/{len(records.of('evidence'))}")

    for item in records.of("evidence"):
        cancel.raise_if_cancelled()
        folder = mf.DERIVED_DIR if item.get("derived_from_id") else mf.EVIDENCE_DIR
        name = folder + mf.safe_member_name(item["original_name"], item["sha256"])
        if any(f["path"] == name for f in writer.files):
            continue
        try:
            source = store.objects.path_for(item["sha256"]).open("rb")
        except FileNotFoundError:
            raise StoreError(
                f"evidence {item['id']} ({item['original_name']}) is missing from the evidence store: run"
                " `evidence-app verify`; nothing was exported"
            ) from None
        with source:
            writer.add_stream(
                name,
                source,
                expect_sha256=item["sha256"],
                role="derived" if item.get("derived_from_id") else "evidence",
                on_bytes=on_bytes,
                cancel=cancel,
            )
        result.evidence_files += 1
    tracks = case_tracks(session, records)
    from evidence_app.casefile import geo_export

    writer.add_bytes("geo/case.geojson", geo_export.geojson_bytes(records, tracks), role="geojson")
    writer.add_bytes("geo/case.kml", geo_export.to_kml(records, tracks), role="kml")
    if with_report:
        cancel.raise_if_cancelled()
        progress(done, total_bytes, "writing the report")
        from evidence_app.casefile.report_data import build_report_data
        from evidence_app.casefile.report_html import render_html
        from evidence_app.casefile.report_pdf import render_pdf

        data = build_report_data(
            records, tracks, store.objects.path_for, exported_at=when, export_id=export_id, helpers=report_helpers
        )
        writer.add_bytes("report/report.html", render_html(data).encode("utf-8"), role="report")
        writer.add_bytes("report/report.pdf", render_pdf(data), compress=False, role="report")


def iter_evidence_names(records: CaseRecords) -> Iterator[tuple[str, dict[str, Any]]]:
    """(member name, evidence record) for every file a case file of these records holds."""
    for item in records.of("evidence"):
        folder = mf.DERIVED_DIR if item.get("derived_from_id") else mf.EVIDENCE_DIR
        yield folder + mf.safe_member_name(item["original_name"], item["sha256"]), item


def _write_guide(
    writer: _Writer, records: CaseRecords, *, exported_at: datetime, exported_by: str, export_id: str, scope: str
) -> None:
    """README.txt and SHA256SUMS, written after every other entry but the manifest.

    SHA256SUMS lists every entry written so far (README.txt included), so
    ``sha256sum -c SHA256SUMS`` checks the whole file but the manifest, which lists
    SHA256SUMS in turn.
    """
    from evidence_app.casefile import guide

    readme = guide.readme_text(
        records,
        iter_evidence_names(records),
        exported_at=exported_at.strftime("%Y-%m-%d %H:%M UTC"),
        exported_by=exported_by,
        export_id=export_id,
        scope=scope,
        generator=f"{GENERATOR} {__version__}",
        entries=[f["path"] for f in writer.files],
    )
    writer.add_bytes(mf.README, readme.encode("utf-8"), role="readme")
    writer.add_bytes(mf.SHA256SUMS, guide.sha256sums(writer.files), role="sha256sums")


def relayed_attestations(session: Any, ids: set[str]) -> list[signatures.Attestation]:
    """Other stores' attestations over the imported entries going out again, with their original signatures."""
    from evidence_app.storage.models import AuditAttestation, SignerKey
    from evidence_app.storage.signing import public_key_from_text

    out = []
    for attestation_id in sorted(ids):
        row = session.get(AuditAttestation, attestation_id)
        key = session.get(SignerKey, row.fingerprint) if row is not None else None
        if row is None or key is None:
            continue  # the entries go out unverified, as they are here
        signer = signatures.Signer(key.reviewer, public_key_from_text(key.public_key, location="signer_keys"))
        out.append(signatures.Attestation(row.origin_store_id, signer, row.entries, row.signature))
    return out
