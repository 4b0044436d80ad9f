"""Imports of ship records: AIS positions, vessel registries and externally detected events.

Each import is one use case in one write transaction: the file is first copied into the
evidence store (an object without a row is inert, so a kill there leaves nothing), then
one transaction creates the evidence row, every record, and one audit entry with the
counts. A file whose hash was imported before adds nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.domain.errors import UserError
from evidence_app.domain.identifiers import mmsi_flag_hint
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.ingest.ais import read_ais_file, read_ais_file_in_child
from evidence_app.ingest.events import EventRecord, VesselRef, read_events
from evidence_app.ingest.parsed import (
    REASONS,
    IdentityAccumulator,
    IdentitySpan,
    Tally,
    ais_ship_type,
)
from evidence_app.ingest.registry import VesselRecord, read_vessels
from evidence_app.ingest.sources import members
from evidence_app.services import evidence as evidence_svc
from evidence_app.services.context import Context, leaves_no_unused_objects
from evidence_app.services.record_edits import resolve
from evidence_app.storage import audit
from evidence_app.storage.bulk import PositionWriter, bulk_positions
from evidence_app.storage.models import (
    AisPosition,
    Case,
    Designation,
    Evidence,
    Incident,
    IncidentEvidence,
    Participant,
    Vessel,
    VesselIdentity,
    new_id,
)
from evidence_app.storage.objects import StoredObject

# Bytes per MarineCadastre row, roughly: to turn a file size into an expected row count.
BYTES_PER_ROW = 110
# Files at least this large are read in a child process (starting one costs about half a second).
CHILD_READER_BYTES = 64 * 1024 * 1024
IMPORT_META_KEY = "import"
TEXT_PROBLEMS = 10  # problems listed in the text report; the JSON report keeps the tally's 50


@dataclass
class ImportReport:
    """What an import did: read = sum(imported) + sum(skipped); the first problems verbatim."""

    kind: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    imported: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    evidence_ids: list[str] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # vessels, identities, designations, incidents
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_tally(cls, kind: str, tally: Tally) -> ImportReport:
        return cls(
            kind=kind,
            read=tally.read,
            imported=dict(sorted(tally.accepted.items())),
            skipped=tally.skipped,
            problems=[str(p) for p in tally.problems],
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}

    def text(self) -> str:
        lines = [f"{self.kind} import: {', '.join(self.files)}"]
        for name in self.already_imported:
            lines.append(f"  {name}: imported before (same SHA-256): nothing added")
        lines.append(f"  read      {self.read}")
        lines.append(f"  imported  {sum(self.imported.values())}")
        for reason, n in self.imported.items():
            lines.append(f"    {n:>8}  {REASONS.get(reason, reason)}")
        lines.append(f"  skipped   {sum(self.skipped.values())}")
        for reason, n in self.skipped.items():
            lines.append(f"    {n:>8}  {reason}: {REASONS.get(reason, reason)}")
        for what, n in self.created.items():
            lines.append(f"  new {what}: {n}")
        if self.problems:
            shown = self.problems[:TEXT_PROBLEMS]
            lines.append(
                f"  first {len(shown)} problems{' (more with --json)' if len(self.problems) > len(shown) else ''}:"
            )
            lines.extend(f"    {p}" for p in shown)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _store_files(ctx: Context, paths: Sequence[Path], progress: Progress, cancel: CancelToken) -> list[StoredObject]:
    """Copy each file into the object store (outside any transaction: idempotent, inert)."""
    for path in paths:
        if not path.is_file():
            raise UserError("file not found", location=str(path))
    stored = []
    for index, path in enumerate(paths):
        cancel.raise_if_cancelled()

        def step(done: int, total: int | None, _m: str = "", i: int = index, name: str = path.name) -> None:
            progress(done, total, f"storing {i + 1}/{len(paths)} {name}")

        stored.append(ctx.store.objects.put_file(path, progress=step, cancel=cancel))
    return stored


def _evidence_for(
    session: Session, ctx: Context, obj: StoredObject, original: Path, kind: str, report: ImportReport
) -> Evidence | None:
    """The evidence row for a stored file, or None if this file was already imported."""
    evidence, _created = evidence_svc.record_stored(session, ctx, obj, original, kind=kind)
    if (evidence.meta or {}).get(IMPORT_META_KEY):
        report.already_imported.append(original.name)
        return None
    report.evidence_ids.append(evidence.id)
    return evidence


def _mark_imported(evidence: Evidence, report: ImportReport, tally: Tally, **extra: Any) -> None:
    evidence.meta = {
        **(evidence.meta or {}),
        IMPORT_META_KEY: {
            "kind": report.kind,
            "read": tally.read,
            "imported": tally.accepted,
            "skipped": tally.skipped,
            "at": datetime.now(UTC).isoformat(),
            **extra,
        },
    }


def _audit_import(session: Session, ctx: Context, report: ImportReport, entity_id: str, **extra: Any) -> None:
    audit.record(
        session,
        ctx.actor,
        f"import.{report.kind}",
        "evidence",
        entity_id,
        {
            "files": report.files,
            "evidence_ids": report.evidence_ids,
            "already_imported": report.already_imported,
            "read": report.read,
            "imported": report.imported,
            "skipped": report.skipped,
            "created": report.created,
            **extra,
        },
    )


# ---------------------------------------------------------------------------- AIS


@leaves_no_unused_objects
def import_ais(
    ctx: Context,
    paths: Sequence[str | os.PathLike[str]],
    *,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    base_time: datetime | None = None,
    day_first: bool = True,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ImportReport:
    """Import AIS files: positions into ais_positions, static data into identity history.

    All files land in one transaction, or none does.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise UserError("no AIS files to import")
    base_ts = int(base_time.timestamp()) if base_time is not None else None
    stored = _store_files(ctx, files, progress, cancel)
    report = ImportReport(kind="ais", files=[f.name for f in files])
    total = ImportReport(kind="ais")
    tally_all = Tally()
    with ctx.store.write() as session:
        for original, obj in zip(files, stored, strict=True):
            evidence = _evidence_for(session, ctx, obj, original, "ais", report)
            if evidence is None:
                continue
            tally, identities = Tally(), IdentityAccumulator()
            expected = max(obj.size // BYTES_PER_ROW, 1)
            writer = PositionWriter(session, evidence.id)
            # A large file is read in a child process while this one writes (two cores at work).
            reader = read_ais_file_in_child if obj.size >= CHILD_READER_BYTES else read_ais_file
            batches = reader(obj.path, tally, identities, fmt, mapping, base_ts, day_first, display=original.name)
            with bulk_positions(session, expected), closing(batches):
                for chunk in batches:
                    cancel.raise_if_cancelled()
                    writer.write_columns(chunk.columns)
                    progress(writer.rows, max(expected, writer.rows), f"{original.name}: {writer.rows:,} positions")
            created = _apply_identities(session, identities.spans(), evidence, original.name)
            for key, n in created.items():
                total.created[key] = total.created.get(key, 0) + n
            track = (
                {"first_ts": writer.first_ts, "last_ts": writer.last_ts, "vessels": len(writer.mmsis)}
                if writer.rows
                else {}
            )
            if track:
                evidence.capture_time = datetime.fromtimestamp(track["first_ts"], UTC)
            _mark_imported(evidence, report, tally, positions=writer.rows, **track)
            tally_all.merge(tally)
        merged = ImportReport.from_tally("ais", tally_all)
        report.read, report.imported, report.skipped, report.problems = (
            merged.read,
            merged.imported,
            merged.skipped,
            merged.problems,
        )
        report.created = total.created
        _audit_import(session, ctx, report, report.evidence_ids[0] if report.evidence_ids else "-")
    progress(1, 1, "imported")
    return report


def _apply_identities(session: Session, spans: list[IdentitySpan], evidence: Evidence, source: str) -> dict[str, int]:
    """Fold identity spans into Vessel and VesselIdentity rows (first/last seen widened)."""
    created = {"vessels": 0, "identities": 0}
    if not spans:
        return created
    mmsis = sorted({s.mmsi for s in spans})
    imos = sorted({s.imo for s in spans if s.imo})
    by_mmsi: dict[int, Vessel] = {}
    by_imo: dict[int, Vessel] = {}
    for i in range(0, max(len(mmsis), len(imos)), 500):
        for vessel in session.scalars(select(Vessel).where(Vessel.mmsi.in_(mmsis[i : i + 500]))):
            by_mmsi.setdefault(vessel.mmsi, vessel)
        for vessel in session.scalars(select(Vessel).where(Vessel.imo.in_(imos[i : i + 500]))):
            by_imo[vessel.imo] = vessel
    known: dict[tuple[str, str, int | None, int | None, str], VesselIdentity] = {}
    vessel_ids = [v.id for v in {*by_mmsi.values(), *by_imo.values()}]
    for i in range(0, len(vessel_ids), 500):
        for ident in session.scalars(
            select(VesselIdentity).where(VesselIdentity.vessel_id.in_(vessel_ids[i : i + 500]))
        ):
            known[(ident.vessel_id, ident.name, ident.mmsi, ident.imo, ident.call_sign)] = ident
    for span in spans:
        vessel = (by_imo.get(span.imo) if span.imo else None) or by_mmsi.get(span.mmsi)
        flag = mmsi_flag_hint(span.mmsi) or ""
        first = datetime.fromtimestamp(span.first_seen, UTC)
        last = datetime.fromtimestamp(span.last_seen, UTC)
        if vessel is None:
            # The id is set here so identities can refer to it without a flush per vessel.
            vessel = Vessel(
                id=new_id(),
                imo=span.imo,
                mmsi=span.mmsi,
                name=span.name,
                flag=flag,
                call_sign=span.call_sign,
                vessel_type=ais_ship_type(span.vessel_type),
                length_m=span.length_m,
                beam_m=span.beam_m,
            )
            session.add(vessel)
            created["vessels"] += 1
        else:
            # Fill what the vessel lacks; never overwrite the analyst's assessed values.
            for attr, value in (
                ("imo", span.imo),
                ("mmsi", span.mmsi),
                ("name", span.name),
                ("call_sign", span.call_sign),
                ("vessel_type", ais_ship_type(span.vessel_type)),
                ("length_m", span.length_m),
                ("beam_m", span.beam_m),
                ("flag", flag),
            ):
                if value and not getattr(vessel, attr):
                    if attr == "imo" and value in by_imo:
                        continue  # another vessel holds this IMO: leave it to the analyst
                    setattr(vessel, attr, value)
        if span.imo:
            by_imo[span.imo] = vessel
        by_mmsi.setdefault(span.mmsi, vessel)
        key = (vessel.id, span.name, span.mmsi, span.imo, span.call_sign)
        ident = known.get(key)
        if ident is None:
            ident = VesselIdentity(
                vessel_id=vessel.id,
                name=span.name,
                flag=flag,
                mmsi=span.mmsi,
                imo=span.imo,
                call_sign=span.call_sign,
                first_seen=first,
                last_seen=last,
                source=source,
                evidence_id=evidence.id,
            )
            session.add(ident)
            known[key] = ident
            created["identities"] += 1
        else:
            if ident.first_seen is None or first < ident.first_seen:
                ident.first_seen = first
            if ident.last_seen is None or last > ident.last_seen:
                ident.last_seen = last
    session.flush()
    return created


def vessel_track(ctx: Context, mmsi: int, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """Positions of one MMSI in [start, end], oldest first: (ts, lat, lon, sog, cog, heading, nav_status).

    Uses the (mmsi, ts) index; ts is UTC epoch seconds.
    """
    with ctx.store.read() as session:
        return track_rows(session, mmsi, int(start.timestamp()), int(end.timestamp()))


def track_rows(session: Session, mmsi: int, start_ts: int, end_ts: int) -> list[tuple[Any, ...]]:
    t = AisPosition.__table__.c
    query = (
        select(t.ts, t.lat, t.lon, t.sog, t.cog, t.heading, t.nav_status)
        .where(t.mmsi == mmsi, t.ts >= start_ts, t.ts <= end_ts)
        .order_by(t.ts)
    )
    return [tuple(row) for row in session.execute(query)]


# ---------------------------------------------------------------------------- vessels


@leaves_no_unused_objects
def import_vessels(
    ctx: Context,
    path: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    mapping: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ImportReport:
    """Import a vessel registry (CSV, JSON or the OFAC SDN CSV) into vessels and designations."""
    original = Path(path)
    (obj,) = _store_files(ctx, [original], progress, cancel)
    tally = Tally()
    records: list[VesselRecord] = []
    for member in members(obj.path, original.name):
        records.extend(read_vessels(member, tally, fmt, mapping))
    cancel.raise_if_cancelled()
    report = ImportReport.from_tally("vessels", tally)
    report.files = [original.name]
    with ctx.store.write() as session:
        evidence = _evidence_for(session, ctx, obj, original, "vessel-record", report)
        if evidence is None:
            return _nothing_added(report)
        report.created = _apply_vessels(session, records, evidence, original.name)
        _mark_imported(evidence, report, tally)
        _audit_import(session, ctx, report, evidence.id)
    return report


def _nothing_added(report: ImportReport) -> ImportReport:
    report.notes.append("this file was imported before (same SHA-256); nothing was added")
    report.imported, report.skipped, report.problems, report.read = {}, {}, [], 0
    return report


def _apply_vessels(session: Session, records: list[VesselRecord], evidence: Evidence, source: str) -> dict[str, int]:
    created = {"vessels": 0, "identities": 0, "designations": 0}
    now = datetime.now(UTC)
    for rec in records:
        vessel = session.scalar(select(Vessel).where(Vessel.imo == rec.imo)) if rec.imo else None
        if vessel is None and rec.mmsi:
            # By MMSI only a hull that has no other IMO number: MMSIs are reused, and a second
            # IMO under one MMSI is a second hull, not a value to drop.
            query = select(Vessel).where(Vessel.mmsi == rec.mmsi)
            if rec.imo:
                query = query.where(Vessel.imo.is_(None))
            vessel = session.scalars(query).first()
        values = {
            "imo": rec.imo,
            "mmsi": rec.mmsi,
            "name": rec.name,
            "flag": rec.flag or (mmsi_flag_hint(rec.mmsi) or "" if rec.mmsi else ""),
            "vessel_type": rec.vessel_type,
            "length_m": rec.length_m,
            "beam_m": rec.beam_m,
            "gross_tonnage": rec.gross_tonnage,
            "owner": rec.owner,
            "call_sign": rec.call_sign,
        }
        if vessel is None:
            vessel = Vessel(
                **{
                    k: (
                        v
                        if v is not None
                        else (None if k in ("imo", "mmsi", "length_m", "beam_m", "gross_tonnage") else "")
                    )
                    for k, v in values.items()
                }
            )
            session.add(vessel)
            session.flush()
            created["vessels"] += 1
        else:
            for attr, value in values.items():
                if value and not getattr(vessel, attr):
                    setattr(vessel, attr, value)
        if rec.name or rec.flag or rec.call_sign:
            exists = session.scalar(
                select(VesselIdentity.id).where(
                    VesselIdentity.vessel_id == vessel.id,
                    VesselIdentity.name == rec.name,
                    VesselIdentity.flag == rec.flag,
                    VesselIdentity.source == source,
                )
            )
            if exists is None:
                session.add(
                    VesselIdentity(
                        vessel_id=vessel.id,
                        name=rec.name,
                        flag=rec.flag,
                        mmsi=rec.mmsi,
                        imo=rec.imo,
                        call_sign=rec.call_sign,
                        first_seen=None,
                        last_seen=now,
                        source=source,
                        evidence_id=evidence.id,
                    )
                )
                created["identities"] += 1
        if rec.designation is not None:
            d = rec.designation
            exists = session.scalar(
                select(Designation.id).where(
                    Designation.vessel_id == vessel.id,
                    Designation.authority == d.authority,
                    Designation.reference == d.reference,
                )
            )
            if exists is None:
                session.add(
                    Designation(
                        vessel_id=vessel.id,
                        authority=d.authority,
                        program=d.program,
                        reference=d.reference,
                        remarks=d.remarks,
                        listed_on=d.listed_on,
                        evidence_id=evidence.id,
                    )
                )
                created["designations"] += 1
    session.flush()
    return created


# ---------------------------------------------------------------------------- incidents


@leaves_no_unused_objects
def import_incidents(
    ctx: Context,
    path: str | os.PathLike[str],
    case_id: str,
    *,
    mapping: Mapping[str, str] | None = None,
    day_first: bool = True,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> ImportReport:
    """Turn a CSV/GeoJSON of detected encounters into suspected incidents in a case."""
    original = Path(path)
    with ctx.store.read() as session:
        case_id = resolve(session, Case, case_id, "case").id
    (obj,) = _store_files(ctx, [original], progress, cancel)
    tally = Tally()
    events: list[EventRecord] = []
    for member in members(obj.path, original.name):
        events.extend(read_events(member, tally, mapping, day_first))
    cancel.raise_if_cancelled()
    report = ImportReport.from_tally("incidents", tally)
    report.files = [original.name]
    with ctx.store.write() as session:
        evidence = _evidence_for(session, ctx, obj, original, "document", report)
        if evidence is None:
            return _nothing_added(report)
        report.created = _apply_events(session, events, case_id, evidence, original.name)
        _mark_imported(evidence, report, tally, case_id=case_id)
        _audit_import(session, ctx, report, evidence.id, case_id=case_id)
    return report


def _vessel_for_ref(session: Session, ref: VesselRef, created: dict[str, int]) -> Vessel:
    vessel = None
    if ref.imo:
        vessel = session.scalar(select(Vessel).where(Vessel.imo == ref.imo))
    elif ref.mmsi:
        # A malformed MMSI matches only the same digits as given, never a padded nine-digit one.
        as_given = ref.mmsi_as_given or None
        same = Vessel.mmsi_as_given == as_given if as_given else Vessel.mmsi_as_given.is_(None)
        vessel = session.scalars(select(Vessel).where(Vessel.mmsi == ref.mmsi, same)).first()
    elif ref.name:
        vessel = session.scalars(select(Vessel).where(Vessel.name == ref.name)).first()
    if vessel is None:
        vessel = Vessel(
            imo=ref.imo,
            mmsi=ref.mmsi,
            name=ref.name,
            mmsi_as_given=ref.mmsi_as_given or None,
            flag=(mmsi_flag_hint(ref.mmsi) or "") if ref.mmsi and not ref.mmsi_as_given else "",
        )
        session.add(vessel)
        session.flush()
        created["vessels"] += 1
    elif ref.name and not vessel.name:
        vessel.name = ref.name
    return vessel


def _apply_events(
    session: Session, events: list[EventRecord], case_id: str, evidence: Evidence, source: str
) -> dict[str, int]:
    created = {"incidents": 0, "vessels": 0}
    for event in events:
        metrics: dict[str, Any] = dict(event.metrics)
        incident = Incident(
            case_id=case_id,
            title=event.title_text()[:300],
            start_utc=event.start,
            end_utc=event.end,
            lat=event.lat,
            lon=event.lon,
            position_method=f"imported from {source}"[:80],
            # GFW's encounter distance is how far apart the two hulls were around the
            # mean position: the placement's uncertainty.
            radius_m=round(metrics["distance_m"], 1) if metrics.get("distance_m") else None,
            status="suspected",
            evidence_count=1,
            metrics=metrics or None,
            assessment=f"Imported from {source} line {event.line}"
            + (f", reference {event.reference}" if event.reference else ""),
        )
        session.add(incident)
        session.flush()
        seen: set[str] = set()
        for ref in (event.vessel_a, event.vessel_b):
            if ref is None:
                continue
            vessel = _vessel_for_ref(session, ref, created)
            if vessel.id in seen:
                continue
            seen.add(vessel.id)
            session.add(
                Participant(
                    incident_id=incident.id,
                    vessel_id=vessel.id,
                    role="unknown",
                    claimed_mmsi=ref.mmsi,
                    claimed_imo=ref.imo,
                    claimed_name=ref.name,
                )
            )
        session.add(
            IncidentEvidence(
                incident_id=incident.id, evidence_id=evidence.id, relation="supports", note=f"line {event.line}"
            )
        )
        created["incidents"] += 1
    session.flush()
    return created
