"""File ▸ Open Demo opens the demo case in a window of its own, on its own store: the user's store is untouched."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import func, select

from evidence_app.services import cases
from evidence_app.storage.models import AisPosition, AuditEntry, Case, Vessel
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _contents(store):
    with store.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t)) for t in (AuditEntry, Case, Vessel, AisPosition)
        )


def test_open_demo_leaves_the_real_store_untouched(qtbot, ctx, tmp_path):
    cases.create_case(ctx, "Real work")
    before = _contents(ctx.store)
    home = MainWindow(
        ctx,
        settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat),
        log_path=tmp_path / "desk.log",
        with_map=False,
    )
    qtbot.addWidget(home)
    home.show()
    file_menu = next(a.menu() for a in home.menuBar().actions() if a.text() == "&File")
    next(a for a in file_menu.actions() if a.text() == "Open &Demo").trigger()
    qtbot.waitUntil(lambda: home.demo.window is not None, timeout=30000)
    shown = home.demo.window
    assert shown is not home and shown.ctx.store is not ctx.store
    assert shown.list_panel.model.rowCount() == 3 and shown.demo_label.isVisible()
    assert "DEMO" in shown.windowTitle()
    demo_store = shown.ctx.store

    assert _contents(ctx.store) == before
    assert [c.title for c in cases.list_cases(ctx)] == ["Real work"]
    assert home.list_panel.cases.rowCount() == 1

    shown.close()  # its end-of-session checkpoint goes to the demo store, not the user's
    qtbot.waitUntil(lambda: home.demo.window is None, timeout=5000)
    assert _contents(ctx.store) == before
    assert demo_store.location.sqlite_path.name == "store.demo.sqlite"
