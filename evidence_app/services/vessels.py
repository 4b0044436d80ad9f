"""Vessels: add and edit hulls, look them up by IMO, MMSI or name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from evidence_app.domain import limits
from evidence_app.domain.errors import NotFound, ValidationError
from evidence_app.domain.identifiers import (
    display_mmsi,
    mmsi_flag_hint,
    parse_vessel_ref,
    validate_imo,
    validate_mmsi,
)
from evidence_app.services.context import Context
from evidence_app.services.record_edits import (
    Changes,
    apply_changes,
    check_fields,
    check_version,
    conflicts_audited,
    resolve,
    saved_changes,
    snapshot,
)
from evidence_app.storage import audit
from evidence_app.storage.models import (
    Case,
    Designation,
    Incident,
    Participant,
    Vessel,
    VesselIdentity,
)

EDITABLE = frozenset(
    {"imo", "mmsi", "name", "flag", "call_sign", "vessel_type", "length_m", "beam_m", "gross_tonnage", "owner", "notes"}
)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for key, validate in (("imo", validate_imo), ("mmsi", validate_mmsi)):
        if key in out:
            out[key] = None if out[key] in (None, "") else validate(out[key])
    for key, rng in (
        ("length_m", limits.VESSEL_LENGTH_M),
        ("beam_m", limits.VESSEL_BEAM_M),
        ("gross_tonnage", limits.TONNAGE),
    ):
        value = out.get(key)
        if value is not None:
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ValidationError(f"{key} {value[:40]!r} is not a number", field=key) from None
            out[key] = limits.check_number(value, rng, field=key)
    for key in ("name", "flag", "call_sign", "vessel_type", "owner", "notes"):
        if key in out and out[key] is None:
            out[key] = ""
        elif key in out:
            out[key] = str(out[key]).strip()
            if key == "notes":
                limits.check_text(out[key], field=key)
            else:
                limits.check_name(out[key], field=key)
    return out


def _check_unique_imo(session: Session, imo: int | None, own_id: str | None = None) -> None:
    if imo is None:
        return
    existing = session.scalar(select(Vessel).where(Vessel.imo == imo))
    if existing is not None and existing.id != own_id:
        raise ValidationError(
            f"a vessel with IMO {imo} already exists ({existing.name or 'unnamed'}, id {existing.id[:8]})",
            field="imo",
        )


MARKINGS_PREFIX = "Observed markings: "


def add_vessel(ctx: Context, *, markings: str = "", **fields: Any) -> Vessel:
    """Add a vessel: the desk (Tools ▸ Vessels, the participant field) and ``vessel add`` alike.

    A counterpart known only by sight ("small tanker marked MIN NING DE YOU 078, flag
    unknown") is a vessel with a name or markings and no IMO or MMSI; ``markings`` (what
    was read on the hull) opens its notes. An empty flag means the flag was not seen.
    """
    check_fields(fields, EDITABLE, "a vessel")
    markings = limits.check_name(str(markings or "").strip(), field="markings")
    if markings:
        notes = str(fields.get("notes") or "").strip()
        fields["notes"] = MARKINGS_PREFIX + markings + ("\n" + notes if notes else "")
        if not str(fields.get("name") or "").strip():
            fields["name"] = markings  # the only name a sighted hull has
    values = _normalise(fields)
    if not any(values.get(k) for k in ("imo", "mmsi", "name")):
        raise ValidationError(
            "a vessel needs at least a name or observed markings, an IMO number or an MMSI", field="name"
        )
    if values.get("mmsi") and not values.get("flag"):
        values["flag"] = mmsi_flag_hint(values["mmsi"]) or ""
    with ctx.store.write() as session:
        _check_unique_imo(session, values.get("imo"))
        vessel = Vessel(**values)
        session.add(vessel)
        session.flush()
        audit.record(session, ctx.actor, "vessel.create", "vessel", vessel.id, snapshot(vessel))
    return vessel


def update_vessel(ctx: Context, vessel_id: str, *, expected_version: int | None = None, **changes: Any) -> Changes:
    check_fields(changes, EDITABLE, "a vessel")
    values = _normalise(changes)
    with conflicts_audited(ctx, "vessel.update"), ctx.store.write() as session:
        vessel = resolve(session, Vessel, vessel_id, "vessel")
        check_version(
            session,
            entity="vessel",
            record_id=vessel.id,
            label=vessel.name or "vessel",
            current_version=vessel.version,
            current={k: getattr(vessel, k) for k in changes},
            wanted=changes,
            expected_version=expected_version,
        )
        _check_unique_imo(session, values.get("imo"), vessel.id)
        diff = apply_changes(vessel, values)
        if diff:
            audit.record(session, ctx.actor, "vessel.update", "vessel", vessel.id, diff)
        return saved_changes(diff, vessel.version)


def find_vessel(session: Session, ref: str) -> Vessel:
    """The one vessel a user's reference (IMO, MMSI, name or id) names."""
    kind, value = parse_vessel_ref(ref)
    if kind == "imo":
        found = session.scalar(select(Vessel).where(Vessel.imo == value))
    elif kind == "mmsi":
        found = session.scalars(select(Vessel).where(Vessel.mmsi == value)).first()
    elif kind == "number":
        matches = session.scalars(
            select(Vessel).where(or_(Vessel.imo == value, Vessel.mmsi == value)).order_by(Vessel.imo.is_(None)).limit(2)
        ).all()
        if len(matches) > 1 and matches[0].imo != value:
            raise NotFound(f"several vessels have the number {value} as IMO or MMSI: use 'IMO {value}' or the id")
        found = matches[0] if matches else None
    else:
        matches = session.scalars(select(Vessel).where(func.lower(Vessel.name) == str(value).lower()).limit(2)).all()
        if len(matches) > 1:
            raise NotFound(f"several vessels are named {value!r}: use the IMO or MMSI")
        found = matches[0] if matches else None
        if found is None:
            try:
                found = resolve(session, Vessel, str(value), "vessel")
            except NotFound:
                found = None
    if found is None:
        raise NoSuchVessel(f"no vessel matches {ref!r} (by IMO, MMSI, name or id)")
    return found


class NoSuchVessel(NotFound):
    """No vessel at all matches the reference (not: several do); the desk offers to create it."""


def vessel_ids_matching(session: Session, ref: str) -> list[str]:
    """Ids of vessels a filter text matches: exact IMO/MMSI, else a name substring."""
    try:
        kind, value = parse_vessel_ref(ref) if ref.strip() else ("name", "")
    except ValidationError:
        return []  # 'IMO 1234567' failing its check digit matches no vessel: a filter never raises
    if kind == "imo":
        query = select(Vessel.id).where(Vessel.imo == value)
    elif kind == "mmsi":
        query = select(Vessel.id).where(Vessel.mmsi == value)
    elif kind == "number":
        query = select(Vessel.id).where(or_(Vessel.imo == value, Vessel.mmsi == value))
    else:
        pattern = f"%{str(value).lower()}%"
        alias_ids = select(VesselIdentity.vessel_id).where(func.lower(VesselIdentity.name).like(pattern))
        query = select(Vessel.id).where(or_(func.lower(Vessel.name).like(pattern), Vessel.id.in_(alias_ids)))
    return list(session.scalars(query))


def list_vessels(ctx: Context) -> list[Vessel]:
    with ctx.store.read() as session:
        return list(
            session.scalars(
                select(Vessel)
                .options(selectinload(Vessel.designations), selectinload(Vessel.identities))
                .order_by(Vessel.name)
            )
        )


def get_vessel(ctx: Context, ref: str) -> Vessel:
    with ctx.store.read() as session:
        vessel = find_vessel(session, ref)
        _ = vessel.identities, vessel.designations
        return vessel


@dataclass(frozen=True)
class VesselListRow:
    """What the vessel list shows of one hull, fetched for all vessels in one query."""

    id: str
    name: str
    imo: int | None
    mmsi: int | None
    flag: str
    vessel_type: str
    identities: int
    designations: int
    incidents: int
    mmsi_as_given: str | None = None  # set when the MMSI is malformed (not nine digits)

    @property
    def mmsi_text(self) -> str:
        return display_mmsi(self.mmsi, self.mmsi_as_given)

    @property
    def sanctioned(self) -> bool:
        return self.designations > 0


def vessel_rows(ctx: Context, text: str = "") -> list[VesselListRow]:
    """Every vessel (or those a filter text matches) with its counts, in one query."""

    def counted(model: Any) -> Any:
        return (
            select(func.count())
            .select_from(model)
            .where(model.vessel_id == Vessel.id)
            .correlate(Vessel)
            .scalar_subquery()
        )

    with ctx.store.read() as session:
        query = select(
            Vessel.id,
            Vessel.name,
            Vessel.imo,
            Vessel.mmsi,
            Vessel.flag,
            Vessel.vessel_type,
            counted(VesselIdentity),
            counted(Designation),
            counted(Participant),
            Vessel.mmsi_as_given,
        ).order_by(Vessel.name, Vessel.id)
        if text.strip():
            query = query.where(Vessel.id.in_(vessel_ids_matching(session, text)))
        return [VesselListRow(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class VesselIncident:
    """One incident a vessel takes part in, with its role there."""

    incident_id: str
    case_id: str
    case_title: str
    title: str
    start_utc: datetime
    status: str
    role: str


@dataclass
class VesselProfile:
    """A vessel page's content: the assessed hull, its identity history, designations and incidents."""

    vessel: Vessel
    identities: list[VesselIdentity]
    designations: list[Designation]
    incidents: list[VesselIncident] = field(default_factory=list)

    @property
    def flag_hint(self) -> str | None:
        """The country the MMSI's MID points to: a hint at the flag, not proof of it."""
        return mmsi_flag_hint(self.vessel.mmsi) if self.vessel.mmsi else None


def vessel_profile(ctx: Context, ref: str) -> VesselProfile:
    """Everything a vessel page shows, in four queries (vessel, history, designations, incidents)."""
    with ctx.store.read() as session:
        vessel = find_vessel(session, ref)
        identities = sorted(vessel.identities, key=lambda i: (i.first_seen or i.last_seen or _EPOCH, i.name))
        designations = sorted(vessel.designations, key=lambda d: (d.listed_on or _EPOCH, d.authority))
        rows = session.execute(
            select(
                Incident.id,
                Incident.case_id,
                Case.title,
                Incident.title,
                Incident.start_utc,
                Incident.status,
                Participant.role,
            )
            .join(Participant, Participant.incident_id == Incident.id)
            .join(Case, Case.id == Incident.case_id)
            .where(Participant.vessel_id == vessel.id)
            .order_by(Incident.start_utc)
        )
        return VesselProfile(vessel, identities, designations, [VesselIncident(*r) for r in rows])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
