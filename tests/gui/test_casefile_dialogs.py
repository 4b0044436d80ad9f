"""File ▸ Export / Import case file driven through the window: reports, merges, conflicts, refusals."""

import json
import os
import zipfile

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import select, text

from evidence_app.services import casefiles, incident_queries, incidents
from evidence_app.services.context import Context
from evidence_app.storage import audit
from evidence_app.storage.db import open_store
from evidence_app.storage.models import MergeConflict
from evidence_app.ui.conflicts_dialog import ConflictListModel, RecordDiffModel
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, ctx, sample_case, tmp_path):
    w = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "log" / "desk.log",
    )
    qtbot.addWidget(w)
    yield w
    w.runner.shutdown()


@pytest.fixture
def laptop(tmp_path):
    store = open_store(tmp_path / "laptop" / "store.sqlite")
    yield Context(store, "field-analyst")
    store.close()


def actions(ctx):
    with ctx.store.read() as s:
        return [e.action for e in audit.iter_entries(s)]


def export_through_dialog(qtbot, window, kind, path, fmt_index=0, only_confirmed=False):
    dialog = window.casefiles.open_export(kind)
    dialog.format_combo.setCurrentIndex(fmt_index)
    dialog.path_edit.setText(str(path))
    dialog.only_confirmed.setChecked(only_confirmed)
    dialog.accept()
    assert window.casefiles.task is not None
    qtbot.waitUntil(lambda: window.casefiles.task is None, timeout=30000)
    return window.casefiles.last_result


def test_exports_write_each_format_and_are_audited(qtbot, window, ctx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = export_through_dialog(qtbot, window, "case", out / "case.evcase", only_confirmed=True)
    assert (out / "case.evcase").is_file() and result.incidents == 0  # nothing is confirmed yet
    with zipfile.ZipFile(out / "case.evcase") as zf:
        assert json.loads(zf.read("manifest.json"))["scope"] == "confirmed"
    export_through_dialog(qtbot, window, "report", out / "report", fmt_index=0)
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    export_through_dialog(qtbot, window, "report", out / "report.html", fmt_index=1)
    assert "STS south of Dalian" in (out / "report.html").read_text()
    export_through_dialog(qtbot, window, "geo", out / "case.kml", fmt_index=0)
    export_through_dialog(qtbot, window, "geo", out / "case.geojson", fmt_index=1)
    assert json.loads((out / "case.geojson").read_text())["type"] == "FeatureCollection"
    assert "<kml" in (out / "case.kml").read_text()
    assert [a for a in actions(ctx) if a.startswith("casefile.")] == [
        "casefile.export",
        "casefile.report",
        "casefile.report",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "case.evcase",
        "case.geojson",
        "case.kml",
        "report.html",
        "report.pdf",
    ]


def test_export_to_a_missing_folder_is_refused_at_the_dialog(qtbot, window, tmp_path):
    dialog = window.casefiles.open_export("report")
    dialog.path_edit.setText(str(tmp_path / "nope" / "r.pdf"))
    dialog.accept()
    assert "does not exist" in dialog.error_label.text() and window.casefiles.task is None
    dialog.reject()


def test_import_merges_then_conflicts_are_resolved_side_by_side(qtbot, window, ctx, sample_case, laptop, tmp_path):
    case, incident = sample_case
    to_field = tmp_path / "to-field.evcase"
    casefiles.export_case(ctx, case.id, to_field, with_report=False)
    casefiles.import_case(laptop, to_field)
    incidents.update_incident(laptop, incident.id, lat=36.60, lon=124.00, title="STS south of Dalian (field check)")
    back = tmp_path / "from-field.evcase"
    casefiles.export_case(laptop, case.id, back, with_report=False)
    incidents.update_incident(ctx, incident.id, title="STS south of Dalian (desk revision)", radius_m=900)

    window.casefiles.start_import(back)
    qtbot.waitUntil(lambda: window.casefiles.task is None, timeout=20000)
    summary = window.casefiles.summary
    assert summary is not None and summary.figures["conflicts"] == 1
    assert summary.resolve_button.isVisibleTo(summary)
    summary.resolve_button.click()
    dialog = window.casefiles.conflicts_dialog
    assert dialog is not None and dialog.conflicts.rowCount() == 1
    assert dialog.conflicts.index(0, ConflictListModel.RECORD).data() == "STS south of Dalian (field check)"
    diff = dialog.diff
    rows = {
        diff.index(r, 0).data(): (
            diff.index(r, 1).data(),
            diff.index(r, 2).data(),
            diff.index(r, 0).data(RecordDiffModel.DiffersRole),
        )
        for r in range(diff.rowCount())
    }
    assert rows["title"] == ("STS south of Dalian (desk revision)", "STS south of Dalian (field check)", True)
    assert rows["lat"][2] and rows["case id"] == (case.id, case.id, False)
    assert diff.index(0, 0).data(RecordDiffModel.DiffersRole)  # differing fields come first
    dialog.only_diff.setChecked(True)
    assert all(diff.index(r, 0).data(RecordDiffModel.DiffersRole) for r in range(diff.rowCount()))
    dialog.resize(1000, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.only_diff.setChecked(False)
    image = dialog.grab().toImage()
    assert image.save(str(tmp_path / "conflicts.png"))
    if os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR"):
        image.save(os.path.join(os.environ["EVIDENCE_DESK_SCREENSHOT_DIR"], "conflicts.png"))

    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    assert dialog.conflicts.rowCount() == 0 and dialog.empty_label.isVisibleTo(dialog)
    stored = incident_queries.get_incident(ctx, incident.id)
    assert (stored.title, stored.lat) == ("STS south of Dalian (field check)", 36.60)
    assert actions(ctx)[-1] == "casefile.conflict_resolved"
    with ctx.store.read() as s:
        assert s.scalar(select(MergeConflict.resolution)) == "take-incoming"
    assert window.detail.header.text() == "STS south of Dalian (field check)" or window.current_incident != incident.id


def test_keep_mine_keeps_the_local_record(qtbot, window, ctx, sample_case, laptop, tmp_path):
    case, incident = sample_case
    f = tmp_path / "a.evcase"
    casefiles.export_case(ctx, case.id, f, with_report=False)
    casefiles.import_case(laptop, f)
    incidents.update_incident(laptop, incident.id, title="theirs")
    g = tmp_path / "b.evcase"
    casefiles.export_case(laptop, case.id, g, with_report=False)
    incidents.update_incident(ctx, incident.id, title="mine")
    casefiles.import_case(ctx, g)
    dialog = window.casefiles.open_conflicts()
    assert dialog.conflicts.rowCount() == 1
    dialog.keep_button.click()
    assert incident_queries.get_incident(ctx, incident.id).title == "mine"
    assert casefiles.list_conflicts(ctx) == []


def test_a_tampered_case_file_is_refused_with_the_reason_and_writes_nothing(qtbot, window, ctx, sample_case, tmp_path):
    case, _ = sample_case
    good = tmp_path / "good.evcase"
    casefiles.export_case(ctx, case.id, good, with_report=False)
    bad = tmp_path / "tampered.evcase"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "records/case.json":
                data = data.replace(b"STS south of Dalian", b"STS north of Dalian")
            zout.writestr(info, data)

    def snapshot():
        with ctx.store.read() as s:
            return [
                s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("cases", "incidents", "evidence", "audit_entries", "merge_conflicts")
            ]

    before = snapshot()
    window.casefiles.start_import(bad)
    qtbot.waitUntil(lambda: window.casefiles.task is None, timeout=20000)
    box = window.last_error_box
    assert box is not None and "records/case.json" in box.text() and "SHA-256" in box.text().upper()
    assert window.casefiles.summary is None
    assert snapshot() == before
    box.close()


def test_the_import_summary_shows_who_signed_and_whether_the_key_is_known(
    qtbot, window, ctx, sample_case, laptop, tmp_path
):
    from evidence_app.storage import signing

    case, _ = sample_case
    f = tmp_path / "to-field.evcase"
    casefiles.export_case(ctx, case.id, f, with_report=False)
    casefiles.import_case(laptop, f)
    back = tmp_path / "from-field.evcase"
    casefiles.export_case(laptop, case.id, back, with_report=False)
    field_key = signing.load_key("field-analyst")
    window.casefiles.start_import(back)
    qtbot.waitUntil(lambda: window.casefiles.summary is not None, timeout=20000)
    summary = window.casefiles.summary
    shown = summary.summary.text()
    assert summary.signer_text == "Signed by field-analyst"
    assert field_key.fingerprint in shown and "New key: never seen in this store" in shown
    summary.resize(720, summary.sizeHint().height())
    qtbot.waitExposed(summary)
    image = summary.grab().toImage()
    assert image.save(str(tmp_path / "import-signed.png"))
    if os.environ.get("EVIDENCE_DESK_SCREENSHOT_DIR"):
        image.save(os.path.join(os.environ["EVIDENCE_DESK_SCREENSHOT_DIR"], "import-signed.png"))
    summary.close()
    window.casefiles.summary = None
    # The same sender again: the key is now one this store has seen.
    casefiles.export_case(laptop, case.id, back, with_report=False)
    window.casefiles.start_import(back)
    qtbot.waitUntil(lambda: window.casefiles.summary is not None, timeout=20000)
    assert "Key seen before in this store" in window.casefiles.summary.summary.text()
    window.casefiles.summary.close()


def test_an_unsigned_file_is_shown_as_unsigned_with_its_warnings(qtbot, window, laptop, tmp_path):
    from datetime import UTC, datetime

    from evidence_app.casefile.export import export_case as write_case_file
    from evidence_app.services import cases, review

    field_case = cases.create_case(laptop, "Field notes")
    inc = incidents.add_incident(
        laptop,
        field_case.id,
        start_utc=datetime(2019, 4, 2, tzinfo=UTC),
        lat=37.0,
        lon=124.0,
        title="Seen from the patrol boat",
    )
    review.review(laptop, inc.id, "under_review", rationale="photos pending")
    old = tmp_path / "older-version.evcase"
    write_case_file(
        laptop.store, field_case.id, old, exported_by="field-analyst", with_report=False
    )  # as older versions wrote
    window.casefiles.start_import(old)
    qtbot.waitUntil(lambda: window.casefiles.summary is not None, timeout=20000)
    summary = window.casefiles.summary
    assert summary.signer_text.startswith("Unsigned")
    assert "unsigned case file" in summary.summary.text()
    summary.resize(720, summary.sizeHint().height())
    qtbot.waitExposed(summary)
    assert summary.grab().toImage().save(str(tmp_path / "import-unsigned.png"))
    summary.close()


def test_conflict_models_pass_qtmodeltester(qapp, qtmodeltester):
    conflict = {
        "id": "c1",
        "case_id": "k",
        "record_type": "incident",
        "record_id": "r" * 36,
        "fields": {"title": {}, "lat": {}},
        "created_at": "2024-05-15T10:00:00+00:00",
        "local_record": {"title": "a", "lat": 1.0, "tags": ["x"], "version": 3},
        "incoming_record": {"title": "b", "lat": 2.0, "tags": ["x"], "version": 4},
        "peer_store_id": "p",
        "resolution": None,
    }
    listing = ConflictListModel()
    listing.set_rows([conflict])
    qtmodeltester.check(listing)
    diff = RecordDiffModel()
    diff.set_conflict(conflict)
    qtmodeltester.check(diff)
    assert [diff.index(r, 0).data() for r in range(diff.rowCount())] == [
        "lat",
        "title",
        "tags",
    ]  # version is bookkeeping
    assert diff.index(2, 1).data() == '["x"]'


def test_a_case_built_from_registry_sdn_and_ais_imports_arrives_through_file_import_case_file(
    qtbot, ctx, tmp_path, capsys, monkeypatch
):
    """The committee's desk, an empty store: File ▸ Import Case File… takes the analyst's imported case whole,
    and a later file's detached evidence and removed participant are gone from it."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QFileDialog

    from evidence_app.cli import main
    from evidence_app.services import evidence as evidence_svc
    from tests.unit.casefile.test_casefile_imported_case import build_imported_case

    db = str(tmp_path / "workstation.sqlite")
    case_id = build_imported_case(capsys, db, tmp_path / "files")
    analyst = Context(open_store(db), "analyst-a")
    try:
        (incident,) = incident_queries.list_incidents(analyst)
        photo = tmp_path / "files" / "sts.png"
        from PIL import Image

        Image.new("RGB", (40, 30), (20, 60, 90)).save(photo)
        evidence_svc.attach_files(analyst, incident.id, [photo], kind="photo")
        first = tmp_path / "first.evcase"
        assert main(["--db", db, "export", "case", case_id, str(first), "--no-report"]) == 0

        w = MainWindow(
            ctx,
            settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
            log_path=tmp_path / "log" / "desk.log",
        )
        qtbot.addWidget(w)
        try:
            chosen = [first]
            monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(chosen[0]), "")))
            (action,) = [a for a in w.findChildren(QAction) if a.text() == "Import Case &File…"]
            action.trigger()
            qtbot.waitUntil(lambda: w.casefiles.task is None and w.casefiles.summary is not None, timeout=30000)
            assert w.casefiles.summary.figures["conflicts"] == 0
            assert casefiles.dump_case(ctx, case_id) == casefiles.dump_case(analyst, case_id)
            w.casefiles.summary.close()

            # The analyst detaches the photo and removes a participant; the next file carries both deletions.
            (photo_id,) = [link.evidence_id for link in incident_queries.get_incident(analyst, incident.id).links]
            evidence_svc.detach(analyst, incident.id, photo_id)
            incidents.remove_participant(analyst, incident.id, "9216470")
            chosen[0] = tmp_path / "second.evcase"
            # Exported as the first file was (same reviewer, so same signing key).
            assert main(["--db", db, "export", "case", case_id, str(chosen[0]), "--no-report"]) == 0
            w.casefiles.summary = None
            action.trigger()
            qtbot.waitUntil(
                lambda: w.casefiles.task is None and (w.casefiles.summary is not None or w.last_error_box is not None),
                timeout=30000,
            )
            assert w.last_error_box is None, w.last_error_box.text()
            assert "Deleted" in w.casefiles.summary.summary.text()
            here = incident_queries.get_incident(ctx, incident.id)
            assert here.links == [] and [p.vessel.imo for p in here.participants] == [9123453]
            assert casefiles.dump_case(ctx, case_id) == casefiles.dump_case(analyst, case_id)
        finally:
            w.runner.shutdown()
    finally:
        analyst.store.close()
