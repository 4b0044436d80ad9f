"""Case files as use cases: export, import (one transaction), merge conflicts, GeoJSON and KML.

An import runs in two phases, like attaching files: the whole file is checked first
(every hash, before anything is written), then the evidence bytes go into the object
store (inert without rows), then one transaction merges the records and writes the audit
entries. A failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence_app.casefile import geo_export, keyring
from evidence_app.casefile.dump import case_dump
from evidence_app.casefile.export import ExportResult
from evidence_app.casefile.export import export_case as write_case_file
from evidence_app.casefile.importer import open_case_file
from evidence_app.casefile.merge import DELETED, MergeReport, apply_incoming, merge_case_file, precheck, settle_deletion
from evidence_app.casefile.record_dicts import (
    RECORD_TYPES,
    STORE_ID_KEY,
    case_tracks,
    collect_case,
    content_hash,
    store_id,
)
from evidence_app.casefile.signatures import Signer
from evidence_app.casefile.validate import check_scope
from evidence_app.domain.errors import NotFound, StoreError, ValidationError
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.services import checkpoints
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.record_edits import resolve
from evidence_app.storage import audit
from evidence_app.storage.models import Case, MergeConflict, StoreMeta, SyncState, Tombstone
from evidence_app.storage.output import atomic_output

RESOLUTIONS = ("keep-local", "take-incoming")


def report_helpers() -> Any:
    """The report's helpers from the layers beside the case-file one: display stretch, distance from shore."""
    from evidence_app.analysis.shore import distance_from_shore_m
    from evidence_app.casefile.report_data import ReportHelpers
    from evidence_app.imagery.display import open_for_display

    return ReportHelpers(open_image=open_for_display, shore_distance=distance_from_shore_m)


def export_case(
    ctx: Context,
    case_id: str,
    out_path: str | os.PathLike[str],
    *,
    only_confirmed: bool = False,
    with_report: bool = True,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ExportResult:
    """Write ``out_path`` (.evcase), record the export in the audit log, and sign the chain head."""
    key = checkpoints.signing_key(ctx)  # a config-folder problem is reported before any work
    with ctx.store.read() as session:
        case = resolve(session, Case, case_id, "case")
    with ctx.store.write() as session:
        # Before writing: a file later claiming to come from this store must carry a key that exported from it.
        keyring.own_export_key(session, store_id(session), Signer(ctx.actor, key.public_raw))
    result = write_case_file(
        ctx.store,
        case.id,
        out_path,
        only_confirmed=only_confirmed,
        exported_by=ctx.actor,
        with_report=with_report,
        report_helpers=report_helpers(),
        signing_key=key,
        progress=progress,
        cancel=cancel,
    )
    with ctx.store.write() as session:
        audit.record(
            session,
            ctx.actor,
            "casefile.export",
            "case",
            case.id,
            {
                "file": Path(out_path).name,
                "export_id": result.export_id,
                "manifest_sha256": result.manifest_sha256,
                "scope": "confirmed" if only_confirmed else "all",
                "evidence_files": result.evidence_files,
                "signer_fingerprint": key.fingerprint,
            },
        )
    checkpoints.sign_head(ctx, f"export of case {case.id}", key)
    return result


@leaves_no_unused_objects
def import_case(
    ctx: Context,
    path: str | os.PathLike[str],
    *,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> MergeReport:
    """Check, then merge a case file; all of it lands or, on any problem, nothing does."""
    cf = open_case_file(path, progress=progress, cancel=cancel)
    try:
        # A case file touches only its own case, and who signed it must be who its store is
        # known by: both checked before its files reach the object store, and again in the
        # write transaction (another import may have landed since).
        with ctx.store.read() as session:
            check_scope(session, cf.records)
            meta = session.get(StoreMeta, STORE_ID_KEY)
            precheck(session, cf, meta.value if meta is not None else None)
        for sha, member in cf.evidence_members.items():
            cancel.raise_if_cancelled()
            if ctx.store.objects.hold_existing(sha):
                continue
            with cf.open_member(member) as fh:
                stored = ctx.store.objects.put_stream(fh, total=cf.files[member]["size"], cancel=cancel)
            if stored.sha256 != sha:  # the file changed on disk since it was checked
                raise StoreError(f"{member} changed while it was being imported; nothing was imported")
        cancel.raise_if_cancelled()
        import_id = str(uuid.uuid4())
        with ctx.store.write() as session:
            check_scope(session, cf.records)
            own = store_id(session)
            report = merge_case_file(session, ctx.actor, cf, own, import_id)
    finally:
        cf.close()
    return report


def dump_case(ctx: Context, case_id: str) -> dict[str, Any]:
    """Everything this store holds about a case, canonically (``casefile.dump``): equal dumps, same case."""
    with ctx.store.read() as session:
        case = resolve(session, Case, case_id, "case")
        return case_dump(session, case.id, ctx.store.objects)


def list_conflicts(ctx: Context, *, case_id: str | None = None, include_resolved: bool = False) -> list[dict[str, Any]]:
    with ctx.store.read() as session:
        query = select(MergeConflict).order_by(MergeConflict.created_at)
        if case_id:
            query = query.where(MergeConflict.case_id == resolve(session, Case, case_id, "case").id)
        if not include_resolved:
            query = query.where(MergeConflict.resolved_at.is_(None))
        rows = list(session.scalars(query))
        out = []
        for c in rows:
            model = RECORD_TYPES.get(c.record_type)
            local = session.get(model, c.record_id) if model else None
            from evidence_app.casefile.merge import local_dict

            current = local_dict(session, c.record_type, local) if local is not None else {}
            incoming = dict(c.incoming)
            # A deletion on one side against a change on the other: "deleted" is the field that differs.
            deletion = "incoming" if incoming.get("deleted") is True else "local" if c.local_hash == DELETED else None
            if deletion == "incoming":
                current["deleted"] = False
                incoming = {
                    "deleted": True,
                    "deleted_by": incoming.get("deleted_by"),
                    "deleted_at": incoming.get("deleted_at"),
                }
            elif deletion == "local":
                grave = session.get(Tombstone, (c.record_type, c.record_id))
                current = {
                    "deleted": True,
                    "deleted_by": grave.deleted_by if grave else None,
                    "deleted_at": grave.deleted_at.isoformat() if grave else None,
                }
                incoming["deleted"] = False
            out.append(
                {
                    "id": c.id,
                    "case_id": c.case_id,
                    "record_type": c.record_type,
                    "record_id": c.record_id,
                    "fields": {f: {"local": current.get(f), "incoming": incoming.get(f)} for f in c.fields},
                    "deletion": deletion,
                    # Both whole versions, for a side-by-side view of the record (not only the differing fields).
                    "local_record": current,
                    "incoming_record": incoming,
                    "peer_store_id": c.peer_store_id,
                    "created_at": c.created_at.isoformat(),
                    "resolution": c.resolution,
                    "resolved_by": c.resolved_by,
                }
            )
        return out


def resolve_conflict(ctx: Context, conflict_id: str, choice: str) -> dict[str, Any]:
    """Settle a conflict: keep the local record, or take the file's version of it."""
    if choice not in RESOLUTIONS:
        raise ValidationError(f"resolution {choice!r}: expected keep-local or take-incoming", field="resolution")
    with ctx.store.write() as session:
        conflict = resolve(session, MergeConflict, conflict_id, "conflict")
        if conflict.resolved_at is not None:
            raise ValidationError(
                f"conflict {conflict.id[:8]} was already resolved ({conflict.resolution})", field="conflict"
            )
        model = RECORD_TYPES[conflict.record_type]
        settled = settle_deletion(session, conflict, choice, ctx.actor)
        if settled is not None:
            diff, digest = settled
        else:
            local = session.get(model, conflict.record_id)
            if local is None:
                raise NotFound(f"the {conflict.record_type} {conflict.record_id} no longer exists")
            diff = {}
            if choice == "take-incoming":
                diff = apply_incoming(session, conflict.record_type, local, conflict.incoming)
            digest = content_hash(conflict.incoming)
        conflict.resolution = choice
        conflict.resolved_at = datetime.now(UTC)
        conflict.resolved_by = ctx.actor
        # Both stores now agree the file's version was seen: the next file from the peer
        # with the record unchanged will not raise the same conflict again.
        row = session.get(SyncState, (conflict.peer_store_id, conflict.record_type, conflict.record_id))
        if row is None:
            session.add(
                SyncState(
                    peer_store_id=conflict.peer_store_id,
                    record_type=conflict.record_type,
                    record_id=conflict.record_id,
                    content_hash=digest,
                )
            )
        else:
            row.content_hash = digest
        entity = "incident" if conflict.record_type not in ("case", "vessel", "evidence") else conflict.record_type
        audit.record(
            session,
            ctx.actor,
            "casefile.conflict_resolved",
            entity,
            conflict.record_id,
            {"conflict_id": conflict.id, "record_type": conflict.record_type, "resolution": choice, "changes": diff},
        )
        return {"id": conflict.id, "resolution": choice, "changes": diff}


def export_geo(
    ctx: Context, case_id: str, out_path: str | os.PathLike[str], *, fmt: str, only_confirmed: bool = False
) -> dict[str, Any]:
    """Write the case as GeoJSON or KML (written to a temporary name, then renamed)."""
    if fmt not in ("geojson", "kml"):
        raise ValidationError(f"format {fmt!r}: expected geojson or kml", field="format")
    with ctx.store.read() as session:
        case = resolve(session, Case, case_id, "case")
        records = collect_case(session, case.id, only_confirmed=only_confirmed)
        tracks = case_tracks(session, records)
    if fmt == "geojson":
        data = geo_export.geojson_bytes(records, tracks, indent=1)
    else:
        data = geo_export.to_kml(records, tracks)
    out = Path(out_path)
    _write_atomically(out, data)
    return {"path": str(out), "bytes": len(data), "incidents": len(records.of("incident")), "tracks": len(tracks)}


REPORT_FORMATS = ("html", "pdf")


def export_report(
    ctx: Context,
    case_id: str,
    out_path: str | os.PathLike[str],
    *,
    fmt: str,
    only_confirmed: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> dict[str, Any]:
    """Write the case report alone (self-contained HTML, or PDF with the caveat on every page)."""
    if fmt not in REPORT_FORMATS:
        raise ValidationError(f"report format {fmt!r}: expected html or pdf", field="format")
    from evidence_app.casefile.report_data import build_report_data
    from evidence_app.casefile.report_html import render_html
    from evidence_app.casefile.report_pdf import render_pdf

    progress(0, 3, "collecting the case")
    with ctx.store.read() as session:
        case = resolve(session, Case, case_id, "case")
        records = collect_case(session, case.id, only_confirmed=only_confirmed)
        tracks = case_tracks(session, records)
    cancel.raise_if_cancelled()
    progress(1, 3, "drawing maps and photos")
    data = build_report_data(
        records, tracks, ctx.store.objects.path_for, exported_at=datetime.now(UTC), helpers=report_helpers()
    )
    cancel.raise_if_cancelled()
    progress(2, 3, f"writing the {fmt.upper()}")
    body = render_html(data).encode("utf-8") if fmt == "html" else render_pdf(data)
    cancel.raise_if_cancelled()
    _write_atomically(Path(out_path), body)
    with ctx.store.write() as session:
        audit.record(
            session,
            ctx.actor,
            "casefile.report",
            "case",
            case.id,
            {
                "file": Path(out_path).name,
                "format": fmt,
                "scope": "confirmed" if only_confirmed else "all",
                "incidents": len(records.of("incident")),
                "bytes": len(body),
            },
        )
    progress(3, 3, "written")
    return {"path": str(out_path), "bytes": len(body), "incidents": len(records.of("incident")), "format": fmt}


def _write_atomically(out: Path, data: bytes) -> None:
    """Write to a hidden temporary name beside the target, then rename: no half-written file."""
    with atomic_output(out) as fh:
        fh.write(data)
