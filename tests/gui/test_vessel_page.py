"""The vessel page and the sanction badges: opened from a participant, renames marked, incidents selectable."""

import os
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import select

from evidence_app.services import demo, vessels
from evidence_app.storage import audit
from evidence_app.storage.models import Designation, Vessel, VesselIdentity
from evidence_app.ui.main_window import MainWindow
from evidence_app.ui.models.detail_models import ParticipantModel
from evidence_app.ui.vessel_page import (
    DesignationModel,
    IdentityHistoryModel,
    VesselIncidentModel,
    VesselListModel,
    VesselPage,
    identity_rows,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, ctx, tmp_path):
    w = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "log" / "desk.log",
    )
    qtbot.addWidget(w)
    yield w
    w.runner.shutdown()


def designate(ctx, imo, program="DPRK3", reference="SDN 40123 (demo)"):
    with ctx.store.write() as s:
        vessel = s.scalar(select(Vessel).where(Vessel.imo == imo))
        s.add(
            Designation(
                vessel_id=vessel.id,
                authority="OFAC",
                program=program,
                reference=reference,
                listed_on=datetime(2018, 2, 23, tzinfo=UTC),
                remarks="Vessel subject to the DPRK sanctions (demo entry)",
            )
        )
        audit.record(s, ctx.actor, "test.designate", "vessel", vessel.id)  # every write is audited (or refused)
        return vessel.id


def add_history(ctx, vessel_id):
    with ctx.store.write() as s:
        s.add_all(
            [
                VesselIdentity(
                    vessel_id=vessel_id,
                    name="KUM UN 2",
                    flag="Mongolia",
                    mmsi=457000111,
                    call_sign="JVXX7",
                    first_seen=datetime(2012, 1, 5, tzinfo=UTC),
                    last_seen=datetime(2016, 6, 1, tzinfo=UTC),
                    source="AIS",
                ),
                VesselIdentity(
                    vessel_id=vessel_id,
                    name="CHON MA SAN",
                    flag="North Korea",
                    mmsi=445123000,
                    call_sign="HMXX",
                    first_seen=datetime(2016, 7, 1, tzinfo=UTC),
                    last_seen=datetime(2019, 3, 11, tzinfo=UTC),
                    source="AIS",
                ),
            ]
        )
        audit.record(s, ctx.actor, "test.identity_history", "vessel", vessel_id)


def test_participant_double_click_opens_the_page_with_badge_history_and_incidents(qtbot, window, ctx, sample_case):
    case, incident = sample_case
    vessel_id = designate(ctx, 9123453)
    add_history(ctx, vessel_id)
    window.refresh()
    window.show()
    window.select_incident(incident.id)
    parts = window.detail.participants
    row = next(r for r in range(parts.rowCount()) if parts.index(r, ParticipantModel.VESSEL).data() == "CHON MA SAN")
    cell = parts.index(row, ParticipantModel.VESSEL)
    # the sanctioned participant wears its badge in the detail
    assert cell.data(Qt.ItemDataRole.DecorationRole) is not None
    assert "SANCTIONED: OFAC DPRK3 (SDN 40123 (demo))" in cell.data(Qt.ItemDataRole.ToolTipRole)
    other = parts.index(1 - row, ParticipantModel.VESSEL)
    assert other.data(Qt.ItemDataRole.DecorationRole) is None
    # ... and in the list's Vessels column
    model = window.list_panel.model
    assert model.index(0, model.VESSELS).data(Qt.ItemDataRole.DecorationRole) is not None
    assert "CHON MA SAN" in model.index(0, model.VESSELS).data(Qt.ItemDataRole.ToolTipRole)

    view = window.detail.participant_view
    rect = view.visualRect(cell)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )  # Qt's double-click needs the press first
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    page = window.vessel_page
    assert page is not None and page.isVisible()
    assert page.title.text() == "CHON MA SAN"
    assert page.badge.isVisible() and page.badge.text() == "SANCTIONED — OFAC DPRK3"
    assert page.designations.index(0, DesignationModel.REFERENCE).data() == "SDN 40123 (demo)"
    assert page.designations.index(0, DesignationModel.LISTED).data() == "2018-02-23"
    assert page.identity_labels["imo"].text() == "9123453"
    assert "North Korea" in page.identity_labels["flag"].text()
    # the second identity is a rename, a reflagging, a new MMSI and call sign: marked, with the old value
    history = page.history
    assert history.rowCount() == 2
    assert history.index(1, IdentityHistoryModel.CHANGE).data() == "renamed, reflagged, new MMSI, new call sign"
    assert history.index(1, IdentityHistoryModel.NAME).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert history.index(1, IdentityHistoryModel.NAME).data(Qt.ItemDataRole.ToolTipRole) == "Was KUM UN 2 before"
    assert history.index(0, IdentityHistoryModel.NAME).data(Qt.ItemDataRole.BackgroundRole) is None
    assert page.incidents.rowCount() == 1 and page.incidents.index(0, VesselIncidentModel.ROLE).data() == "receiver"

    tracks = []
    window.vesselTrackRequested.connect(tracks.append)
    qtbot.mouseClick(page.track_button, Qt.MouseButton.LeftButton)
    assert tracks == [445123000]

    window.select_incident(None)
    index = page.incidents.index(0, VesselIncidentModel.TITLE)
    page.incident_view.doubleClicked.emit(index)
    assert window.current_incident == incident.id
    assert window.list_panel.selected_incident_id() == incident.id


def test_vessel_list_and_its_page(qtbot, window, ctx, sample_case):
    designate(ctx, 9216470, program="DPRK4")
    dialog = window.open_vessel_list()
    assert dialog.model.rowCount() == 2 and "1 sanctioned" in dialog.count_label.text()
    regent = next(r for r in range(2) if dialog.model.index(r, VesselListModel.NAME).data() == "NEW REGENT")
    assert dialog.model.index(regent, VesselListModel.SANCTIONS).data() == "SANCTIONED"
    dialog.filter_edit.setText("CHON")
    assert dialog.model.rowCount() == 1
    dialog.vesselActivated.emit(dialog.model.index(0, 0).data(VesselListModel.IdRole))
    assert window.vessel_page.title.text() == "CHON MA SAN" and not window.vessel_page.badge.isVisible()


def test_models_pass_qtmodeltester(qapp, qtmodeltester, ctx, sample_case):
    vessel_id = designate(ctx, 9123453)
    add_history(ctx, vessel_id)
    profile = vessels.vessel_profile(ctx, "9123453")
    for model, rows in (
        (IdentityHistoryModel(), identity_rows(profile.identities)),
        (DesignationModel(), profile.designations),
        (VesselIncidentModel(), profile.incidents),
        (VesselListModel(), vessels.vessel_rows(ctx)),
    ):
        model.set_rows(rows)
        assert model.rowCount() >= 1
        qtmodeltester.check(model)


def test_screenshot_of_the_demo_receiver(qtbot, window, ctx, tmp_path):
    (tmp_path / "work").mkdir()
    demo.create_demo_case(ctx, tmp_path / "work")
    designate(ctx, 9147368, reference="SDN 99017 (demo)")
    window.resize(1400, 900)
    page = window.open_vessel_page("9147368")
    assert isinstance(page, VesselPage)
    page.resize(920, 680)
    qtbot.waitExposed(page)
    assert page.history.index(1, IdentityHistoryModel.CHANGE).data() == "renamed, reflagged, new MMSI"
    assert "MID hint: North Korea" in page.identity_labels["flag"].text()
    image = page.grab().toImage()
    assert image.save(str(tmp_path / "vessel_page.png"))
    if os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR"):
        image.save(os.path.join(os.environ["EVIDENCE_DESK_SCREENSHOT_DIR"], "vessel_page.png"))
    page.close()
