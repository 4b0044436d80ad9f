"""A case file tells nothing about the machine it came from, and explains itself to whoever opens the zip."""

from __future__ import annotations

import csv
import getpass
import json
import shutil
import subprocess
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evidence_app.services import casefiles, cases, detect, evidence, imports, incidents, photo_import
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store

START = datetime(2023, 6, 1, tzinfo=UTC)
SDN = (
    '36111,"CHON MA SAN","vessel","DPRK3","-0-","HMYF5","Crude Oil Tanker","-0-","-0-","Korea, North",'
    '"-0-","Vessel Registration Identification IMO 8660313; Linked To: KOREA."\n'
)


def _meeting_ais(path: Path) -> None:
    """Two vessels wait 150 m apart at sea for three hours, as AIS in the MarineCadastre layout."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        t = START
        while t <= START + timedelta(hours=12):
            hours = (t - START).total_seconds() / 3600
            off = 0.0 if 4 <= hours <= 7 else (hours - 4 if hours < 4 else hours - 7) * 0.1
            sog = 0.3 if off == 0 else 6.0
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S")
            out.writerow([445123000, stamp, round(30.0 + off, 6), -40.0, sog, 0, 0, "CHON MA SAN", "IMO8660313"])
            out.writerow([352001234, stamp, round(30.00135 - off, 6), -40.0, sog, 0, 0, "NEW REGENT", ""])
            t += timedelta(minutes=10)


def _photo(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 160), (18, 52, 86))
    ImageDraw.Draw(img).rectangle([80, 70, 170, 90], fill=(220, 60, 40))
    img.save(path)
    return path


@pytest.fixture(scope="module")
def analyst_export(tmp_path_factory: pytest.TempPathFactory):
    """A case built as an analyst builds one, from files in a source folder, exported through the service."""
    tmp_path = tmp_path_factory.mktemp("analyst")
    source = tmp_path / "analyst-source-folder"
    source.mkdir()
    store = open_store(tmp_path / "private-store-folder" / "store.sqlite")
    ctx = Context(store, "analyst-a")
    try:
        (source / "sdn.csv").write_text(SDN)
        imports.import_vessels(ctx, source / "sdn.csv")
        (source / "registry.csv").write_text("imo,mmsi,name,flag\n9216470,352001234,NEW REGENT,Panama\n")
        imports.import_vessels(ctx, source / "registry.csv")
        _meeting_ais(source / "meeting_ais.csv")
        imports.import_ais(ctx, [source / "meeting_ais.csv"])
        case = cases.create_case(ctx, "Private case", caveat="OFFICIAL-SENSITIVE")
        run = detect.run_detection(ctx, "encounters")
        assert run.detections, "the AIS was written to hold one encounter"
        detect.create_incidents_from_detections(ctx, case.id, run.detections)
        inc = incidents.add_incident(
            ctx,
            case.id,
            start_utc=START,
            lat=30.0,
            lon=-40.0,
            radius_m=500,
            title="Sighting",
            participants=[incidents.ParticipantSpec("8660313", "receiver")],
        )
        photo_import.import_photo(ctx, inc.id, _photo(source / "pass_1.png"))
        (source / "notes.txt").write_text("a note from the field\n")
        evidence.attach_files(ctx, inc.id, [source / "notes.txt"])
        out = tmp_path / "export" / "case.evcase"
        out.parent.mkdir()
        result = casefiles.export_case(ctx, case.id, out)
        yield {"path": out, "result": result, "source": source, "store": tmp_path / "private-store-folder", "ctx": ctx}
    finally:
        store.close()


def _entry_texts(path: Path, tmp_path: Path) -> dict[str, bytes]:
    """Every entry's bytes as stored, plus the PDF's extracted text (its streams are compressed)."""
    texts: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            texts[name] = zf.read(name)
    pdf = texts.get("report/report.pdf")
    if pdf is not None and shutil.which("pdftotext"):
        target = tmp_path / "private.pdf"
        target.write_bytes(pdf)
        texts["report/report.pdf (text)"] = subprocess.run(
            ["pdftotext", str(target), "-"], check=True, capture_output=True
        ).stdout
    return texts


def test_no_entry_names_the_exporting_machines_folders(analyst_export, tmp_path: Path):
    texts = _entry_texts(analyst_export["path"], tmp_path)
    assert "records/case.json" in texts and "report/report.pdf" in texts
    secrets = {
        "store folder": str(analyst_export["store"]),
        "source folder": str(analyst_export["source"]),
        "source folder name": analyst_export["source"].name,
        "home folder": str(Path.home()) + "/",
        "temporary folder": tempfile.gettempdir().rstrip("/") + "/",
    }
    user = getpass.getuser()
    for name, data in texts.items():
        for what, secret in secrets.items():
            assert secret.encode() not in data, f"{name} contains the {what} {secret!r}"
        if user not in ("analyst-a",) and len(user) >= 4:
            assert user.encode() not in data, f"{name} contains the OS user name {user!r}"
    # What stays: the original file names, and the reviewer name in the records.
    records = texts["records/case.json"].decode("utf-8")
    for original in ("pass_1.png", "notes.txt", "meeting_ais.csv", "sdn.csv", "registry.csv"):
        assert original in records
    assert "analyst-a" in texts["records/audit.jsonl"].decode("utf-8")


def test_readme_explains_the_file_and_indexes_the_evidence(analyst_export):
    with zipfile.ZipFile(analyst_export["path"]) as zf:
        readme = zf.read("README.txt").decode("utf-8")
        names = zf.namelist()
    assert "README.txt" in names and "SHA256SUMS" in names
    assert "Evidence Review case file" in readme and "Private case" in readme and "OFFICIAL-SENSITIVE" in readme
    assert "sha256sum -c SHA256SUMS" in readme
    for original, kind in (("pass_1.png", "photo"), ("notes.txt", "document"), ("meeting_ais.csv", "ais")):
        line = next(row for row in readme.splitlines() if original in row)
        assert kind in line
        assert "evidence/" in line
    photo_line = next(row for row in readme.splitlines() if "pass_1.png" in row)
    assert "Sighting" in photo_line  # the incident it belongs to


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum is not installed")
def test_sha256sum_checks_an_extracted_export_without_this_program(analyst_export, tmp_path: Path):
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(analyst_export["path"]) as zf:
        zf.extractall(folder)
    done = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()}
    in_manifest = {f["path"] for f in json.loads((folder / "manifest.json").read_text())["files"]}
    assert in_manifest - listed == {"SHA256SUMS"}  # every entry the manifest lists, but the sums themselves
    # The check can fail: one changed byte in an evidence file is reported.
    victim = next(folder.glob("evidence/*.png"))
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    failed = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert failed.returncode == 1 and victim.name in failed.stdout


def test_an_export_with_readme_and_sums_imports_into_a_fresh_store(workstation, new_store, tmp_path: Path):
    ws, ids = workstation
    out = tmp_path / "plain.evcase"
    casefiles.export_case(ws, ids["case"], out)
    with zipfile.ZipFile(out) as zf:
        assert {"README.txt", "SHA256SUMS"} <= set(zf.namelist())
    report = casefiles.import_case(new_store("committee"), out)
    assert report.new_case and report.added["incident"] == 2
