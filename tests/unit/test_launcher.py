"""The entry point: a command runs the CLI; without a command it opens the desk, or says why it cannot."""

import importlib.util

import pytest

from evidence_app import launcher


def test_no_command_without_qt_says_how_to_get_the_desk(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "PySide6" else real_find_spec(name, *a)
    )
    assert launcher.main(["--db", "somewhere.sqlite"]) == 1
    assert launcher.main(["--self-test"]) == 1
    err = capsys.readouterr().err
    assert "needs Qt (PySide6)" in err and "evidence-app[gui]" in err


@pytest.mark.parametrize(
    ("args", "desk"),
    [([], True), (["--db", "x.sqlite"], True), (["--reviewer=ana"], True), (["case", "list"], False)],
)
def test_only_store_options_open_the_desk(args, desk):
    assert launcher.only_store_options(args) is desk
