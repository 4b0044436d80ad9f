"""File ▸ Import driven as a user would: choose files, check the column mapping, import, read the report."""

import json
import os

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import func, select

from evidence_app.domain.errors import ValidationError
from evidence_app.storage import audit
from evidence_app.storage.models import AisPosition, Designation, Evidence, Incident, Vessel
from evidence_app.ui.import_dialogs import ImportDialog, ImportRequest
from evidence_app.ui.main_window import MainWindow

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


def count(ctx, model):
    with ctx.store.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def actions(ctx):
    with ctx.store.read() as s:
        return [(e.action, json.loads(e.payload)) for e in audit.iter_entries(s)]


def save_screenshot(widget, name, tmp_path):
    image = widget.grab().toImage()
    assert image.save(str(tmp_path / name))
    extra = os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR")
    if extra:
        image.save(os.path.join(extra, name))
    return image


def run_dialog(qtbot, window, dialog):
    dialog.accept()
    task = window.imports.task
    assert task is not None
    qtbot.waitUntil(lambda: window.imports.task is None, timeout=20000)
    return task


def test_ais_import_through_the_dialog_and_again_as_already_imported(qtbot, window, ctx, shared_data, tmp_path):
    sample = shared_data / "ais" / "marinecadastre_2023-01-11_sample.csv"
    dialog = window.imports.open_dialog("ais")
    dialog.add_files([sample])
    table = dialog.mapping
    assert table.isVisibleTo(dialog)
    assert table.combos["time"].currentText() == "BaseDateTime" and table.combos["beam"].currentText() == "Width"
    assert table.item(0, table.STATE).text() == "detected"
    run_dialog(qtbot, window, dialog)
    report = window.imports.report_dialog
    assert report is not None and report.report.read == 1000
    assert report.figures["imported"].accessibleName() == "imported: 1000"
    assert not report.banner.isVisibleTo(report)
    assert count(ctx, AisPosition) == 1000
    ais_entries = [p for a, p in actions(ctx) if a == "import.ais"]
    assert len(ais_entries) == 1 and ais_entries[0]["read"] == 1000
    report.close()

    again = window.imports.open_dialog("ais")
    again.add_files([sample])
    run_dialog(qtbot, window, again)
    report = window.imports.report_dialog
    assert report.banner.isVisibleTo(report) and "Already imported" in report.banner.text()
    assert count(ctx, AisPosition) == 1000


def test_nmea_with_base_time_reports_problems_by_file_and_line(qtbot, window, ctx, shared_data, tmp_path):
    dialog = window.imports.open_dialog("ais")
    dialog.add_files([shared_data / "ais" / "nmea_messy" / "mixed.txt", shared_data / "ais" / "nmea_aegean_sample.txt"])
    assert not dialog.mapping.isVisibleTo(dialog) and "not a CSV" in dialog.mapping_note.text()
    dialog.base_time.setText("not a time")
    dialog.accept()
    assert dialog.error_label.isVisibleTo(dialog) and window.imports.task is None  # refused at the field
    dialog.base_time.setText("2023-01-11 00:00")
    run_dialog(qtbot, window, dialog)
    report = window.imports.report_dialog
    r = report.report
    assert r.skipped.get("empty_payload") == 100 and r.skipped.get("bad_checksum") == 2
    assert report.problems.count() >= 10
    assert report.problems.item(0).text().startswith("mixed.txt:7: line is not an AIS sentence")  # file:line: reason
    assert any(
        report.problems.item(i).text().startswith("nmea_aegean_sample.txt:") for i in range(report.problems.count())
    )
    skipped = report.counts.topLevelItem(1)
    assert skipped.text(0) == "Skipped" and int(skipped.text(1).replace(",", "")) == sum(r.skipped.values())
    report.resize(720, 600)
    report.show()
    qtbot.waitExposed(report)
    image = save_screenshot(report, "import_report.png", tmp_path)
    assert image.width() >= 700


def test_unknown_columns_must_be_mapped_before_import(qtbot, window, ctx, tmp_path):
    f = tmp_path / "positionen.csv"
    f.write_text(
        "Schiff,Zeit,Breite,Laenge\n211000000,2023-01-01T00:00:00,54.1,10.2\n211000000,2023-01-01T00:10:00,54.2,10.3\n211000000,nie,54.3,10.4\n"
    )
    dialog = window.imports.open_dialog("ais")
    dialog.add_files([f])
    assert dialog.mapping.missing() == ["mmsi", "time", "lat", "lon"]
    with pytest.raises(ValidationError, match="MMSI, Time, Latitude, Longitude"):
        dialog.request()
    dialog.accept()
    assert "choose the CSV column" in dialog.error_label.text()
    for name, column in (("mmsi", "Schiff"), ("time", "Zeit"), ("lat", "Breite"), ("lon", "Laenge")):
        dialog.mapping.set_column(name, column)
    assert dialog.request().mapping == {"mmsi": "Schiff", "time": "Zeit", "lat": "Breite", "lon": "Laenge"}
    run_dialog(qtbot, window, dialog)
    r = window.imports.report_dialog.report
    assert (r.read, sum(r.imported.values()), r.skipped) == (3, 2, {"bad_time": 1})
    assert r.problems == [
        "positionen.csv:4: time missing or not understood (time 'nie' not understood: expected ISO 8601, epoch seconds or DD/MM/YYYY)"
    ] or r.problems[0].startswith("positionen.csv:4:")


def test_cancelled_import_leaves_nothing(qtbot, window, ctx, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("MMSI,BaseDateTime,LAT,LON,SOG\n")
        for i in range(400_000):
            fh.write(
                f"{211000000 + i % 500},2023-01-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d},54.{i % 1000:03d},10.{i % 997:03d},5.0\n"
            )
    before = [a for a, _ in actions(ctx)]
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    task = window.imports.start(ImportRequest("ais", [str(big)]))
    seen = []
    task.progress.connect(lambda d, t, m: seen.append(m))
    qtbot.waitUntil(lambda: any("positions" in m for m in seen), timeout=20000)
    task.progress_dialog.findChild(QPushButton).click()  # the user presses Cancel
    qtbot.waitUntil(lambda: window.imports.task is None, timeout=20000)
    assert window.last_error_box is None, window.last_error_box.text()
    assert any("cancelled: nothing was imported" in m.lower() for m in messages), messages
    assert count(ctx, AisPosition) == 0 and count(ctx, Evidence) == 0 and count(ctx, Vessel) == 0
    assert [a for a, _ in actions(ctx)] == before
    assert window.imports.report_dialog is None


def test_registry_and_events_into_the_chosen_case(qtbot, window, ctx, sample_case, tmp_path):
    case, _ = sample_case
    sdn = tmp_path / "SDN.CSV"
    sdn.write_text(
        '36,"CHON MA SAN","vessel","DPRK3","-0-","HMXX","Oil Products Tanker","-0-","-0-","Korea, North","-0-","IMO 9123453; MMSI 445123000."\n'
    )
    dialog = window.imports.open_dialog("vessels")
    dialog.add_files([sdn])
    assert not dialog.mapping.isVisibleTo(dialog)
    run_dialog(qtbot, window, dialog)
    assert count(ctx, Designation) == 1
    assert window.imports.report_dialog.report.created["designations"] == 1

    events = tmp_path / "encounters.csv"
    events.write_text(
        "start_time,end_time,lat,lon,vessel_1,vessel_2\n2019-03-20T01:00:00Z,2019-03-20T05:00:00Z,37.1,124.2,IMO 9123453,352001234\n"
    )
    dialog = window.imports.open_dialog("events")
    assert dialog.case_combo.currentData() == case.id
    dialog.add_files([events])
    assert dialog.mapping.combos["vessel_a"].currentText() == "vessel_1"
    run_dialog(qtbot, window, dialog)
    with ctx.store.read() as s:
        imported = s.scalars(select(Incident).where(Incident.case_id == case.id, Incident.status == "suspected")).all()
    assert len(imported) == 2  # the fixture's incident and the imported one
    assert window.list_panel.model.rowCount() == 2
    assert [a for a, _ in actions(ctx) if a.startswith("import.")] == ["import.vessels", "import.incidents"]
    # The sanctioned receiver carries its badge in the list's Vessels column.
    model = window.list_panel.model
    rows = [model.index(r, model.VESSELS).data(model.SanctionedRole) for r in range(model.rowCount())]
    assert all(rows) and all("CHON MA SAN" in r for r in rows)


def test_dialog_for_events_without_a_case_refuses(qtbot, tmp_path):
    dialog = ImportDialog("events", [], None)
    qtbot.addWidget(dialog)
    f = tmp_path / "e.csv"
    f.write_text("start,lat,lon,vessel_a,vessel_b\n")
    dialog.add_files([f])
    with pytest.raises(ValidationError, match="case"):
        dialog.request()
    QApplication.processEvents()
