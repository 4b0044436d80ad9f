"""The live desk: another client's writes appear without a restart, the selection is kept,
and a poll that cannot reach the server says so in the status bar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings

from evidence_app.services import cases, incident_queries, incidents
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store
from evidence_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def live_window(make_window):
    """A desk without the map that polls for other clients' changes every 100 ms."""

    def make():  # noqa: ANN202
        window = make_window(with_map=False)
        window.live.set_interval(100)
        window.show()
        return window

    return make


@pytest.mark.backends
def test_another_clients_incident_and_edit_appear_and_the_selection_stays(qtbot, live_window, ctx, store_url, tmp_path):
    case = cases.create_case(ctx, "Yellow Sea 2019")
    mine = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), title="Mine")
    window = live_window()
    window.list_panel.reload_cases(select_id=case.id)
    window.select_incident(mine.id)
    assert window.list_panel.model.rowCount() == 1

    other = open_store(store_url)
    try:
        colleague = Context(other, "colleague")
        incidents.add_incident(colleague, case.id, start_utc=datetime(2019, 5, 2, tzinfo=UTC), title="Theirs")
        incidents.update_incident(colleague, mine.id, title="Mine, retitled by a colleague")
    finally:
        other.close()

    title = window.detail.fields["title"][0]
    qtbot.waitUntil(
        lambda: window.list_panel.model.rowCount() == 2 and title.text() == "Mine, retitled by a colleague",
        timeout=10000,
    )
    assert window.current_incident == mine.id
    assert window.list_panel.selected_incident_id() == mine.id
    assert window.live.connected and not window.live.label.isVisible()


def test_a_half_typed_edit_is_not_overwritten_by_a_refresh(qtbot, live_window, ctx, store_url, tmp_path):
    case = cases.create_case(ctx, "Yellow Sea 2019")
    mine = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), title="Mine")
    window = live_window()
    window.list_panel.reload_cases(select_id=case.id)
    window.select_incident(mine.id)
    notes = window.detail.fields["title"][0]
    notes.setFocus()
    qtbot.waitUntil(notes.hasFocus, timeout=5000)
    notes.setText("My title, being typed")
    refreshed = []
    window.live.refreshed.connect(lambda: refreshed.append(1))

    other = open_store(store_url)
    try:
        incidents.add_incident(Context(other, "colleague"), case.id, start_utc=datetime(2019, 5, 2, tzinfo=UTC))
    finally:
        other.close()
    # Polls see the change but hold the reload while the field has focus ...
    qtbot.waitUntil(lambda: window.live.last_marker != ctx.store.change_marker() and window.live.polls >= 3)
    assert notes.text() == "My title, being typed" and not refreshed
    # ... and once the edit is committed (focus leaves) the list catches up, with the edit saved.
    window.list_panel.view.setFocus()
    qtbot.waitUntil(lambda: window.list_panel.model.rowCount() == 2, timeout=10000)
    assert incident_queries.get_incident(ctx, mine.id).title == "My title, being typed"
    assert window.current_incident == mine.id


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_lost_server_is_named_the_edit_is_kept_and_saved_when_it_is_back(
    qtbot, live_window, pg_server, ctx, tmp_path
):
    case = cases.create_case(ctx, "Yellow Sea 2019")
    mine = incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), title="Mine")
    window = live_window()
    window.list_panel.reload_cases(select_id=case.id)
    window.select_incident(mine.id)
    title = window.detail.fields["title"][0]
    window.list_panel.flush_timeline()  # the list's pending recount reads the store: done before the stop

    pg_server.stop()
    try:
        qtbot.waitUntil(lambda: not window.live.connected, timeout=10000)
        label = window.live.label.text()
        assert "Connection to postgresql" in label and "lost" in label and window.live.label.isVisible()
        title.setText("Edited while the server was down")
        assert not window.detail.commit("title")  # not saved ...
        assert title.text() == "Edited while the server was down"  # ... but kept in the field
        assert len(window.live.pending) == 1 and "1 unsaved edit" in window.live.label.text()
        assert window.last_error_box is None  # said in the status bar, not a modal box
    finally:
        pg_server.start()

    qtbot.waitUntil(lambda: window.live.connected and not window.live.pending, timeout=15000)
    assert incident_queries.get_incident(ctx, mine.id).title == "Edited while the server was down"
    assert not window.live.label.isVisible()
    qtbot.waitUntil(lambda: window.list_panel.model.index(0, 1).data() == "Edited while the server was down")
    assert window.current_incident == mine.id


def test_the_map_draws_another_clients_incident(qtbot, ctx, store_url, tmp_path):
    import json

    case = cases.create_case(ctx, "Yellow Sea 2019")
    incidents.add_incident(ctx, case.id, start_utc=datetime(2019, 3, 11, tzinfo=UTC), lat=36.5, lon=124.0)
    window = MainWindow(
        ctx, settings=QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat), log_path=tmp_path / "d.log"
    )
    qtbot.addWidget(window)
    window.live.set_interval(100)
    window.show()
    window.list_panel.reload_cases(select_id=case.id)
    qtbot.waitUntil(lambda: window.desk_map.ready, timeout=30000)

    def drawn() -> int:
        box: dict = {}
        window.desk_map.view.run_js("EvidenceMap.state()", lambda result: box.setdefault("r", result))
        qtbot.waitUntil(lambda: "r" in box, timeout=5000)
        return json.loads(box["r"])["counts"]["incidents"]

    qtbot.waitUntil(lambda: drawn() == 1, timeout=10000)
    other = open_store(store_url)
    try:
        incidents.add_incident(
            Context(other, "colleague"), case.id, start_utc=datetime(2019, 3, 12, tzinfo=UTC), lat=36.9, lon=124.2
        )
    finally:
        other.close()
    qtbot.waitUntil(lambda: drawn() == 2, timeout=10000)
