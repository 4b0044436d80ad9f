"""File ▸ Add Basemap…: the chosen MBTiles file joins the map's basemaps and the shared list."""

import sqlite3

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from evidence_app.services import basemaps
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def make_mbtiles(path, name="Nampo approaches"):
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
    )
    conn.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("name", name), ("format", "png"), ("minzoom", "0"), ("maxzoom", "1"), ("bounds", "124.5,38.4,125.6,39.0")],
    )
    conn.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", (b"\x89PNG tile",))
    conn.commit()
    conn.close()
    return path


def test_add_basemap_from_the_file_menu(qtbot, ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_CONFIG", str(tmp_path / "config"))
    chart = make_mbtiles(tmp_path / "nampo.mbtiles")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(chart), "MBTiles (*.mbtiles)"))
    window = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "log" / "desk.log",
    )
    qtbot.addWidget(window)
    try:
        assert window.add_basemap_action.text() == "Add &Basemap…"
        window.add_basemap_action.trigger()
        assert [b.name for b in basemaps.list_basemaps()] == ["Nampo approaches"]
        assert [t.name for t in window.desk_map.view.site.basemaps] == ["Nampo approaches"]
        assert "Nampo approaches" in window.statusBar().currentMessage()
        # A second window (the next start) finds it in the shared list.
        again = MainWindow(
            ctx,
            settings=QSettings(str(tmp_path / "desk2.ini"), QSettings.Format.IniFormat),
            log_path=tmp_path / "log" / "desk.log",
        )
        qtbot.addWidget(again)
        try:
            assert [t.name for t in again.desk_map.view.site.basemaps] == ["Nampo approaches"]
        finally:
            again.runner.shutdown()
    finally:
        window.runner.shutdown()
