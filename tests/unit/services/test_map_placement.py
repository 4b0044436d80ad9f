"""Placing on the map: an audited write that can be undone; bad positions are refused."""

from __future__ import annotations

import json

import pytest

from evidence_app.domain.errors import ValidationError
from evidence_app.mapview.data import load_map_data
from evidence_app.services import placement
from evidence_app.storage.audit import iter_entries
from evidence_app.storage.models import Incident


def test_place_incident_is_audited_and_undoable(ctx, sample_case):
    case, incident = sample_case
    done = placement.place_incident(ctx, incident.id, 37.0, 124.5)
    assert done.previous == {"lat": 36.55, "lon": 123.95, "position_method": ""}
    with ctx.store.read() as session:
        assert (session.get(Incident, incident.id).lat, session.get(Incident, incident.id).lon) == (37.0, 124.5)
        last = list(iter_entries(session, entity_id=incident.id))[-1]
    assert last.action == "incident.update" and json.loads(last.payload)["lat"] == [36.55, 37.0]
    placement.restore(ctx, done, undo=True)
    with ctx.store.read() as session:
        assert session.get(Incident, incident.id).lat == 36.55
        data = load_map_data(session, case.id)
    assert [i.lat for i in data.incidents.values()] == [36.55]


def test_position_out_of_range_is_refused(ctx, sample_case):
    _case, incident = sample_case
    with pytest.raises(ValidationError):
        placement.place_incident(ctx, incident.id, 95.0, 10.0)
