"""A photo against AIS: the vessels in its footprint at capture time, and a marked hull with no AIS flagged as dark."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from evidence_app.cli import main
from evidence_app.domain.errors import ValidationError
from evidence_app.services import imports, photo_ais, photo_annotations, photo_import, photo_placement, photos
from evidence_app.storage.models import AuditEntry, Incident

START = datetime(2023, 7, 1, tzinfo=UTC)
CAPTURE = START + timedelta(hours=4, minutes=7, seconds=30)  # between two reports
CENTRE = (12.0, 60.0)  # Arabian Sea, far from any coast
GSD = 2.0
W, H = 2000, 1500  # 4 km by 3 km on the ground
R = 6_371_008.8


def _offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (
        CENTRE[0] + math.degrees(north_m / R),
        CENTRE[1] + math.degrees(east_m / R / math.cos(math.radians(CENTRE[0]))),
    )


def _pixel(north_m: float, east_m: float) -> tuple[float, float]:
    return W / 2 + east_m / GSD, H / 2 - north_m / GSD


def _write_ais(path) -> None:
    """Two tankers lie 150 m apart near the centre; a tug steams north-east through the frame; a ship lies 6 km off."""
    rows = []
    t = START
    while t <= START + timedelta(hours=8):
        h = (t - START).total_seconds() / 3600
        rows.append((311000001, t, *_offset(0, -75), 0.2, "TANKER ONE"))
        rows.append((311000002, t, *_offset(0, 75), 0.3, "TANKER TWO"))
        along = (h - 4.125) * 8 * 1852  # 8 kn, at (400 m N, 400 m E) at capture time
        rows.append((311000003, t, *_offset(400 + along / math.sqrt(2), 400 + along / math.sqrt(2)), 8.0, "TUG"))
        rows.append((311000004, t, *_offset(6000, 0), 0.1, "FAR AWAY"))
        t += timedelta(minutes=5)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO"])
        for mmsi, ts, la, lo, sog, name in rows:
            w.writerow([mmsi, ts.strftime("%Y-%m-%dT%H:%M:%S"), f"{la:.6f}", f"{lo:.6f}", sog, 0, 0, name, ""])


@pytest.fixture
def photo_case(ctx, sample_case, tmp_path):
    _, incident = sample_case
    ais = tmp_path / "ais.csv"
    _write_ais(ais)
    imports.import_ais(ctx, [ais])
    image = tmp_path / "frame.png"
    picture = Image.new("RGB", (W, H), (20, 40, 70))
    for north, east in ((0, -75), (0, 75), (-1200, 1500)):  # two tankers and one unlit hull
        x, y = _pixel(north, east)
        picture.paste((200, 200, 200), (int(x - 30), int(y - 8), int(x + 30), int(y + 8)))
    picture.save(image)
    ev = photo_import.import_photo(ctx, incident.id, image)
    photo_placement.place_by_hand(ctx, ev.id, center=CENTRE, gsd_m=GSD)
    photo_placement.set_capture_time(ctx, ev.id, CAPTURE)
    boxes = {}
    for label, (north, east) in (("tanker one", (0, -75)), ("unlit hull", (-1200, 1500))):
        x, y = _pixel(north, east)
        boxes[label] = photo_annotations.add_annotation(ctx, ev.id, "box", [[x - 30, y - 8], [x + 30, y + 8]], label)[
            "id"
        ]
    photo_annotations.add_annotation(ctx, ev.id, "arrow", [[10, 10], [50, 50]], "not a hull")
    return ev.id, incident.id, boxes


def test_the_vessels_in_the_footprint_at_capture_time_and_the_dark_hull(ctx, photo_case):
    evidence_id, incident_id, boxes = photo_case
    check = photo_ais.check_photo(ctx, evidence_id)
    assert [v.mmsi for v in check.vessels] == [311000001, 311000002, 311000003]  # nearest the centre first
    one, two, tug = check.vessels
    assert one.distance_m == pytest.approx(75, abs=3) and two.distance_m == pytest.approx(75, abs=3)
    assert tug.distance_m == pytest.approx(math.hypot(400, 400), abs=15)  # interpolated between 04:05 and 04:10
    assert tug.heading_deg == pytest.approx(45, abs=1) and tug.name == "TUG"
    hulls = {h.annotation_id: h for h in check.hulls}
    assert set(hulls) == set(boxes.values())  # the arrow is not a hull
    tanker = hulls[boxes["tanker one"]]
    assert not tanker.dark and tanker.nearest_mmsi == 311000001 and tanker.nearest_m < 20
    dark = hulls[boxes["unlit hull"]]
    assert dark.dark and dark.nearest_m > 1500
    assert dark.lat == pytest.approx(_offset(-1200, 1500)[0], abs=1e-4)
    with ctx.store.read() as session:
        assert "dark_vessel" not in (session.get(Incident, incident_id).indicators or [])  # checking records nothing


def test_recording_the_check_flags_the_incident_once_and_audits_it(ctx, photo_case):
    evidence_id, incident_id, _ = photo_case
    check = photo_ais.flag_dark_vessels(ctx, evidence_id)
    assert len(check.dark) == 1
    photo_ais.flag_dark_vessels(ctx, evidence_id)
    with ctx.store.read() as session:
        incident = session.get(Incident, incident_id)
        assert "dark_vessel" in incident.indicators
        updates = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "incident.update", AuditEntry.entity_id == incident_id)
        ).all()
        assert len(updates) == 1 and "no AIS within 1,500 m" in updates[0].payload
    info = photos.photo_info(ctx, evidence_id)
    assert info["meta"]["ais_check"]["dark"] == 1


def test_a_matched_hull_is_not_dark_and_a_photo_without_time_is_refused(ctx, photo_case, sample_case):
    evidence_id, incident_id, boxes = photo_case
    photo_annotations.delete_annotation(ctx, boxes["unlit hull"])
    assert photo_ais.flag_dark_vessels(ctx, evidence_id).dark == []
    with ctx.store.read() as session:
        assert "dark_vessel" not in (session.get(Incident, incident_id).indicators or [])
    photo_placement.set_capture_time(ctx, evidence_id, None)
    with pytest.raises(ValidationError, match="no capture time"):
        photo_ais.check_photo(ctx, evidence_id)


def test_cli_photo_vessels(ctx, photo_case, capsys):
    evidence_id, _, _ = photo_case
    code = main(["--db", str(_db_path(ctx)), "photo", "vessels", evidence_id[:8]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "3 vessel(s) in the footprint" in out and "DARK VESSEL" in out and "311000003 TUG" in out
    code = main(["--db", str(_db_path(ctx)), "--json", "photo", "vessels", evidence_id, "--record"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["dark"] == 1 and [v["mmsi"] for v in data["vessels"]][:2] == [311000001, 311000002]


def _db_path(ctx):
    return ctx.store.url
