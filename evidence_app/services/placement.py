"""Placing incidents and evidence on the map: each placement is one audited write that
returns the previous position, so the map can offer undo.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence_app.services import evidence as evidence_svc
from evidence_app.services import incidents as incidents_svc
from evidence_app.services.context import Context

PLACED_ON_MAP = "placed on map"


@dataclass(frozen=True)
class Placement:
    """What a placement changed: enough to undo it (``previous``) or redo it (``current``)."""

    kind: str  # "incident" | "evidence"
    item_id: str
    previous: dict[str, object]
    current: dict[str, object]


def _placement(kind: str, item_id: str, diff: dict[str, list[object]]) -> Placement:
    return Placement(kind, item_id, {k: v[0] for k, v in diff.items()}, {k: v[1] for k, v in diff.items()})


def place_incident(ctx: Context, incident_id: str, lat: float, lon: float) -> Placement:
    """Set an incident's position from the map (audited as ``incident.update``)."""
    diff = incidents_svc.update_incident(
        ctx, incident_id, lat=float(lat), lon=float(lon), position_method=PLACED_ON_MAP
    )
    return _placement("incident", incident_id, diff)


def place_evidence(ctx: Context, evidence_id: str, lat: float, lon: float) -> Placement:
    """Set an evidence item's point position from the map (audited as ``evidence.update``)."""
    diff = evidence_svc.update_evidence(ctx, evidence_id, lat=float(lat), lon=float(lon))
    return _placement("evidence", evidence_id, diff)


def restore(ctx: Context, placement: Placement, *, undo: bool = True) -> None:
    """Put back the position before ``placement`` (undo), or apply it again (redo); audited.

    Never over a newer position: the write expects the values the other direction left
    (a colleague who moved the item since gets a ``ConflictError``, not a silent revert).
    """
    values = placement.previous if undo else placement.current
    expected = placement.current if undo else placement.previous
    if not values:
        return
    if placement.kind == "incident":
        incidents_svc.update_incident(ctx, placement.item_id, expected_version=-1, base=expected, **values)
    else:
        evidence_svc.update_evidence(ctx, placement.item_id, expected_version=-1, base=expected, **values)
