"""Incident commands: add, edit, participants, delete; every change checked, versioned and audited.

Queries (the filtered list, one incident in full) are in `services/incident_queries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence_app.casefile.record_dicts import bury
from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.domain.geo import validate_lat_lon
from evidence_app.domain.identifiers import validate_imo, validate_mmsi
from evidence_app.domain.incident import validate_indicators, validate_role
from evidence_app.domain.timeparse import iso_utc
from evidence_app.services.context import Context
from evidence_app.services.record_edits import (
    ANY_BASE,
    Changes,
    apply_changes,
    check_fields,
    check_version,
    conflicts_audited,
    resolve,
    saved_changes,
    snapshot,
)
from evidence_app.services.vessels import find_vessel
from evidence_app.storage import audit
from evidence_app.storage.models import (
    Case,
    Incident,
    IncidentEvidence,
    Participant,
    ReviewEvent,
    Vessel,
)
from evidence_app.storage.queries import incident_tag_names

EDITABLE = frozenset(
    {
        "title",
        "start_utc",
        "end_utc",
        "local_time_text",
        "lat",
        "lon",
        "radius_m",
        "position_method",
        "reported_location",
        "cargo_kind",
        "cargo_quantity",
        "cargo_unit",
        "indicators",
        "assessment",
    }
)


@dataclass(frozen=True)
class ParticipantSpec:
    """A vessel reference (IMO, MMSI, name or id) and its role, as a user gives them."""

    vessel_ref: str
    role: str = "unknown"

    @classmethod
    def parse(cls, text: str) -> ParticipantSpec:
        ref, sep, role = text.rpartition(":")
        if not sep:
            return cls(text.strip(), "unknown")
        return cls(ref.strip(), validate_role(role))


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if ("lat" in out) != ("lon" in out) and (out.get("lat") is not None or out.get("lon") is not None):
        pass  # one coordinate alone is allowed when editing; checked against the record below
    if out.get("lat") is not None and out.get("lon") is not None:
        validate_lat_lon(float(out["lat"]), float(out["lon"]))
    if "radius_m" in out:
        out["radius_m"] = limits.check_optional_number(out["radius_m"], limits.RADIUS_M, field="radius_m")
    if "cargo_quantity" in out:
        out["cargo_quantity"] = limits.check_optional_number(
            out["cargo_quantity"], limits.QUANTITY, field="cargo_quantity"
        )
    if "indicators" in out:
        out["indicators"] = validate_indicators(list(out["indicators"] or []))
    for key in ("start_utc", "end_utc"):
        value = out.get(key)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            raise ValidationError(f"{key} must be a UTC time", field=key)
        if value is not None:
            out[key] = limits.check_time(value, field=key)
    if "start_utc" in out and out["start_utc"] is None:
        raise ValidationError("an incident needs a start time", field="start_utc")
    for key in (
        "title",
        "local_time_text",
        "position_method",
        "reported_location",
        "cargo_kind",
        "cargo_unit",
        "assessment",
    ):
        if key in out:
            out[key] = (out[key] or "").strip()
            if key == "assessment":
                limits.check_text(out[key], field=key)
            else:
                limits.check_name(out[key], field=key)
    return out


def _check_window(start: datetime, end: datetime | None) -> None:
    if end is not None and end < start:
        raise ValidationError(f"end {iso_utc(end)} is before start {iso_utc(start)}", field="end_utc")


def add_incident(
    ctx: Context,
    case_id: str,
    *,
    start_utc: datetime,
    participants: list[ParticipantSpec] = (),  # type: ignore[assignment]
    incident_id: str | None = None,
    **fields: Any,
) -> Incident:
    """Add an incident; ``incident_id`` re-creates one under its old id (redo of an undone add)."""
    check_fields(fields, EDITABLE, "an incident")
    values = _validate({"start_utc": start_utc, **fields})
    _check_window(values["start_utc"], values.get("end_utc"))
    with ctx.store.write() as session:
        case = resolve(session, Case, case_id, "case")
        if incident_id is not None and session.get(Incident, incident_id) is not None:
            raise ValidationError(f"an incident with id {incident_id} already exists", field="id")
        incident = (
            Incident(case_id=case.id, **values)
            if incident_id is None
            else Incident(id=incident_id, case_id=case.id, **values)
        )
        session.add(incident)
        session.flush()
        payload = snapshot(incident)
        payload["participants"] = []
        for spec in participants:
            vessel = find_vessel(session, spec.vessel_ref)
            if any(p.vessel_id == vessel.id for p in incident.participants):
                raise ValidationError(f"vessel {spec.vessel_ref} is listed twice", field="participant")
            part = Participant(incident_id=incident.id, vessel_id=vessel.id, role=spec.role)
            incident.participants.append(part)
            session.flush()
            payload["participants"].append({"id": part.id, "vessel_id": vessel.id, "role": spec.role})
        audit.record(session, ctx.actor, "incident.create", "incident", incident.id, payload)
    return incident


def _normalised_base(base: dict[str, Any]) -> dict[str, Any]:
    """The values an edit started from, normalised as a save would store them (so they compare)."""
    try:
        return _validate(base)
    except ValidationError:
        return base


def update_incident(
    ctx: Context,
    incident_id: str,
    *,
    expected_version: int | None = None,
    base: dict[str, Any] = ANY_BASE,
    **fields: Any,
) -> Changes:
    """Edit fields; returns ``{field: [old, new]}`` (what an undo needs to put back) and the new version.

    ``expected_version`` (and ``base``, the values the edit started from) make a save
    against a record changed since a ``ConflictError``; see ``record_edits.check_version``.
    """
    check_fields(fields, EDITABLE, "an incident")
    values = _validate(fields)
    if base is not ANY_BASE:
        base = _normalised_base(base)
    with conflicts_audited(ctx, "incident.update"), ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        check_version(
            session,
            entity="incident",
            record_id=incident.id,
            label=incident.title or "untitled",
            current_version=incident.version,
            current={k: getattr(incident, k) for k in {*values, *(base if base is not ANY_BASE else {})}},
            wanted=values,
            expected_version=expected_version,
            base=base,
        )
        start = values.get("start_utc", incident.start_utc)
        end = values.get("end_utc", incident.end_utc)
        _check_window(start, end)
        lat = values.get("lat", incident.lat)
        lon = values.get("lon", incident.lon)
        if (lat is None) != (lon is None):
            raise ValidationError("a position needs both latitude and longitude", field="lat")
        if lat is not None:
            validate_lat_lon(lat, lon)
        diff = apply_changes(incident, values)
        if diff:
            audit.record(session, ctx.actor, "incident.update", "incident", incident.id, diff)
        return saved_changes(diff, incident.version)


def _validate_claimed(claimed: dict[str, Any]) -> dict[str, Any]:
    """Check a claimed identity like an assessed one: a claimed IMO must pass its check digit."""
    out = dict(claimed)
    for key, validate in (("claimed_imo", validate_imo), ("claimed_mmsi", validate_mmsi)):
        if key in out:
            out[key] = None if out[key] in (None, "") else validate(out[key], field=key)
    for key in ("claimed_name", "claimed_flag"):
        if key in out:
            out[key] = limits.check_name((out[key] or "").strip(), field=key)
    return out


PARTICIPANT_STATE = ("role", "claimed_name", "claimed_flag", "claimed_mmsi", "claimed_imo")


def _participant_state(part: Participant | None) -> dict[str, Any]:
    return {"participant": None if part is None else {k: getattr(part, k) for k in PARTICIPANT_STATE}}


def _check_participant(
    session: Session,
    incident: Incident,
    vessel: Vessel,
    part: Participant | None,
    wanted: dict[str, Any] | None,
    expected_version: int | None,
    base: dict[str, Any] | None | object,
) -> None:
    check_version(
        session,
        entity="incident",
        record_id=incident.id,
        label=incident.title or "untitled",
        current_version=incident.version,
        current=_participant_state(part),
        wanted={"participant": wanted},
        expected_version=expected_version,
        base=ANY_BASE if base is ANY_BASE else {"participant": base},
    )


def set_participant(
    ctx: Context,
    incident_id: str,
    vessel_ref: str,
    role: str = "unknown",
    *,
    expected_version: int | None = None,
    base: dict[str, Any] | None | object = ANY_BASE,
    **claimed: Any,
) -> Participant:
    """Add a vessel to an incident, or change its role and claimed identity.

    ``expected_version`` is the incident's version the edit was based on; ``base`` the
    participant's state it started from (None: absent).
    """
    allowed = {"claimed_name", "claimed_flag", "claimed_mmsi", "claimed_imo"}
    check_fields(claimed, allowed, "a participant")
    role = validate_role(role)
    claimed = _validate_claimed(claimed)
    with conflicts_audited(ctx, "participant.set"), ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        vessel = find_vessel(session, vessel_ref)
        part = session.scalar(
            select(Participant).where(Participant.incident_id == incident.id, Participant.vessel_id == vessel.id)
        )
        _check_participant(session, incident, vessel, part, {"role": role, **claimed}, expected_version, base)
        if part is None:
            part = Participant(incident_id=incident.id, vessel_id=vessel.id, role=role, **claimed)
            session.add(part)
            session.flush()
            audit.record(session, ctx.actor, "participant.add", "incident", incident.id, snapshot(part))
            incident.version += 1
        elif diff := apply_changes(part, {"role": role, **claimed}):
            audit.record(
                session, ctx.actor, "participant.update", "incident", incident.id, {"participant": part.id, **diff}
            )
            incident.version += 1
    return part


def remove_participant(
    ctx: Context,
    incident_id: str,
    vessel_ref: str,
    *,
    expected_version: int | None = None,
    base: dict[str, Any] | None | object = ANY_BASE,
) -> dict[str, Any]:
    with conflicts_audited(ctx, "participant.remove"), ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        vessel = find_vessel(session, vessel_ref)
        part = session.scalar(
            select(Participant).where(Participant.incident_id == incident.id, Participant.vessel_id == vessel.id)
        )
        _check_participant(session, incident, vessel, part, None, expected_version, base)
        if part is None:
            raise ValidationError(f"vessel {vessel_ref} takes no part in this incident", field="participant")
        before = snapshot(part)
        bury(session, "participant", part, ctx.actor)
        session.delete(part)
        incident.version += 1
        audit.record(session, ctx.actor, "participant.remove", "incident", incident.id, before)
    return before


def delete_incident(ctx: Context, incident_id: str) -> dict[str, Any]:
    """Delete an incident that has no review history and no evidence (the undo of adding one).

    A reviewed incident is never deleted: its history is part of the record. Returns the
    snapshot written to the audit log.
    """
    with ctx.store.write() as session:
        incident = resolve(session, Incident, incident_id, "incident")
        reviews = (
            session.scalar(select(func.count()).select_from(ReviewEvent).where(ReviewEvent.incident_id == incident.id))
            or 0
        )
        if reviews:
            raise ValidationError(
                f"this incident has {reviews} review decision(s) on record; a reviewed incident is never deleted",
                field="incident",
            )
        links = (
            session.scalar(
                select(func.count()).select_from(IncidentEvidence).where(IncidentEvidence.incident_id == incident.id)
            )
            or 0
        )
        if links:
            raise ValidationError(
                f"this incident has {links} evidence item(s) attached: detach them first", field="incident"
            )
        before = snapshot(incident)
        before["participants"] = [snapshot(p) for p in incident.participants]
        before["tags"] = incident_tag_names(session, incident.id)
        bury(session, "incident", incident, ctx.actor)
        session.delete(incident)
        audit.record(session, ctx.actor, "incident.delete", "incident", before["id"], before)
    return before
