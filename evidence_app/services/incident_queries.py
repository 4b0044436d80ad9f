"""Incident queries: the filtered list (rows, counts, timeline, position), one incident in full as a frozen view.

Commands that change incidents are in `services/incidents`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, and_, exists, func, inspect, or_, select
from sqlalchemy.orm import Session, selectinload

from evidence_app.domain.errors import ValidationError
from evidence_app.domain.review import Status, parse_status
from evidence_app.services.context import Context
from evidence_app.services.record_edits import (
    SKIP_IN_SNAPSHOT,
    plain,
    resolve,
)
from evidence_app.services.vessels import vessel_ids_matching
from evidence_app.storage.models import (
    Case,
    Designation,
    Incident,
    IncidentEvidence,
    IncidentTag,
    Participant,
    Tag,
    Vessel,
)
from evidence_app.storage.queries import contains_ignoring_case, incident_tag_names, sqlite_null_order


@dataclass
class IncidentFilter:
    case_id: str | None = None
    statuses: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    vessel: str | None = None
    text: str | None = None
    tags: list[str] = field(default_factory=list)
    awaiting_reviewer: str | None = None  # four-eyes: proposals someone else must confirm
    limit: int | None = None
    offset: int = 0
    order: str = "start_utc"
    descending: bool = False


@dataclass(frozen=True)
class IncidentRow:
    """What a list shows of an incident, fetched in one query per page."""

    id: str
    case_id: str
    title: str
    start_utc: datetime
    end_utc: datetime | None
    status: str
    lat: float | None
    lon: float | None
    radius_m: float | None
    evidence_count: int
    vessels: str
    tags: str
    proposed_by: str | None
    sanctioned: tuple[str, ...] = ()  # names of the participants under a sanctions designation
    metrics: dict[str, Any] | None = None  # figures an imported event file gave (domain.incident.EVENT_METRICS)

    @property
    def has_sanctioned(self) -> bool:
        return bool(self.sanctioned)

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


ORDERABLE = {
    "start_utc": Incident.start_utc,
    "title": Incident.title,
    "status": Incident.status,
    "evidence_count": Incident.evidence_count,
    "lat": Incident.lat,
    "created_at": Incident.created_at,
}


def filtered_query(session: Session, flt: IncidentFilter) -> Select[Any]:
    """The filtered incident ids as a query, shared by counting and the map."""
    return select(Incident.id).where(*filter_conditions(session, flt))


def filter_conditions(session: Session, flt: IncidentFilter) -> list[Any]:
    """SQL conditions for a filter, applied directly so indexes serve both WHERE and ORDER BY."""
    conditions: list[Any] = []
    if flt.case_id:
        conditions.append(Incident.case_id == resolve(session, Case, flt.case_id, "case").id)
    if flt.statuses:
        conditions.append(Incident.status.in_([parse_status(s).value for s in flt.statuses]))
    else:  # dismissed detections are shown only when asked for by status
        conditions.append(Incident.status != Status.DISMISSED.value)
    if flt.since is not None:
        conditions.append(func.coalesce(Incident.end_utc, Incident.start_utc) >= flt.since)
    if flt.until is not None:
        conditions.append(Incident.start_utc <= flt.until)
    if flt.bbox is not None:
        west, south, east, north = flt.bbox
        conditions.append(Incident.lat.between(south, north))
        if west <= east:
            conditions.append(Incident.lon.between(west, east))
        else:  # the box crosses the antimeridian
            conditions.append(or_(Incident.lon >= west, Incident.lon <= east))
    if flt.vessel:
        vessel_ids = vessel_ids_matching(session, flt.vessel)
        conditions.append(Incident.id.in_(select(Participant.incident_id).where(Participant.vessel_id.in_(vessel_ids))))
    if flt.text and flt.text.strip():
        needle = flt.text.strip()
        conditions.append(
            or_(
                *(
                    contains_ignoring_case(session, column, needle)
                    for column in (Incident.title, Incident.reported_location, Incident.assessment, Incident.cargo_kind)
                )
            )
        )
    for tag in flt.tags:
        conditions.append(
            Incident.id.in_(
                select(IncidentTag.incident_id)
                .join(Tag, Tag.id == IncidentTag.tag_id)
                .where(Tag.name == tag.strip().lower())
            )
        )
    if flt.awaiting_reviewer:
        conditions.append(
            and_(
                Incident.confirmation_proposed_by.is_not(None),
                Incident.confirmation_proposed_by != flt.awaiting_reviewer,
            )
        )
    return conditions


def count_incidents(ctx: Context, flt: IncidentFilter) -> int:
    with ctx.store.read() as session:
        return session.scalar(select(func.count()).select_from(filtered_query(session, flt).subquery())) or 0


def timeline(ctx: Context, flt: IncidentFilter, *, bucket: str = "day") -> list[tuple[str, str, int]]:
    """Incidents per day (``YYYY-MM-DD``) or month (``YYYY-MM``) and status, for the timeline strip.

    The filter's own time range is ignored: the strip shows the whole span so the user
    can see and change the selected part of it.
    """
    if bucket not in ("day", "month"):
        raise ValidationError(f"timeline bucket {bucket!r}: expected day or month", field="bucket")
    unbounded = IncidentFilter(**{**flt.__dict__, "since": None, "until": None, "limit": None, "offset": 0})
    with ctx.store.read() as session:
        if session.get_bind().dialect.name == "sqlite":
            key = func.strftime("%Y-%m-%d" if bucket == "day" else "%Y-%m", Incident.start_utc)
        else:
            key = func.to_char(Incident.start_utc, "YYYY-MM-DD" if bucket == "day" else "YYYY-MM")
        query = select(key.label("k"), Incident.status, func.count()).group_by("k", Incident.status).order_by("k")
        if any(v for k, v in unbounded.__dict__.items() if k not in ("order", "descending", "offset")):
            query = query.where(Incident.id.in_(filtered_query(session, unbounded)))
        return [(k, status, n) for k, status, n in session.execute(query)]


def time_span(ctx: Context, case_id: str | None = None) -> tuple[datetime, datetime] | None:
    """The first start and last start among a case's incidents (or all), for the timeline's scale."""
    with ctx.store.read() as session:
        query = select(func.min(Incident.start_utc), func.max(Incident.start_utc))
        if case_id:
            query = query.where(Incident.case_id == case_id)
        first, last = session.execute(query).one()
    if first is None:
        return None
    from evidence_app.storage.models import UTCDateTime

    # Aggregates bypass the column type on some backends: normalise to aware UTC.
    conv = UTCDateTime().process_result_value
    if isinstance(first, str):
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return conv(first.replace(tzinfo=None), None), conv(last.replace(tzinfo=None), None)  # type: ignore[arg-type,return-value]


def position_of(ctx: Context, flt: IncidentFilter, incident_id: str) -> int | None:
    """The row an incident takes in the filtered, ordered list (None when the filter excludes it).

    One count query, so the list can jump to an incident however far down it sits.
    """
    order_col = ORDERABLE.get(flt.order)
    if order_col is None:
        raise ValidationError(f"cannot sort by {flt.order!r}: expected one of {', '.join(ORDERABLE)}", field="order")
    with ctx.store.read() as session:
        ids = filtered_query(session, flt)
        if session.scalar(select(func.count()).select_from(ids.where(Incident.id == incident_id).subquery())) == 0:
            return None
        key = session.scalar(select(order_col).where(Incident.id == incident_id))
        if key is None:
            # NULLs sort first ascending on SQLite; rows before it are NULLs with a smaller id.
            before = and_(order_col.is_(None), Incident.id < incident_id)
            if flt.descending:
                before = or_(order_col.is_not(None), before)
        else:
            cmp = order_col > key if flt.descending else order_col < key
            before = or_(cmp, and_(order_col == key, Incident.id < incident_id))
            if not flt.descending:
                before = or_(before, order_col.is_(None))
        return session.scalar(select(func.count()).select_from(ids.where(before).subquery())) or 0


def list_incidents(ctx: Context, flt: IncidentFilter | None = None) -> list[IncidentRow]:
    flt = flt or IncidentFilter()
    with ctx.store.read() as session:
        return fetch_rows(session, flt)


def fetch_rows(session: Session, flt: IncidentFilter) -> list[IncidentRow]:
    order_col = ORDERABLE.get(flt.order)
    if order_col is None:
        raise ValidationError(f"cannot sort by {flt.order!r}: expected one of {', '.join(ORDERABLE)}", field="order")
    # The filter's conditions apply to the incidents table directly (not "id IN (subquery)"),
    # so the database can walk the (case_id, start_utc) index in order and stop after one page.
    query = (
        filtered_query(session, flt)
        .with_only_columns(
            Incident.id,
            Incident.case_id,
            Incident.title,
            Incident.start_utc,
            Incident.end_utc,
            Incident.status,
            Incident.lat,
            Incident.lon,
            Incident.radius_m,
            Incident.evidence_count,
            Incident.confirmation_proposed_by,
            Incident.metrics,
        )
        .order_by(sqlite_null_order(session, order_col, descending=flt.descending), Incident.id)
        .offset(flt.offset)
    )
    if flt.limit is not None:
        query = query.limit(flt.limit)
    rows = session.execute(query).all()
    page_ids = [r.id for r in rows]
    vessels: dict[str, list[str]] = {}
    sanctioned: dict[str, list[str]] = {}
    tags: dict[str, list[str]] = {}
    # Designations ride along in the participants query (an EXISTS per joined vessel), so a
    # page still costs the same few queries however many sanctioned ships it shows.
    designated = exists().where(Designation.vessel_id == Vessel.id)
    for chunk_start in range(0, len(page_ids), 900):  # stay under SQLite's parameter limit
        chunk = page_ids[chunk_start : chunk_start + 900]
        for incident_id, name, imo, mmsi, is_designated in session.execute(
            select(Participant.incident_id, Vessel.name, Vessel.imo, Vessel.mmsi, designated)
            .join(Vessel, Vessel.id == Participant.vessel_id)
            .where(Participant.incident_id.in_(chunk))
        ):
            label = name or (f"IMO {imo}" if imo else f"MMSI {mmsi}")
            vessels.setdefault(incident_id, []).append(label)
            if is_designated:
                sanctioned.setdefault(incident_id, []).append(label)
        for incident_id, name in session.execute(
            select(IncidentTag.incident_id, Tag.name)
            .join(Tag, Tag.id == IncidentTag.tag_id)
            .where(IncidentTag.incident_id.in_(chunk))
        ):
            tags.setdefault(incident_id, []).append(name)
    return [
        IncidentRow(
            r.id,
            r.case_id,
            r.title,
            r.start_utc,
            r.end_utc,
            r.status,
            r.lat,
            r.lon,
            r.radius_m,
            r.evidence_count,
            ", ".join(sorted(vessels.get(r.id, []))),
            ", ".join(sorted(tags.get(r.id, []))),
            r.confirmation_proposed_by,
            tuple(sorted(sanctioned.get(r.id, []))),
            r.metrics or None,
        )
        for r in rows
    ]


def get_incident(ctx: Context, incident_id: str) -> Incident:
    """One incident with participants, evidence links, reviews and case loaded."""
    with ctx.store.read() as session:
        return load_incident(session, incident_id)


def load_incident(session: Session, incident_id: str) -> Incident:
    incident = resolve(session, Incident, incident_id, "incident")
    session.refresh(incident)
    return session.scalars(
        select(Incident)
        .where(Incident.id == incident.id)
        .options(
            selectinload(Incident.participants).selectinload(Participant.vessel).selectinload(Vessel.designations),
            selectinload(Incident.links).selectinload(IncidentEvidence.evidence),
            selectinload(Incident.reviews),
            selectinload(Incident.case),
        )
    ).one()


# -- the one picture of an incident: the desk's detail, `incident show` and its JSON -------
@dataclass(frozen=True)
class DesignationView:
    authority: str
    program: str
    reference: str

    @property
    def listing(self) -> str:
        """'OFAC DPRK3': authority and programme."""
        return f"{self.authority} {self.program}".strip()

    @property
    def label(self) -> str:
        """'OFAC DPRK3 (SDN 12345)': one sanctions designation in a line."""
        return self.listing + (f" ({self.reference})" if self.reference else "")


@dataclass(frozen=True)
class ParticipantView:
    """A vessel's part in an incident: its assessed identity and the one it claimed."""

    vessel_id: str
    role: str
    name: str
    imo: int | None
    mmsi: int | None
    flag: str
    length_m: float | None
    claimed_name: str
    claimed_flag: str
    claimed_mmsi: int | None
    claimed_imo: int | None
    designations: tuple[DesignationView, ...]

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "designations"}
        return {**data, "designations": [d.listing for d in self.designations]}


@dataclass(frozen=True)
class EvidenceLinkView:
    """An evidence item as attached to an incident."""

    evidence_id: str
    relation: str
    note: str
    kind: str
    original_name: str
    sha256: str
    size: int
    capture_time: datetime | None
    reliability: str | None
    credibility: str | None
    source: str = ""
    media_type: str | None = None
    linked_at: datetime | None = None

    @property
    def grading(self) -> str:
        """'B2': source reliability and information credibility, '?' where not graded."""
        return f"{self.reliability or '?'}{self.credibility or '?'}"

    def as_dict(self) -> dict[str, Any]:
        keys = ("evidence_id", "relation", "note", "kind", "original_name", "sha256", "size")
        return {
            **{k: getattr(self, k) for k in keys},
            "capture_time": plain(self.capture_time),
            "grading": self.grading,
        }


@dataclass(frozen=True)
class ReviewView:
    from_status: str
    to_status: str
    kind: str
    reviewer: str
    rationale: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_status,
            "to": self.to_status,
            "kind": self.kind,
            "reviewer": self.reviewer,
            "rationale": self.rationale,
            "at": plain(self.at),
        }


@dataclass(frozen=True)
class IncidentView:
    """One incident in full, read in one session: no lazy loading, nothing tied to a session.

    ``columns`` holds every column as stored (datetimes stay datetimes; bookkeeping
    columns left out as in ``snapshot``); ``version`` is what an edit based on this view
    expects.
    """

    columns: Mapping[str, Any]
    version: int
    case_title: str
    four_eyes: bool
    participants: tuple[ParticipantView, ...]
    evidence: tuple[EvidenceLinkView, ...]
    reviews: tuple[ReviewView, ...]
    tags: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.columns["id"]

    @property
    def title(self) -> str:
        return self.columns["title"]

    @property
    def status(self) -> str:
        return self.columns["status"]

    @property
    def indicators(self) -> list[str]:
        return list(self.columns["indicators"] or [])

    @property
    def assessment(self) -> str:
        return self.columns["assessment"]

    @property
    def metrics(self) -> dict[str, Any] | None:
        return self.columns["metrics"]

    @property
    def confirmation_proposed_by(self) -> str | None:
        return self.columns.get("confirmation_proposed_by")

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `incident show`: every column, then the related records."""
        return {
            **{k: plain(v) for k, v in self.columns.items()},
            "version": self.version,
            "case_title": self.case_title,
            "participants": [p.as_dict() for p in self.participants],
            "evidence": [e.as_dict() for e in self.evidence],
            "reviews": [r.as_dict() for r in self.reviews],
            "tags": list(self.tags),
        }


def view_of(session: Session, incident: Incident) -> IncidentView:
    """The view of a loaded incident (``load_incident``), with its tags."""
    mapper = inspect(Incident)
    columns = {a.key: getattr(incident, a.key) for a in mapper.column_attrs if a.key not in SKIP_IN_SNAPSHOT}
    return IncidentView(
        columns=MappingProxyType(columns),
        version=incident.version,
        case_title=incident.case.title,
        four_eyes=bool(incident.case.four_eyes),
        participants=tuple(
            ParticipantView(
                vessel_id=p.vessel_id,
                role=p.role,
                name=p.vessel.name,
                imo=p.vessel.imo,
                mmsi=p.vessel.mmsi,
                flag=p.vessel.flag,
                length_m=p.vessel.length_m,
                claimed_name=p.claimed_name,
                claimed_flag=p.claimed_flag,
                claimed_mmsi=p.claimed_mmsi,
                claimed_imo=p.claimed_imo,
                designations=tuple(DesignationView(d.authority, d.program, d.reference) for d in p.vessel.designations),
            )
            for p in incident.participants
        ),
        evidence=tuple(
            EvidenceLinkView(
                evidence_id=link.evidence_id,
                relation=link.relation,
                note=link.note,
                kind=link.evidence.kind,
                original_name=link.evidence.original_name,
                sha256=link.evidence.sha256,
                size=link.evidence.size,
                capture_time=link.evidence.capture_time,
                reliability=link.evidence.reliability,
                credibility=link.evidence.credibility,
                source=link.evidence.source,
                media_type=link.evidence.media_type,
                linked_at=link.created_at,
            )
            for link in incident.links
        ),
        reviews=tuple(
            ReviewView(r.from_status, r.to_status, r.kind, r.reviewer, r.rationale, r.created_at)
            for r in incident.reviews
        ),
        tags=tuple(incident_tag_names(session, incident.id)),
    )


def incident_view(ctx: Context, incident_id: str) -> IncidentView:
    """One incident in full (id or unique prefix): participants, evidence, reviews, tags."""
    with ctx.store.read() as session:
        return view_of(session, load_incident(session, incident_id))
