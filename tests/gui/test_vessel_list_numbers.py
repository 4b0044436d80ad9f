"""Tools ▸ Vessels: filtering by any number (a malformed seven-digit MMSI, an IMO failing its
check digit) shows the matches, or none, and never raises."""

import pytest

from evidence_app.services import vessels
from evidence_app.storage import audit
from evidence_app.storage.models import Vessel
from evidence_app.ui.vessel_page import VesselListDialog, VesselListModel

pytestmark = pytest.mark.gui


def test_filter_by_numbers_never_raises(qtbot, ctx):
    vessels.add_vessel(ctx, imo=9216470, name="NEW REGENT")
    with ctx.store.write() as s:
        s.add(vessel := Vessel(mmsi=1234567, mmsi_as_given="1234567", name="", flag=""))
        s.flush()
        audit.record(
            s, ctx.actor, "test.vessel_as_imported", "vessel", vessel.id
        )  # every write is audited (or refused)
    dialog = VesselListDialog(ctx)
    qtbot.addWidget(dialog)
    for text, expected in (
        ("1234567", ["1234567 (malformed)"]),
        ("IMO 1234568", []),
        ("9216470", [""]),
        ("12345678901234567890", []),
    ):
        dialog.filter_edit.setText(text)  # textChanged reloads synchronously
        shown = [dialog.model.data(dialog.model.index(r, VesselListModel.MMSI)) for r in range(dialog.model.rowCount())]
        assert shown == expected, text
