"""Item models of the review desk: qtmodeltester on each, roles, paging and query counts."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from sqlalchemy import event, insert

from evidence_app.services import cases
from evidence_app.services.incident_queries import IncidentFilter
from evidence_app.storage.models import Incident, Participant, Vessel
from evidence_app.ui.models.detail_models import (
    CaseListModel,
    EvidenceItem,
    EvidenceModel,
    ParticipantItem,
    ParticipantModel,
    ReviewHistoryModel,
    ReviewItem,
)
from evidence_app.ui.models.incident_table_model import IncidentTableModel

pytestmark = pytest.mark.gui


def bulk_incidents(ctx, case_id, n, *, with_vessels=False):
    base = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": f"{i:08d}-0000-0000-0000-000000000000",
            "case_id": case_id,
            "title": f"Incident {i}",
            "start_utc": base + timedelta(hours=i),
            "status": ["suspected", "under_review", "confirmed"][i % 3],
            "lat": 30 + i % 10 / 10,
            "lon": 123.0,
            "indicators": [],
            "evidence_count": i % 4,
            "version": 1,
            "local_time_text": "",
            "position_method": "",
            "reported_location": "",
            "cargo_kind": "",
            "cargo_unit": "",
            "assessment": "",
            "created_at": base,
            "updated_at": base,
        }
        for i in range(n)
    ]
    with ctx.store.write() as session:
        session.execute(insert(Incident), rows)
        if with_vessels:
            session.execute(
                insert(Vessel),
                [
                    {
                        "id": f"v{i}",
                        "name": f"SHIP {i}",
                        "flag": "",
                        "call_sign": "",
                        "vessel_type": "",
                        "owner": "",
                        "notes": "",
                        "version": 1,
                        "created_at": base,
                        "updated_at": base,
                    }
                    for i in range(3)
                ],
            )
            session.execute(
                insert(Participant),
                [
                    {
                        "id": f"p{i}-{j}",
                        "incident_id": rows[i]["id"],
                        "vessel_id": f"v{j}",
                        "role": "unknown",
                        "claimed_name": "",
                        "claimed_flag": "",
                    }
                    for i in range(0, n, 2)
                    for j in range(3)
                ],
            )
    return rows


def test_incident_model_passes_qtmodeltester(qapp, qtmodeltester, ctx, sample_case):
    case, _ = sample_case
    model = IncidentTableModel(ctx, page_size=7)
    bulk_incidents(ctx, case.id, 30)
    model.set_filter(IncidentFilter(case_id=case.id))
    qtmodeltester.check(model)
    assert model.rowCount() == 31
    model.sort(IncidentTableModel.TIME, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    first = model.index(0, IncidentTableModel.TITLE).data()
    assert first == "Incident 29"
    assert model.index(0, IncidentTableModel.STATUS).data(Qt.ItemDataRole.DecorationRole) is not None


def test_incident_model_roles_and_filter(qtbot, ctx, sample_case):
    case, incident = sample_case
    model = IncidentTableModel(ctx)
    model.set_filter(IncidentFilter(case_id=case.id))
    idx = lambda col: model.index(0, col)  # noqa: E731
    assert idx(IncidentTableModel.TITLE).data() == "STS south of Dalian"
    assert idx(IncidentTableModel.VESSELS).data() == "CHON MA SAN, NEW REGENT"
    assert idx(IncidentTableModel.POSITION).data() == "36.550N 123.950E ±500 m"
    assert idx(IncidentTableModel.TIME).data() == "2019-03-11 14:00"
    assert idx(0).data(IncidentTableModel.IdRole) == incident.id
    model.set_filter(IncidentFilter(case_id=case.id, statuses=["confirmed"]))
    assert model.rowCount() == 0
    model.set_filter(IncidentFilter(case_id=case.id, vessel="9216470"))
    assert model.rowCount() == 1


def test_each_page_costs_the_same_few_queries(qapp, ctx, sample_case):
    """No per-row queries: loading a page full of participants costs what an empty page costs."""
    case, _ = sample_case
    bulk_incidents(ctx, case.id, 1000, with_vessels=True)
    model = IncidentTableModel(ctx, page_size=100)
    model.set_filter(IncidentFilter(case_id=case.id))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(ctx.store.engine, "before_cursor_execute", listener)
    try:
        counts = []
        for page in (0, 3, 9):
            before = len(statements)
            for r in range(page * 100, page * 100 + 100):
                model.index(r, IncidentTableModel.VESSELS).data()
            counts.append(len(statements) - before)
    finally:
        event.remove(ctx.store.engine, "before_cursor_execute", listener)
    assert counts[0] == counts[1] == counts[2] <= 5, counts
    assert model.index(0, IncidentTableModel.VESSELS).data() != ""


def test_small_models_pass_qtmodeltester(qapp, qtmodeltester):
    ev = EvidenceModel(thumbnail=lambda sha, mt: None)
    ev.set_rows(
        [
            EvidenceItem(
                "e1",
                "photo",
                "a.jpg",
                "sat",
                datetime(2024, 1, 1, tzinfo=UTC),
                "ab" * 32,
                "image/jpeg",
                "B",
                2,
                "supports",
                "",
                ("demo",),
            ),
            EvidenceItem("e2", "ais", "t.csv", "", None, "cd" * 32, "text/csv", None, None, "contradicts", ""),
        ]
    )
    qtmodeltester.check(ev)
    assert ev.index(0, EvidenceModel.GRADING).data() == "B2" and ev.index(1, EvidenceModel.GRADING).data() == "??"
    assert ev.index(0, EvidenceModel.SHA).data() == "abababababab"
    parts = ParticipantModel()
    parts.set_rows(
        [
            ParticipantItem(
                "v1",
                "receiver",
                "SONGHAE 7",
                9147368,
                445127000,
                "North Korea",
                "OCEAN BREEZE 8",
                "Sierra Leone",
                None,
                667001234,
            )
        ]
    )
    qtmodeltester.check(parts)
    reviews = ReviewHistoryModel()
    reviews.set_rows(
        [ReviewItem(datetime(2024, 1, 1, tzinfo=UTC), "a", "suspected", "under_review", "transition", "why")]
    )
    qtmodeltester.check(reviews)
    assert reviews.index(0, ReviewHistoryModel.CHANGE).data() == "suspected → under review"
    caselist = CaseListModel()
    caselist.set_rows([cases.CaseRow("c1", "Demo", "DEMO DATA", False, True, 3, 1)])
    qtmodeltester.check(caselist)
    assert "[DEMO]" in caselist.index(0).data()


def test_participant_bad_imo_is_marked_with_expected_digit(qtbot):
    parts = ParticipantModel()
    parts.set_rows(
        [ParticipantItem("v1", "receiver", "SONGHAE 7", 9147368, 445127000, "North Korea", "", "", None, None)]
    )
    requests = []
    parts.editRequested.connect(lambda *a: requests.append(a))
    cell = parts.index(0, ParticipantModel.CLAIMED_IMO)
    parts.setData(cell, "9147360")
    assert requests == []
    assert cell.data() == "9147360"
    assert "expected 8 as the last digit" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    parts.setData(cell, "IMO 9147368")
    assert requests == [("v1", "claimed_imo", 9147368)]
    assert parts.index(0, 0).parent() == QModelIndex()
