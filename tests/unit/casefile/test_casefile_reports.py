"""Reports and map exports: the PDF renders with maps, photos and tables; HTML is self-contained; KML parses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from evidence_app.casefile.staticmap import MapSpec, render_map, rings_from_geojson
from evidence_app.services import casefiles


@pytest.fixture
def full_export(workstation, tmp_path: Path) -> tuple[Path, dict]:
    ws, ids = workstation
    out = tmp_path / "report-case.evcase"
    casefiles.export_case(ws, ids["case"], out)
    return out, ids


def test_pdf_report_has_caveat_on_every_page_and_renders_to_png(full_export, tmp_path: Path):
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed (tools/ensure-system-packages.sh installs it)")
    out, _ = full_export
    with zipfile.ZipFile(out) as zf:
        pdf = zf.read("report/report.pdf")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) >= 3
    for page in pages:
        assert page.count("OFFICIAL-SENSITIVE") >= 2  # header and footer
    assert "STS south of Dalian" in text and "CHON MA SAN" in text and "XIN YUAN 18" in text
    assert "hoses" in text and "imagery shows two hulls alongside" in text
    prefix = tmp_path / "report"
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(prefix)], check=True)
    pngs = sorted(tmp_path.glob("report-*.png"))
    assert len(pngs) == len(pages)
    # Keep a copy to look at by eye (see docs/casefile.md); not asserted on.
    for png in pngs:
        shutil.copy(png, Path("/tmp") / png.name)
    from PIL import Image

    with Image.open(pngs[1]) as page2:  # the first incident: map and photo make it colourful
        colours = len(page2.convert("RGB").getcolors(1 << 20) or [])
    assert colours > 500


def test_html_report_is_self_contained_and_escapes_user_text(full_export):
    out, _ = full_export
    with zipfile.ZipFile(out) as zf:
        html = zf.read("report/report.html").decode("utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert html.count("data:image/png;base64,") >= 3  # two maps and the photo
    assert "&lt;b&gt;not&lt;/b&gt; HTML" in html and "<b>not</b>" not in html
    assert html.count("OFFICIAL-SENSITIVE") >= 2


def test_kml_parses_with_fastkml_and_has_timed_tracks(full_export):
    from fastkml import kml

    out, ids = full_export
    with zipfile.ZipFile(out) as zf:
        data = zf.read("geo/case.kml")
        geo = json.loads(zf.read("geo/case.geojson"))
    doc = kml.KML.from_string(data)
    document = list(doc.features)[0]
    folders = {f.name: f for f in document.features}
    assert set(folders) == {"Incidents", "AIS tracks", "Evidence footprints"}
    incidents = list(folders["Incidents"].features)
    assert len(incidents) == 2
    assert incidents[0].times is not None
    assert len(list(folders["AIS tracks"].features)) == 2
    assert data.count(b"<when>") >= 80
    kinds = sorted(f["properties"]["kind"] for f in geo["features"])
    assert kinds.count("incident") == 2 and kinds.count("track") == 2 and "evidence" in kinds
    footprint = next(
        f for f in geo["features"] if f["properties"]["kind"] == "evidence" and f["geometry"]["type"] == "Polygon"
    )
    assert footprint["id"] == ids["photo"]


def test_static_map_uses_land_when_given_and_sea_when_not():
    spec = MapSpec(lat=36.55, lon=123.95, radius_m=1500)
    sea = render_map(spec, land=None)
    island = rings_from_geojson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[123.9, 36.5], [124.0, 36.5], [124.0, 36.6], [123.9, 36.5]]],
                    },
                }
            ],
        }
    )
    with_land = render_map(spec, land=island)
    assert sea[:8] == b"\x89PNG\r\n\x1a\n" and sea != with_land
