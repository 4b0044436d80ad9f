"""File ▸ Open Team Database…: the URL is checked, remembered without its password, and the desk
opens on the database as the login, with the evidence folder the database records."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from evidence_app.services import cases, team
from evidence_app.services.context import Context
from evidence_app.storage.db import open_store
from evidence_app.ui.team_database import SETTINGS_KEY

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "no database URL"),
        ("not a url", "is not a database URL"),
        ("sqlite:///cases.sqlite", "'sqlite' is not a team database"),
        ("postgresql://alice@dbhost", "names no database"),
    ],
)
def test_a_bad_url_is_refused_in_the_dialog_and_nothing_opens(qtbot, make_window, ctx, tmp_path, typed, says):
    window = make_window(with_map=False)
    dialog = window.team_db.choose()
    dialog.url_edit.setText(typed)
    dialog.accept()
    assert dialog.isVisible() and says in dialog.error.text() and "postgresql+psycopg://" in dialog.error.text()
    assert window.team_db.window is None and window.settings.value(SETTINGS_KEY) is None
    dialog.reject()


@pytest.mark.slow
def test_the_desk_opens_on_the_team_database_as_the_login_and_remembers_the_url(
    qtbot, make_window, ctx, tmp_path, pg_server, pg_url, monkeypatch
):
    database = make_url(pg_url).database
    admin_store = open_store(pg_url, objects_dir=tmp_path / "shared")
    team.init_team(Context(admin_store, "admin"), objects_dir=str(tmp_path / "shared"))
    login = f"ana_{database}"
    team.add_reviewer(Context(admin_store, "admin"), login, "analyst")
    cases.create_case(Context(admin_store, "admin"), "Shared case")
    monkeypatch.delenv("EVIDENCE_APP_OBJECTS", raising=False)  # the folder must come from the database
    url = pg_server.url(database, user=login).replace("postgresql+psycopg://", "postgresql://", 1)
    typed = url.replace(f"{login}@", f"{login}:secret@", 1) if "@" in url else url

    window = make_window(with_map=False)
    dialog = window.team_db.choose()
    dialog.url_edit.setText(typed)
    dialog.accept()
    team_window = window.team_db.window
    assert team_window is not None, dialog.error.text()
    try:
        assert team_window.ctx.actor == login and team_window.ctx.store.is_postgresql
        assert Path(team_window.ctx.store.location.objects_dir) == (tmp_path / "shared").resolve()
        assert [title for _id, title in team_window.case_choices()] == ["Shared case"]
        remembered = window.settings.value(SETTINGS_KEY)
        assert remembered.startswith("postgresql+psycopg://") and "secret" not in remembered
        assert window.team_db.choose().url_edit.text() == remembered  # offered next time
        window.team_db.dialog.reject()
    finally:
        team_window.close()
        admin_store.close()
