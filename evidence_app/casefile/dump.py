"""A canonical dump of everything a store holds about one case: the yardstick of a round trip.

Read straight from the tables (not through ``collect_case``, which the export uses, so
the comparison does not trust the code it checks): the case, its incidents with tags,
participants, evidence links, review history, the vessels taking part with identity
history and designations, every evidence item the case reaches (linked, cited by a
vessel record, or the original of a derived item) with its tags and annotations, the AIS
positions of its AIS items, the evidence files present in the object store, and the
deletions (tombstones) the case carries. Ids are included; what differs between two
stores holding the same content by design (``version``, ``updated_at``, AIS row numbers)
is left out. Two stores hold the same case exactly when their dumps are equal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.casefile.record_dicts import NOT_CONTENT, case_tombstones, record_dict
from evidence_app.storage.models import (
    AisPosition,
    Annotation,
    Case,
    Designation,
    Evidence,
    Incident,
    IncidentEvidence,
    Participant,
    ReviewEvent,
    Vessel,
    VesselIdentity,
)
from evidence_app.storage.objects import ObjectStore

BOOKKEEPING = frozenset(NOT_CONTENT - {"evidence_count"})


def _rows(session: Session, record_type: str, objs: list[Any]) -> list[dict[str, Any]]:
    out = []
    for obj in objs:
        data = record_dict(session, record_type, obj)
        out.append({k: v for k, v in data.items() if k not in BOOKKEEPING})
    return sorted(out, key=lambda r: r["id"])


def case_dump(session: Session, case_id: str, objects: ObjectStore | None = None) -> dict[str, Any]:
    """Every record of the case as sorted plain data (see the module docstring)."""
    case = session.get(Case, case_id)
    if case is None:
        return {}
    incidents = list(session.scalars(select(Incident).where(Incident.case_id == case_id)))
    incident_ids = [i.id for i in incidents]
    participants = list(session.scalars(select(Participant).where(Participant.incident_id.in_(incident_ids))))
    links = list(session.scalars(select(IncidentEvidence).where(IncidentEvidence.incident_id.in_(incident_ids))))
    reviews = list(session.scalars(select(ReviewEvent).where(ReviewEvent.incident_id.in_(incident_ids))))
    vessel_ids = {p.vessel_id for p in participants}
    vessels = list(session.scalars(select(Vessel).where(Vessel.id.in_(vessel_ids))))
    identities = list(session.scalars(select(VesselIdentity).where(VesselIdentity.vessel_id.in_(vessel_ids))))
    designations = list(session.scalars(select(Designation).where(Designation.vessel_id.in_(vessel_ids))))
    wanted = {link.evidence_id for link in links}
    wanted |= {r.evidence_id for r in [*identities, *designations] if r.evidence_id}
    evidence: dict[str, Evidence] = {}
    while wanted:
        for item in session.scalars(select(Evidence).where(Evidence.id.in_(wanted))):
            evidence[item.id] = item
        wanted = {e.derived_from_id for e in evidence.values() if e.derived_from_id} - set(evidence)
    annotations = list(session.scalars(select(Annotation).where(Annotation.evidence_id.in_(evidence))))
    ais_ids = [e.id for e in evidence.values() if e.kind == "ais"]
    positions = sorted(
        tuple(row)
        for row in session.execute(
            select(
                AisPosition.evidence_id,
                AisPosition.mmsi,
                AisPosition.ts,
                AisPosition.lat,
                AisPosition.lon,
                AisPosition.sog,
                AisPosition.cog,
                AisPosition.heading,
                AisPosition.nav_status,
            ).where(AisPosition.evidence_id.in_(ais_ids))
        )
    )
    return {
        "case": _rows(session, "case", [case]),
        "incident": _rows(session, "incident", incidents),
        "participant": _rows(session, "participant", participants),
        "link": _rows(session, "link", links),
        "review": _rows(session, "review", reviews),
        "vessel": _rows(session, "vessel", vessels),
        "vessel_identity": _rows(session, "vessel_identity", identities),
        "designation": _rows(session, "designation", designations),
        "evidence": _rows(session, "evidence", list(evidence.values())),
        "annotation": _rows(session, "annotation", annotations),
        "ais_positions": [list(p) for p in positions],
        "files": sorted(e.sha256 for e in evidence.values() if objects is None or objects.has(e.sha256)),
        "tombstones": sorted(
            (t for t in case_tombstones(session, case_id, set(incident_ids), set(evidence))),
            key=lambda t: (t["record_type"], t["record_id"]),
        ),
    }
