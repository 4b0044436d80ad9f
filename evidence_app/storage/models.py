"""SQLAlchemy 2 typed models for cases, vessels, incidents, evidence, AIS positions and the audit log.

Portable by design: no SQLite-only types. Records that travel between stores in case
files (cases, vessels, incidents, evidence, links, annotations, reviews, tags) carry
UUID string keys so they can be merged by id; bulk tables (AIS positions) use integers.
Times are timezone-aware UTC ``datetime`` values, except AIS positions, which keep UTC
epoch seconds in an integer column because that table holds millions of rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A fresh record id: a random UUID, so records from two stores never collide."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones; PostgreSQL's ``timestamp without time zone`` behaves the
    same way, so both backends round-trip identically.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped on every change; case-file merges compare it with the exported value.
    version: Mapped[int] = mapped_column(Integer, default=1)


class StoreMeta(Base):
    """Key/value facts about this store: its id, and the head of the audit chain.

    Every audit append updates the ``audit_head`` row in the same transaction, which
    serialises appends on every backend (a row lock on PostgreSQL, the write lock on
    SQLite).
    """

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Case(TimestampMixin, Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    caveat: Mapped[str] = mapped_column(String(300), default="")
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    incidents: Mapped[list[Incident]] = relationship(back_populates="case")


class Vessel(TimestampMixin, Base):
    """A hull, as assessed by the analyst; what it called itself lives in identities."""

    __tablename__ = "vessels"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    imo: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    mmsi: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set only when a file gave an MMSI that is not nine digits (a malformed broadcast):
    # the digits exactly as given, so it is shown as it was and never padded into another number.
    mmsi_as_given: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="", index=True)
    flag: Mapped[str] = mapped_column(String(80), default="")
    call_sign: Mapped[str] = mapped_column(String(20), default="")
    vessel_type: Mapped[str] = mapped_column(String(80), default="")
    length_m: Mapped[float | None] = mapped_column(Float)
    beam_m: Mapped[float | None] = mapped_column(Float)
    gross_tonnage: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    identities: Mapped[list[VesselIdentity]] = relationship(
        back_populates="vessel", cascade="all, delete-orphan", order_by="VesselIdentity.first_seen"
    )
    designations: Mapped[list[Designation]] = relationship(back_populates="vessel", cascade="all, delete-orphan")


class VesselIdentity(Base):
    """One name/flag/MMSI/call sign a vessel used, over a time span, with its source."""

    __tablename__ = "vessel_identities"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vessel_id: Mapped[str] = mapped_column(ForeignKey("vessels.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    flag: Mapped[str] = mapped_column(String(80), default="")
    mmsi: Mapped[int | None] = mapped_column(Integer)
    imo: Mapped[int | None] = mapped_column(Integer)
    call_sign: Mapped[str] = mapped_column(String(20), default="")
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300), default="")
    evidence_id: Mapped[str | None] = mapped_column(ForeignKey("evidence.id"))

    vessel: Mapped[Vessel] = relationship(back_populates="identities")


class Designation(Base):
    """A sanctions listing of a vessel (OFAC SDN, UN 1718 Committee, EU...)."""

    __tablename__ = "designations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vessel_id: Mapped[str] = mapped_column(ForeignKey("vessels.id", ondelete="CASCADE"), index=True)
    authority: Mapped[str] = mapped_column(String(80))
    program: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    listed_on: Mapped[datetime | None]
    remarks: Mapped[str] = mapped_column(Text, default="")
    evidence_id: Mapped[str | None] = mapped_column(ForeignKey("evidence.id"))

    vessel: Mapped[Vessel] = relationship(back_populates="designations")


class Incident(TimestampMixin, Base):
    """A suspected transfer within a case."""

    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    start_utc: Mapped[datetime] = mapped_column(index=True)
    end_utc: Mapped[datetime | None]
    local_time_text: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    position_method: Mapped[str] = mapped_column(String(80), default="")
    reported_location: Mapped[str] = mapped_column(String(300), default="")
    cargo_kind: Mapped[str] = mapped_column(String(80), default="")
    cargo_quantity: Mapped[float | None] = mapped_column(Float)
    cargo_unit: Mapped[str] = mapped_column(String(20), default="")
    indicators: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="suspected", index=True)
    assessment: Mapped[str] = mapped_column(Text, default="")
    # Four-eyes: who proposed confirmation, awaiting a second reviewer.
    confirmation_proposed_by: Mapped[str | None] = mapped_column(String(120))
    # Figures an imported event file gave (distance_m, speed_kn, duration_h, ...): see
    # domain/incident.EVENT_METRICS. None for incidents entered by hand.
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[Case] = relationship(back_populates="incidents")
    participants: Mapped[list[Participant]] = relationship(back_populates="incident", cascade="all, delete-orphan")
    links: Mapped[list[IncidentEvidence]] = relationship(back_populates="incident", cascade="all, delete-orphan")
    reviews: Mapped[list[ReviewEvent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="ReviewEvent.created_at"
    )

    __table_args__ = (
        Index("ix_incidents_case_start", "case_id", "start_utc"),
        Index("ix_incidents_lat_lon", "lat", "lon"),
    )


class Participant(Base):
    """A vessel's part in an incident, with the identity it claimed if that differs."""

    __tablename__ = "participants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    vessel_id: Mapped[str] = mapped_column(ForeignKey("vessels.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="unknown")
    claimed_name: Mapped[str] = mapped_column(String(200), default="")
    claimed_flag: Mapped[str] = mapped_column(String(80), default="")
    claimed_mmsi: Mapped[int | None] = mapped_column(Integer)
    claimed_imo: Mapped[int | None] = mapped_column(Integer)

    incident: Mapped[Incident] = relationship(back_populates="participants")
    vessel: Mapped[Vessel] = relationship()

    __table_args__ = (UniqueConstraint("incident_id", "vessel_id", name="uq_participants_incident_vessel"),)


class Evidence(Base):
    """A file in the object store (or a record derived from one), identified by SHA-256.

    One row per distinct file: attaching the same bytes twice reuses the row.
    """

    __tablename__ = "evidence"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    kind: Mapped[str] = mapped_column(String(20), default="document")
    original_name: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    provider: Mapped[str] = mapped_column(String(200), default="")
    capture_time: Mapped[datetime | None]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where it is: a point (lat/lon) for the list and the map, and a GeoJSON geometry
    # (footprint polygon, track line) when there is one.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    footprint: Mapped[dict[str, Any] | None]
    gsd_m: Mapped[float | None] = mapped_column(Float)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    reliability: Mapped[str | None] = mapped_column(String(1))
    credibility: Mapped[int | None] = mapped_column(SmallInteger)
    derived_from_id: Mapped[str | None] = mapped_column(ForeignKey("evidence.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    links: Mapped[list[IncidentEvidence]] = relationship(back_populates="evidence")
    annotations: Mapped[list[Annotation]] = relationship(back_populates="evidence", cascade="all, delete-orphan")


class IncidentEvidence(Base):
    """An evidence item attached to an incident, supporting or contradicting it."""

    __tablename__ = "incident_evidence"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence.id"), index=True)
    relation: Mapped[str] = mapped_column(String(12), default="supports")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="links")
    evidence: Mapped[Evidence] = relationship(back_populates="links")

    __table_args__ = (UniqueConstraint("incident_id", "evidence_id", name="uq_incident_evidence_pair"),)


class Annotation(TimestampMixin, Base):
    """A shape drawn on an image, in image pixel coordinates; never burned into the original."""

    __tablename__ = "annotations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"), index=True)
    shape: Mapped[str] = mapped_column(String(20))  # box, arrow, line, polygon, text, measurement
    points: Mapped[list[Any]] = mapped_column(default=list)  # [[x, y], ...] in pixels
    label: Mapped[str] = mapped_column(Text, default="")
    length_m: Mapped[float | None] = mapped_column(Float)
    style: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author: Mapped[str] = mapped_column(String(120), default="")

    evidence: Mapped[Evidence] = relationship(back_populates="annotations")


class AisPosition(Base):
    """One AIS position report. Millions of rows: written and read in bulk only."""

    __tablename__ = "ais_positions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    mmsi: Mapped[int] = mapped_column(Integer)
    ts: Mapped[int] = mapped_column(BigInteger)  # UTC epoch seconds
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    sog: Mapped[float | None] = mapped_column(Float)
    cog: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[int | None] = mapped_column(SmallInteger)
    nav_status: Mapped[int | None] = mapped_column(SmallInteger)
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence.id"))

    __table_args__ = (
        Index("ix_ais_positions_mmsi_ts", "mmsi", "ts"),
        Index("ix_ais_positions_evidence", "evidence_id"),
    )


class ReviewEvent(Base):
    """A status change (or a four-eyes proposal) with who, when and why."""

    __tablename__ = "review_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="transition")  # transition | proposal
    reviewer: Mapped[str] = mapped_column(String(120))
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="reviews")


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class IncidentTag(Base):
    __tablename__ = "incident_tags"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class EvidenceTag(Base):
    __tablename__ = "evidence_tags"
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class AuditEntry(Base):
    """One append-only, hash-chained record of a change."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Canonical JSON {"table/id": content hash or null}: the records this entry's transaction
    # changed, as they stood after it (storage/content.py); hashed with the entry.
    content: Mapped[str | None] = mapped_column(Text)


class AuditCheckpoint(Base):
    """The chain head at a moment (an export, the end of a desk session), signed by the reviewer.

    Copies live outside the database too (``checkpoints.jsonl`` beside the evidence
    folder and in the reviewer's config folder), so rewriting the chain, or deleting
    these rows, is caught by ``verify``.
    """

    __tablename__ = "audit_checkpoints"
    signature: Mapped[str] = mapped_column(String(88), primary_key=True)
    statement: Mapped[str] = mapped_column(Text)  # canonical JSON: store, seq, head hash, time, reviewer, reason
    public_key: Mapped[str] = mapped_column(String(44))


class SyncState(Base):
    """What this store and a peer store last agreed a record looked like (its content hash).

    Written when a case file from ``peer_store_id`` is imported: the merge of the next file
    compares base (this), local and incoming content to tell one-sided changes, which it
    takes, from changes on both sides, which become conflicts.
    """

    __tablename__ = "sync_state"
    peer_store_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class MergeConflict(Base):
    """A record changed both here and in an imported case file; the user picks a side."""

    __tablename__ = "merge_conflicts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    import_id: Mapped[str] = mapped_column(String(36))
    peer_store_id: Mapped[str] = mapped_column(String(36))
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(36))
    base_hash: Mapped[str | None] = mapped_column(String(64))
    local_hash: Mapped[str] = mapped_column(String(64))
    incoming: Mapped[dict[str, Any]] = mapped_column()  # the record as the file had it
    fields: Mapped[list[Any]] = mapped_column(default=list)  # names of the fields that differ
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  # keep-local | take-incoming
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class ImportedAuditEntry(Base):
    """An audit entry from another store's chain, kept verbatim so its hash can be rechecked.

    Each import appends one local audit entry whose payload holds a digest of the entries
    it brought in, which anchors them in this store's own chain.
    """

    __tablename__ = "imported_audit_entries"
    origin_store_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    import_id: Mapped[str] = mapped_column(String(36), index=True)
    ts: Mapped[str] = mapped_column(String(40))  # the hashed text form, verbatim
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)  # as the origin store hashed it
    # The attestation (signed list of seq:hash) that vouched for this entry, if any. The
    # entry counts as verified only while that attestation's key is a key its store is
    # known under (``store_keys``); without one it is shown as unverified.
    attestation_id: Mapped[str | None] = mapped_column(String(36))


class SignerKey(Base):
    """A reviewer's public signing key this store has met: in a case file, or given by hand.

    The trust table: an import says whether its signer's key is new, seen before, or
    trusted (the user compared the fingerprint with its owner and ran ``keys trust``).
    """

    __tablename__ = "signer_keys"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the raw key, hex
    public_key: Mapped[str] = mapped_column(String(44))  # raw 32 bytes, base64
    reviewer: Mapped[str] = mapped_column(String(120))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_seen_in: Mapped[str] = mapped_column(String(300), default="")
    trusted_at: Mapped[datetime | None] = mapped_column()
    trusted_by: Mapped[str | None] = mapped_column(String(120))


class StoreKey(Base):
    """Which keys speak for a store: the key that first introduced it, and any added by hand.

    A case file from a store, and audit entries of a store, are accepted only when signed
    by one of these keys; this is what makes a store's identity a key rather than its id.
    """

    __tablename__ = "store_keys"
    store_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    how: Mapped[str] = mapped_column(String(300))


class AuditAttestation(Base):
    """A store's signature over the audit entries it exported: ``seq:hash`` lines, signed.

    Kept verbatim so the entries it vouches for can travel on to a third store with the
    original signature.
    """

    __tablename__ = "audit_attestations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    origin_store_id: Mapped[str] = mapped_column(String(36), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(88), unique=True)
    entries: Mapped[str] = mapped_column(Text)
    import_id: Mapped[str] = mapped_column(String(36))


class Tombstone(Base):
    """A record deleted here (a detached evidence link, a removed participant, a deleted
    annotation or incident), kept so the deletion travels in case files like any change.

    ``record`` is the record as it was when deleted: a store that still holds that exact
    version deletes it on import; one that changed it since gets a merge conflict instead.
    ``keys`` holds what finds the record in a store where its parents have other ids (the
    vessel's IMO, the evidence's SHA-256).
    """

    __tablename__ = "tombstones"
    record_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(String(36), index=True)
    record: Mapped[dict[str, Any]] = mapped_column()
    keys: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_by: Mapped[str] = mapped_column(String(120), default="")
