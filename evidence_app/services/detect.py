"""Detections over the stored AIS positions, and turning chosen detections into suspected incidents.

Reading: positions are read per batch of MMSIs through the (mmsi, ts) index, straight
into numpy columns (about 40 bytes per position held), with progress and cancel between
batches. A window is widened by a margin on both sides so that a silence or an
encounter crossing its edge is seen whole; detections are then kept if they overlap
the window, lie in the box, and involve the chosen vessels.

Writing: ``create_incidents_from_detections`` makes one suspected incident per detection
in one audited transaction. Each gets a derived evidence item, a JSON detection report
(deterministic bytes, so the same finding is stored once) whose ``meta["detection"]``
holds the parameters, plus links to the AIS files the positions came from. A detection
that matches an incident already in the case (same vessels, overlapping window) is
reported as such and not added again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence_app import __version__
from evidence_app.analysis.detection import Detection
from evidence_app.analysis.encounters import EncounterParams, detect_encounters
from evidence_app.analysis.gaps import GapParams, detect_gaps
from evidence_app.analysis.identity import (
    IdentityRecord,
    SpoofingParams,
    detect_jumps,
    identity_changes,
)
from evidence_app.analysis.loitering import LoiteringParams, detect_loitering
from evidence_app.analysis.places import Exclusion, Zone
from evidence_app.analysis.tracks import Tracks, prepare_tracks
from evidence_app.domain.errors import NotFound, ValidationError
from evidence_app.domain.identifiers import mmsi_flag_hint, parse_vessel_ref
from evidence_app.domain.limits import check_detection_parameter
from evidence_app.domain.progress import NEVER_CANCELLED, CancelToken, Progress, no_progress
from evidence_app.domain.timeparse import iso_utc
from evidence_app.services import evidence as evidence_svc
from evidence_app.services.context import Context
from evidence_app.services.record_edits import resolve, snapshot
from evidence_app.services.vessels import find_vessel
from evidence_app.storage import audit
from evidence_app.storage.models import (
    AisPosition,
    Case,
    Evidence,
    Incident,
    Participant,
    Vessel,
    VesselIdentity,
)

KINDS = ("encounters", "gaps", "loitering", "identity")
PARAMS_TYPES: dict[str, type] = {
    "encounters": EncounterParams,
    "gaps": GapParams,
    "loitering": LoiteringParams,
    "identity": SpoofingParams,
}
POSITION_METHOD = {
    "encounter": "AIS encounter detection",
    "loitering": "AIS loitering detection",
    "gap": "AIS gap detection",
    "spoofing": "AIS identity check (position jumps)",
}
REPORT_FORMAT = "evidence-review/detection-report/1"
POSITIONS = AisPosition.__table__


@dataclass
class DetectionRun:
    """The outcome of one run: detections plus what they rest on (data read, settings, window)."""

    kind: str
    detections: list[Detection]
    query: dict[str, Any]
    parameters: dict[str, Any]
    positions: int = 0
    vessels: int = 0
    cleaning: dict[str, int] = field(default_factory=dict)
    excluded: list[Exclusion] = field(default_factory=list)  # candidates a place rule removed, with the reason

    def excluded_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.excluded:
            counts[e.reason] = counts.get(e.reason, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "query": self.query,
            "parameters": self.parameters,
            "positions": self.positions,
            "vessels": self.vessels,
            "cleaning": self.cleaning,
            "detections": [d.as_dict() for d in self.detections],
            "excluded_counts": self.excluded_counts(),
            "excluded": [e.as_dict() for e in self.excluded],
        }


@dataclass
class IncidentCreation:
    """What ``create_incidents_from_detections`` did, per detection in input order."""

    created: list[str] = field(default_factory=list)  # new incident ids
    existing: list[dict[str, Any]] = field(default_factory=list)  # {"index", "incident_id", "title"}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"index", "reason"}
    vessels_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------- reading


def _ts(value: datetime | None, default: int) -> int:
    if value is None:
        return default
    if value.tzinfo is None:
        raise ValidationError("times must carry a time zone (UTC)", field="since")
    return int(value.timestamp())


def _in_box(lat: Any, lon: Any, bbox: tuple[float, float, float, float]) -> Any:
    west, south, east, north = bbox
    lat_ok = (lat >= south) & (lat <= north)
    lon_ok = (lon >= west) & (lon <= east) if west <= east else (lon >= west) | (lon <= east)
    return lat_ok & lon_ok


def vessel_mmsis(session: Session, refs: Sequence[str]) -> set[int]:
    """The MMSIs a user's vessel references stand for: the vessel's own and every one it used."""
    out: set[int] = set()
    for ref in refs:
        try:
            vessel = find_vessel(session, ref)
        except NotFound:
            kind, value = parse_vessel_ref(ref)
            if kind == "mmsi":
                out.add(int(value))  # positions may exist for an MMSI no vessel record names yet
                continue
            raise
        if vessel.mmsi:
            out.add(vessel.mmsi)
        out.update(
            m for m in session.scalars(select(VesselIdentity.mmsi).where(VesselIdentity.vessel_id == vessel.id)) if m
        )
    return out


def load_tracks(
    session: Session,
    start_ts: int,
    end_ts: int,
    *,
    mmsis: set[int] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    clean: bool = True,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Tracks:
    """Positions in [start_ts, end_ts] as ``Tracks``; with ``bbox``, only vessels seen inside it.

    Read in bounded blocks straight into numpy (``storage.positions``), then sorted per
    vessel and time by ``prepare_tracks``.
    """
    import numpy as np

    from evidence_app.storage.bulk import stored_position_count
    from evidence_app.storage.positions import position_blocks

    expected = max(stored_position_count(session), 1)
    blocks: list[np.ndarray] = []
    read = 0
    for block in position_blocks(session, start_ts, end_ts, None if mmsis is None else sorted(mmsis)):
        cancel.raise_if_cancelled()
        blocks.append(block)
        read += block.shape[0]
        progress(min(read, expected), expected, f"reading positions: {read:,}")
    progress(expected, expected, f"{read:,} positions read")
    block = np.concatenate(blocks) if blocks else np.zeros((0, 5))
    del blocks
    if bbox is not None and block.shape[0]:
        inside = _in_box(block[:, 2], block[:, 3], bbox)
        seen = np.unique(block[inside, 0])
        block = block[np.isin(block[:, 0], seen)]
    return prepare_tracks(
        block[:, 0].astype(np.int64),
        block[:, 1].astype(np.int64),
        block[:, 2],
        block[:, 3],
        block[:, 4],
        dedupe=clean,
        drop_spikes=clean,
    )


def check_params(params: Any) -> None:
    """Refuse a setting outside its plausible range (``domain.limits.DETECTION_RANGES``), naming the range."""
    import dataclasses

    for f in dataclasses.fields(params):
        check_detection_parameter(f.name, getattr(params, f.name))


def _margin_s(kind: str, params: Any) -> int:
    hours = {
        "encounters": params.max_dark_hours + params.min_hours if kind == "encounters" else 0,
        "gaps": params.lookback_hours + 48 if kind == "gaps" else 0,
        "loitering": params.max_dark_hours + 24 if kind == "loitering" else 0,
        "identity": params.merge_hours if kind == "identity" else 0,
    }[kind]
    return int(hours * 3600)


def run_detection(
    ctx: Context,
    kind: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    vessels: Sequence[str] = (),
    params: Any = None,
    zones: Sequence[Zone] = (),
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> DetectionRun:
    """Run one detector over the store: ``kind`` is encounters, gaps, loitering or identity.

    ``zones`` are the analyst's exclusion zones (encounters and loitering); every candidate
    a place rule removed is in the run's ``excluded`` list with its reason.
    """
    if kind not in KINDS:
        raise ValidationError(f"unknown detection {kind!r}: expected one of {', '.join(KINDS)}", field="kind")
    params = params if params is not None else PARAMS_TYPES[kind]()
    if not isinstance(params, PARAMS_TYPES[kind]):
        raise ValidationError(
            f"{kind} takes {PARAMS_TYPES[kind].__name__}, not {type(params).__name__}", field="params"
        )
    check_params(params)
    start, end = _ts(since, 0), _ts(until, 1 << 40)
    if end < start:
        raise ValidationError(f"until {iso_utc(until)} is before since {iso_utc(since)}", field="until")  # type: ignore[arg-type]
    margin = _margin_s(kind, params)
    with ctx.store.read() as session:
        chosen = vessel_mmsis(session, vessels) if vessels else None
        # Encounters need every counterpart; the other detectors read only the chosen vessels.
        read_for = None if kind == "encounters" else chosen
        tracks = load_tracks(
            session,
            max(start - margin, 0),
            end + margin,
            mmsis=read_for,
            bbox=bbox,
            clean=kind != "identity",
            progress=progress,
            cancel=cancel,
        )
        identities = _identity_records(session, chosen) if kind == "identity" else []
    found: list[Detection]
    excluded: list[Exclusion] = []
    if kind == "encounters":
        found = detect_encounters(
            tracks, params, progress=progress, cancel=cancel, zones=list(zones), excluded=excluded
        )
    elif kind == "gaps":
        found = detect_gaps(tracks, params, progress=progress, cancel=cancel)
    elif kind == "loitering":
        found = detect_loitering(tracks, params, progress=progress, cancel=cancel, zones=list(zones), excluded=excluded)
    else:
        found = detect_jumps(tracks, params, cancel=cancel) + identity_changes(identities)
    kept = [d for d in found if _wanted(d, start, end, bbox, chosen)]
    kept.sort(key=lambda d: (d.start_ts, d.kind, d.mmsis))
    left_out = [e for e in excluded if _wanted(e.detection, start, end, bbox, chosen)]
    left_out.sort(key=lambda e: (e.detection.start_ts, e.detection.mmsis))
    query = {
        "since": iso_utc(since) if since else None,
        "until": iso_utc(until) if until else None,
        "bbox": list(bbox) if bbox else None,
        "vessels": list(vessels),
        "margin_hours": margin / 3600,
        "exclusion_zones": [z.as_dict() for z in zones],
    }
    return DetectionRun(
        kind=kind,
        detections=kept,
        query=query,
        parameters=params.as_dict(),
        positions=len(tracks),
        vessels=int(tracks.vessels.size),
        cleaning=tracks.clean.as_dict(),
        excluded=left_out,
    )


def _wanted(
    d: Detection, start: int, end: int, bbox: tuple[float, float, float, float] | None, chosen: set[int] | None
) -> bool:
    if not d.overlaps(start, end):
        return False
    if chosen is not None and not chosen.intersection(d.mmsis):
        return False
    if bbox is not None and d.lat is not None:
        points = [(d.lat, d.lon)]
        if "end_lat" in d.metrics:
            points.append((d.metrics["end_lat"], d.metrics["end_lon"]))
        return any(bool(_in_box(la, lo, bbox)) for la, lo in points)
    return True


def _identity_records(session: Session, mmsis: set[int] | None) -> list[IdentityRecord]:
    query = select(VesselIdentity)
    if mmsis is not None:
        owners = select(VesselIdentity.vessel_id).where(VesselIdentity.mmsi.in_(sorted(mmsis)))
        query = query.where(VesselIdentity.vessel_id.in_(owners))

    def ts(value: datetime | None) -> int | None:
        return None if value is None else int(value.timestamp())

    return [
        IdentityRecord(
            vessel=r.vessel_id,
            name=r.name,
            flag=r.flag,
            mmsi=r.mmsi,
            imo=r.imo,
            call_sign=r.call_sign,
            first_seen=ts(r.first_seen),
            last_seen=ts(r.last_seen),
            source=r.source,
        )
        for r in session.scalars(query)
    ]


# ------------------------------------------------------------------------- writing


def _vessel_for_mmsi(session: Session, ctx: Context, mmsi: int, result: IncidentCreation) -> Vessel:
    vessel = session.scalars(select(Vessel).where(Vessel.mmsi == mmsi).order_by(Vessel.created_at)).first()
    if vessel is None:
        owner = session.scalars(select(VesselIdentity.vessel_id).where(VesselIdentity.mmsi == mmsi)).first()
        vessel = session.get(Vessel, owner) if owner else None
    if vessel is None:
        vessel = Vessel(mmsi=mmsi, flag=mmsi_flag_hint(mmsi) or "")
        session.add(vessel)
        session.flush()
        audit.record(session, ctx.actor, "vessel.create", "vessel", vessel.id, snapshot(vessel))
        result.vessels_created += 1
    return vessel


def _existing_incident(
    session: Session, case_id: str, vessel_ids: set[str], det: Detection, method: str
) -> Incident | None:
    start, end = det.start, det.end
    candidates = session.scalars(
        select(Incident).where(
            Incident.case_id == case_id,
            Incident.start_utc <= end,
            func.coalesce(Incident.end_utc, Incident.start_utc) >= start,
        )
    )
    for incident in candidates:
        if {p.vessel_id for p in incident.participants} != vessel_ids:
            continue
        # Two vessels meeting at the same time are the same event whoever recorded it;
        # one vessel's gap and its loitering are different findings.
        if len(vessel_ids) >= 2 or incident.position_method == method:
            return incident
    return None


def _source_evidence(session: Session, det: Detection) -> list[Evidence]:
    c = POSITIONS.c
    ids = session.scalars(
        select(c.evidence_id).distinct().where(c.mmsi.in_(list(det.mmsis)), c.ts >= det.start_ts, c.ts <= det.end_ts)
    )
    id_list = sorted(set(ids))
    if not id_list:  # a silence has no positions inside it: take the reports that bound it
        id_list = sorted(
            set(
                session.scalars(
                    select(c.evidence_id)
                    .distinct()
                    .where(c.mmsi.in_(list(det.mmsis)), c.ts.in_([det.start_ts, det.end_ts]))
                )
            )
        )
    return [e for e in (session.get(Evidence, i) for i in id_list) if e is not None]


def _indicators(session: Session, det: Detection, ais_off_hours: float) -> tuple[list[str], dict[str, Any]]:
    """Indicators the AIS record itself supports, and the rules that gave them (recorded in the report)."""
    loiter_rule = LoiteringParams(min_shore_m=0, port_radius_m=0)  # loitering anywhere counts as an indicator
    rules = {"ais_off_hours": ais_off_hours, "gap": GapParams().as_dict(), "loitering": loiter_rule.as_dict()}
    found: set[str] = set()
    if det.kind == "gap":
        found.add("ais_off")
    if det.kind == "loitering":
        found.add("loitering")
    if det.kind == "encounter":
        silences = det.metrics.get("max_silence_hours", {})
        if any(float(h) >= ais_off_hours for h in silences.values()):
            found.add("ais_off")
        day = 24 * 3600
        tracks = load_tracks(session, det.start_ts - day, det.end_ts + day, mmsis=set(det.mmsis))
        if any(g.overlaps(det.start_ts, det.end_ts) for g in detect_gaps(tracks)):
            found.add("ais_off")
        if any(lo.overlaps(det.start_ts, det.end_ts) for lo in detect_loitering(tracks, loiter_rule)):
            found.add("loitering")
    return sorted(found), rules


def _name(vessel: Vessel, mmsi: int) -> str:
    return vessel.name or f"MMSI {mmsi}"


def _title(det: Detection, names: list[str]) -> str:
    if det.kind == "encounter":
        return f"Encounter {' / '.join(names)} ({det.hours:.1f} h)"
    if det.kind == "loitering":
        return f"Loitering {names[0]} ({det.hours:.1f} h)"
    if det.kind == "gap":
        return f"AIS gap {names[0]} ({det.hours:.1f} h)"
    return f"Position jumps {names[0]}"


def _radius(det: Detection) -> float | None:
    if det.kind == "encounter":
        return max(float(det.metrics.get("min_distance_m", 0.0)), 50.0)  # AIS positions are good to tens of metres
    if det.kind == "loitering":
        return max(float(det.metrics.get("radius_m", 0.0)), 50.0)
    return None


def _assessment(det: Detection) -> str:
    m = det.metrics
    if det.kind == "encounter":
        speeds = ", ".join(f"{k}: {v} kn" for k, v in m.get("median_speed_kn", {}).items())
        return (
            f"Detected automatically: closest approach {m.get('min_distance_m')} m, median separation "
            f"{m.get('median_distance_m')} m for {m.get('duration_hours')} h; median speeds {speeds}."
        )
    if det.kind == "gap":
        return (
            f"Detected automatically: no AIS report for {m.get('gap_hours')} h after {m.get('reports_before')} "
            f"reports; reappeared {m.get('distance_m')} m away ({m.get('implied_speed_kn')} kn implied)."
        )
    if det.kind == "loitering":
        return (
            f"Detected automatically: below the speed limit for {m.get('duration_hours')} h within "
            f"{m.get('radius_m')} m, median {m.get('median_speed_kn')} kn."
        )
    return f"Detected automatically: {m.get('jumps')} implausible position jumps, up to {m.get('max_distance_m')} m."


def report_bytes(det: Detection, sources: list[Evidence], indicators: list[str], rules: dict[str, Any]) -> bytes:
    """The detection report as canonical JSON: the same finding from the same data gives the same bytes."""
    doc = {
        "format": REPORT_FORMAT,
        "software": f"Evidence Review {__version__}",
        "detection": det.as_dict(),
        "source_evidence": [{"id": e.id, "sha256": e.sha256, "name": e.original_name} for e in sources],
        "indicators": indicators,
        "indicator_rules": rules,
    }
    return (json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def create_incidents_from_detections(
    ctx: Context,
    case_id: str,
    detections: Sequence[Detection],
    *,
    ais_off_hours: float = 1.0,
    progress: Progress = no_progress,
    cancel: CancelToken = NEVER_CANCELLED,
) -> IncidentCreation:
    """One suspected incident per detection (skipping those already in the case), in one transaction."""
    result = IncidentCreation()
    with tempfile.TemporaryDirectory(prefix="evidence-detect-") as tmp, ctx.store.write() as session:
        case = resolve(session, Case, case_id, "case")
        for index, det in enumerate(detections):
            cancel.raise_if_cancelled()
            progress(index, len(detections), f"incident {index + 1} of {len(detections)}")
            method = POSITION_METHOD.get(det.kind)
            if method is None or det.lat is None or det.lon is None or not det.mmsis:
                result.skipped.append(
                    {"index": index, "reason": f"a {det.kind} detection has no place and time to become an incident"}
                )
                continue
            vessels = [_vessel_for_mmsi(session, ctx, m, result) for m in det.mmsis]
            vessel_ids = {v.id for v in vessels}
            existing = _existing_incident(session, case.id, vessel_ids, det, method)
            if existing is not None:
                result.existing.append({"index": index, "incident_id": existing.id, "title": existing.title})
                continue
            sources = _source_evidence(session, det)
            indicators, rules = _indicators(session, det, ais_off_hours)
            names = [_name(v, m) for v, m in zip(vessels, det.mmsis, strict=True)]
            path = (
                Path(tmp)
                / f"detection-{det.kind}-{'-'.join(map(str, det.mmsis))}-{det.start.strftime('%Y%m%dT%H%M%SZ')}.json"
            )
            path.write_bytes(report_bytes(det, sources, indicators, rules))
            report = evidence_svc.add_file(
                session,
                ctx,
                path,
                kind="document",
                source="Evidence Review detection",
                provider="Evidence Review",
                capture_time=det.start,
                lat=det.lat,
                lon=det.lon,
                derived_from_id=sources[0].id if sources else None,
            )
            report.meta = {
                **(report.meta or {}),
                "detection": det.parameters,
                "detection_result": {
                    "kind": det.kind,
                    "mmsis": list(det.mmsis),
                    "metrics": det.metrics,
                    "start": iso_utc(det.start),
                    "end": iso_utc(det.end),
                },
                "source_evidence_ids": [e.id for e in sources],
            }
            incident = Incident(
                case_id=case.id,
                title=_title(det, names)[:300],
                start_utc=det.start,
                end_utc=det.end,
                lat=round(det.lat, 6),
                lon=round(det.lon, 6),
                radius_m=_radius(det),
                position_method=method,
                indicators=indicators,
                status="suspected",
                assessment=_assessment(det),
            )
            session.add(incident)
            session.flush()
            payload = snapshot(incident)
            payload["participants"] = []
            for vessel, mmsi in zip(vessels, det.mmsis, strict=True):
                part = Participant(incident_id=incident.id, vessel_id=vessel.id, role="unknown", claimed_mmsi=mmsi)
                session.add(part)
                session.flush()
                payload["participants"].append({"id": part.id, "vessel_id": vessel.id, "role": "unknown"})
            audit.record(session, ctx.actor, "incident.create", "incident", incident.id, payload)
            evidence_svc.link(session, ctx, incident, report, note="detection report: parameters and measurements")
            for source in sources:
                evidence_svc.link(
                    session, ctx, incident, source, note=f"AIS positions used by the {det.kind} detection"
                )
            result.created.append(incident.id)
        audit.record(
            session,
            ctx.actor,
            "detection.create_incidents",
            "case",
            case.id,
            {
                "detections": len(detections),
                "created": result.created,
                "existing": result.existing,
                "skipped": result.skipped,
                "parameters": sorted({json.dumps(d.parameters, sort_keys=True) for d in detections}),
            },
        )
    progress(len(detections), len(detections), "incidents created")
    return result
