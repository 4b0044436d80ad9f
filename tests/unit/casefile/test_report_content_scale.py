"""Report content: a page per reviewed incident and a table for the rest; detections described as what they are."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from evidence_app.services import casefiles, cases, detect, imports, review

START = datetime(2023, 6, 1, tzinfo=UTC)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)))


def _meeting_ais(path: Path) -> None:
    """Two vessels wait 150 m apart at sea (30 N, 40 W: far from any coast) for three hours."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        t = START
        while t <= START + timedelta(hours=12):
            hours = (t - START).total_seconds() / 3600
            off = 0.0 if 4 <= hours <= 7 else (hours - 4 if hours < 4 else hours - 7) * 0.1
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S")
            out.writerow(
                [445123000, stamp, round(30.0 + off, 6), -40.0, 0.3 if off == 0 else 6.0, 0, 0, "CHON MA SAN", ""]
            )
            out.writerow(
                [352001234, stamp, round(30.00135 - off, 6), -40.0, 0.3 if off == 0 else 6.0, 0, 0, "NEW REGENT", ""]
            )
            t += timedelta(minutes=10)


@pytest.fixture
def detected_case(ctx, tmp_path: Path):
    """An encounter found by the detector (shore check off, so the report must work the distance out), reviewed."""
    ais = tmp_path / "meeting_ais.csv"
    _meeting_ais(ais)
    imports.import_ais(ctx, [ais])
    case = cases.create_case(ctx, "Detected", caveat="OFFICIAL")
    run = detect.run_detection(ctx, "encounters", params=detect.EncounterParams(min_shore_m=0))
    created = detect.create_incidents_from_detections(ctx, case.id, run.detections)
    incident_id = created.created[0]
    review.review(ctx, incident_id, "under_review", rationale="worth a look")
    return case.id, run.detections[0]


def test_detection_is_described_once_with_closest_approach_and_distance_from_shore(ctx, detected_case, tmp_path: Path):
    case_id, det = detected_case
    out = tmp_path / "report.html"
    casefiles.export_report(ctx, case_id, out, fmt="html")
    text = _text(out.read_text(encoding="utf-8"))
    closest = det.metrics["min_distance_m"]
    assert re.search(rf"Closest approach\s+{closest:,.0f} m between the vessels", text)
    assert "Position uncertainty" not in text  # the circle is the closest approach, not an uncertainty
    assert re.search(r"Distance from shore\s+[\d,.]+ km \(from the Natural Earth 1:10m coastline\)", text)
    params = [k for k in det.parameters if not isinstance(det.parameters[k], dict)]
    assert params, det.parameters
    for key in params:
        assert text.count(f" {key} ") == 1, key  # each parameter once, under its own name
    assert ".json)" not in text  # no report file name glued to every key


def test_a_large_case_has_pages_for_reviewed_incidents_and_a_table_for_the_rest(ctx, tmp_path: Path):
    case = cases.create_case(ctx, "Many", caveat="OFFICIAL")
    events = tmp_path / "events.csv"
    with events.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["start", "end", "lat", "lon", "vessel_1", "vessel_2"])
        for i in range(40):
            t0 = START + timedelta(hours=i)
            out.writerow(
                [t0.strftime("%Y-%m-%dT%H:%M:%SZ"), "", f"{30 + i * 0.01:.3f}", "125.0", 412000000 + i, 413000000 + i]
            )
    imports.import_incidents(ctx, events, case.id)
    from sqlalchemy import select

    from evidence_app.storage.models import Incident

    with ctx.store.read() as s:
        ids = list(s.scalars(select(Incident.id).where(Incident.case_id == case.id).order_by(Incident.start_utc)))
    review.review(ctx, ids[3], "under_review", rationale="check")
    review.review(ctx, ids[7], "under_review", rationale="check")
    review.review(ctx, ids[7], "rejected", rationale="port call")
    html_path = tmp_path / "r.html"
    casefiles.export_report(ctx, case.id, html_path, fmt="html")
    html = html_path.read_text(encoding="utf-8")
    text = _text(html)
    assert re.findall(r"<h2>Incident (\d+):", html) == ["4", "8"]  # numbered by their place in the case
    assert "Incidents not reviewed yet (38)" in text
    assert (
        re.search(r"suspected\s+38", text) and re.search(r"under review\s+1", text) and re.search(r"rejected\s+1", text)
    )
    assert html.count("data:image/png;base64,") == 3  # two incident maps and one overview map
    pdf_path = tmp_path / "r.pdf"
    casefiles.export_report(ctx, case.id, pdf_path, fmt="pdf")
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "Incident 4:" in pdf and "Incident 8:" in pdf and "Incident 5:" not in pdf
        assert "Incidents not reviewed yet (38)" in pdf
        assert (
            len(
                re.findall(
                    r"^\s*\d+\s+2023-06-0\d \d\d:00\s+suspected\s+Encounter MMSI 41\d+ / MMS.*30\.\d+, 125\.0000\s+–\s+MMSI 41\d+",
                    pdf,
                    flags=re.M,
                )
            )
            == 38
        )
