"""GeoJSON and KML exports read by independent libraries: RFC 7946 at ±180°, well-formed XML, no Infinity."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from evidence_app.services import casefiles, cases, evidence, imports, incidents

START = datetime(2024, 2, 1, tzinfo=UTC)
HOSTILE_TITLE = "Tanker \x1b[2J\x07 alongside \x00 \ufffe end"


def _ais_across_the_antimeridian(path: Path) -> None:
    """One vessel steaming east across 180° in the Bering Sea (MarineCadastre layout)."""
    lines = ["MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO"]
    for i in range(13):
        lon = 179.4 + i * 0.1
        lon = lon - 360 if lon > 180 else lon
        stamp = (START + timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%S")
        lines.append(f"273123000,{stamp},{52.0 + i * 0.01:.4f},{lon:.4f},10,90,90,BERING TANKER,")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def dateline_case(ctx, tmp_path: Path):
    """A case at the antimeridian built through the services, then damaged behind the app's back."""
    from evidence_app.services import vessels

    case = cases.create_case(ctx, "Bering Sea", caveat="OFFICIAL")
    vessels.add_vessel(ctx, mmsi=273123000, name="BERING TANKER")
    inc = incidents.add_incident(
        ctx,
        case.id,
        start_utc=START,
        end_utc=START + timedelta(hours=6),
        lat=52.03,
        lon=179.95,
        radius_m=800,
        title="STS on the date line",
        participants=[incidents.ParticipantSpec("273123000", "supplier")],
    )
    ais = tmp_path / "bering_ais.csv"
    _ais_across_the_antimeridian(ais)
    imports.import_ais(ctx, [ais])
    evidence.attach_files(ctx, inc.id, [ais])
    note = tmp_path / "scene.txt"
    note.write_text("scene footprint\n")
    item = evidence.attach_files(ctx, inc.id, [note]).attached[0]
    evidence.update_evidence(
        ctx,
        item,
        footprint={
            "type": "Polygon",
            "coordinates": [[[179.8, 51.9], [-179.8, 51.9], [-179.8, 52.1], [179.8, 52.1], [179.8, 51.9]]],
        },
    )
    return case.id, inc.id, item


def _geojson(ctx, case_id: str, tmp_path: Path) -> dict:
    out = tmp_path / "case.geojson"
    casefiles.export_geo(ctx, case_id, out, fmt="geojson")

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON (RFC 8259)")

    return json.loads(out.read_text(encoding="utf-8"), parse_constant=refuse)


def _max_step(coords: list[list[float]]) -> float:
    return max((abs(b[0] - a[0]) for a, b in zip(coords, coords[1:], strict=False)), default=0.0)


def test_geojson_splits_tracks_and_footprints_at_the_antimeridian(ctx, dateline_case, tmp_path: Path):
    import geojson
    from shapely.geometry import shape

    case_id, _, item = dateline_case
    data = _geojson(ctx, case_id, tmp_path)
    parsed = geojson.loads(json.dumps(data))
    assert parsed.is_valid, parsed.errors()
    by_kind = {
        f["properties"]["kind"]: f for f in data["features"] if f["properties"]["kind"] != "evidence" or f["id"] == item
    }
    track = by_kind["track"]["geometry"]
    assert track["type"] == "MultiLineString" and len(track["coordinates"]) == 2
    west, east = track["coordinates"]
    assert west[-1][0] == 180.0 and east[0][0] == -180.0 and west[-1][1] == pytest.approx(east[0][1])
    times = by_kind["track"]["properties"]["coordTimes"]
    assert [len(t) for t in times] == [len(west), len(east)]
    footprint = by_kind["evidence"]["geometry"]
    assert footprint["type"] == "MultiPolygon" and len(footprint["coordinates"]) == 2
    for feature in data["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid, feature
        minx, miny, maxx, maxy = geom.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    # Nothing drawn across the world: the track is 1.2° long, not 358°.
    assert shape(track).length < 1.5 and max(_max_step(line) for line in track["coordinates"]) < 1
    # The two halves of the scene add up to the 0.4° × 0.2° it covers.
    assert shape(footprint).area == pytest.approx(0.4 * 0.2, rel=1e-6)
    for polygon in footprint["coordinates"]:  # RFC 7946 §3.1.6: exterior rings counterclockwise
        ring = polygon[0]
        assert sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False)) > 0


def test_kml_splits_the_track_into_a_multitrack_and_parses(ctx, dateline_case, tmp_path: Path):
    from fastkml import kml
    from lxml import etree

    case_id, _, _ = dateline_case
    out = tmp_path / "case.kml"
    casefiles.export_geo(ctx, case_id, out, fmt="kml")
    root = etree.fromstring(out.read_bytes())
    ns = {"k": "http://www.opengis.net/kml/2.2", "gx": "http://www.google.com/kml/ext/2.2"}
    multi = root.findall(".//gx:MultiTrack", ns)
    assert len(multi) == 1 and len(multi[0].findall("gx:Track", ns)) == 2
    for track in multi[0].findall("gx:Track", ns):
        lons = [float(c.text.split()[0]) for c in track.findall("gx:coord", ns)]
        assert len(track.findall("k:when", ns)) == len(lons)
        assert max(abs(b - a) for a, b in zip(lons, lons[1:], strict=False)) < 1
    assert len(root.findall(".//k:MultiGeometry/k:Polygon", ns)) == 2
    kml.KML.from_string(out.read_bytes())


def _damage(ctx, sql: str, **params) -> None:
    with ctx.store.write() as session:
        session.execute(text(sql), params)


def test_control_characters_never_reach_the_kml_or_the_reports(ctx, dateline_case, tmp_path: Path):
    """Names stored with ESC, BEL, NUL and U+FFFE (behind the app's back) give well-formed KML and clean reports."""
    from lxml import etree

    case_id, inc_id, item = dateline_case
    _damage(ctx, "UPDATE incidents SET title = :t WHERE id = :i", t=HOSTILE_TITLE, i=inc_id)
    _damage(ctx, "UPDATE vessels SET name = :t", t="BELL\x07SHIP")
    _damage(ctx, "UPDATE evidence SET original_name = :t WHERE id = :i", t="scene\x1b]0;x\x07.txt", i=item)
    _damage(ctx, "UPDATE cases SET caveat = :t", t="OFFICIAL\x1b[5m")
    kml_path = tmp_path / "case.kml"
    casefiles.export_geo(ctx, case_id, kml_path, fmt="kml")
    data = kml_path.read_bytes()
    root = etree.fromstring(data)  # raises on any character XML 1.0 forbids
    assert b"\x1b" not in data and b"\x07" not in data and b"\x00" not in data
    names = [n.text for n in root.iter("{http://www.opengis.net/kml/2.2}name")]
    assert "Tanker \\x1b[2J\\x07 alongside \\x00 \\ufffe end" in names
    html_path = tmp_path / "report.html"
    casefiles.export_report(ctx, case_id, html_path, fmt="html")
    html = html_path.read_text(encoding="utf-8")
    assert not any(c in html for c in "\x1b\x07\x00\ufffe")
    assert "Tanker \\x1b[2J\\x07 alongside" in html and "BELL\\x07SHIP" in html
    pdf_path = tmp_path / "report.pdf"
    casefiles.export_report(ctx, case_id, pdf_path, fmt="pdf")
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(["pdftotext", str(pdf_path), "-"], check=True, capture_output=True, text=True).stdout
        assert "\x1b" not in pdf_text and "\x07" not in pdf_text
        assert "BELL\\x07SHIP" in pdf_text


@pytest.mark.parametrize("radius", [math.inf, 1e308, -1e308])
def test_an_absurd_radius_stored_behind_the_apps_back_neither_hangs_nor_writes_infinity(
    ctx, dateline_case, tmp_path: Path, radius
):
    """SQLite stores inf; the exports write null (RFC 8259 has no Infinity) and the report finishes."""
    import subprocess
    import sys

    case_id, inc_id, _ = dateline_case
    _damage(ctx, "UPDATE incidents SET radius_m = :r WHERE id = :i", r=radius, i=inc_id)
    data = _geojson(ctx, case_id, tmp_path)
    incident = next(f for f in data["features"] if f["properties"]["kind"] == "incident")
    assert incident["properties"]["radius_m"] is None
    casefiles.export_geo(ctx, case_id, tmp_path / "case.kml", fmt="kml")
    assert b"inf" not in (tmp_path / "case.kml").read_bytes().lower().replace(b"information", b"")
    db = ctx.store.location.sqlite_path
    for fmt in ("pdf", "html"):
        out = tmp_path / f"report.{fmt}"
        done = subprocess.run(
            [sys.executable, "-m", "evidence_app", "--db", str(db), "export", "report", case_id, str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 1000
    out = tmp_path / "whole.evcase"
    if math.isfinite(radius):
        casefiles.export_case(ctx, case_id, out)
        assert out.is_file()
    else:  # JSON cannot carry it: a located refusal, not a crash half-way
        from evidence_app.domain.errors import ValidationError

        with pytest.raises(ValidationError, match=f"incident {inc_id} holds radius_m = inf"):
            casefiles.export_case(ctx, case_id, out)
        assert not out.exists() and not list(tmp_path.glob(".whole.evcase*"))
