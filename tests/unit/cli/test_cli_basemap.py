"""``evidence-app basemap add FILE.mbtiles | list | remove``: the user's own offline basemaps."""

import json
import sqlite3
from pathlib import Path

import pytest

from evidence_app.cli import main
from evidence_app.services import basemaps


def make_mbtiles(path: Path, name: str = "Nampo approaches") -> Path:
    """A small raster MBTiles file as gdal / QGIS write them (metadata + TMS-ordered tiles)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
    )
    conn.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [
            ("name", name),
            ("format", "png"),
            ("minzoom", "0"),
            ("maxzoom", "1"),
            ("bounds", "124.5,38.4,125.6,39.0"),
            ("type", "baselayer"),
            ("version", "1.1"),
        ],
    )
    conn.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", (b"\x89PNG tile",))
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("EVIDENCE_APP_CONFIG", str(tmp_path / "config"))

    def _run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_add_list_remove(run, tmp_path):
    chart = make_mbtiles(tmp_path / "nampo.mbtiles")
    code, out, err = run("basemap", "add", str(chart))
    assert code == 0, err
    assert "Nampo approaches" in out
    code, out, _ = run("basemap", "list", "--json")
    listed = json.loads(out)
    assert [(b["name"], b["path"], b["minzoom"], b["maxzoom"]) for b in listed] == [
        ("Nampo approaches", str(chart.resolve()), 0, 1)
    ]
    code, _, err = run("basemap", "add", str(chart))
    assert code == 1 and "already a basemap" in err
    code, out, _ = run("basemap", "remove", "1")
    assert code == 0 and "removed" in out and chart.exists()
    code, out, _ = run("basemap", "list")
    assert "no basemaps" in out


def test_a_file_that_is_not_mbtiles_is_refused_in_one_line(run, tmp_path):
    bad = tmp_path / "notes.mbtiles"
    bad.write_text("not a tile package")
    code, _, err = run("basemap", "add", str(bad))
    assert code == 1 and "not an MBTiles file" in err and err.count("\n") == 1
    code, _, err = run("basemap", "remove", "nothing")
    assert code == 1 and "no basemap 'nothing'" in err


def test_a_missing_file_is_reported_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_CONFIG", str(tmp_path / "config"))
    chart = make_mbtiles(tmp_path / "nampo.mbtiles")
    basemaps.add_basemap(chart)
    chart.unlink()
    opened, problems = basemaps.open_basemaps()
    assert opened == [] and len(problems) == 1 and "Nampo approaches" in problems[0]
