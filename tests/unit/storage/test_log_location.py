"""The error log follows the store in use: beside a SQLite store, in the user's log folder for a server."""

from __future__ import annotations

from pathlib import Path

from evidence_app.storage.db import log_path_for, resolve_location


def test_the_log_of_a_sqlite_store_is_beside_it(tmp_path: Path) -> None:
    assert (
        log_path_for(resolve_location(tmp_path / "cases" / "fleet.sqlite"))
        == (tmp_path / "cases" / "logs" / "evidence-app.log").resolve()
    )


def test_the_default_store_keeps_its_log_in_the_data_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("EVIDENCE_APP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert log_path_for(resolve_location(None)) == (tmp_path / "xdg" / "evidence-review" / "logs" / "evidence-app.log")


def test_a_server_store_logs_to_the_users_log_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = log_path_for(resolve_location("postgresql://analyst@db.example/cases"))
    assert path.name == "evidence-app.log"
    assert path.is_relative_to(tmp_path / "state")
