"""``--json`` is accepted before the command and after it, as every modern CLI allows."""

import json

import pytest

from evidence_app.cli import main


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_after_the_command_prints_json(run):
    code, _, err = run("case", "create", "Yellow Sea 2019", "--json")
    assert code == 0, err
    code, out, err = run("case", "list", "--json")
    assert code == 0, err
    assert [c["title"] for c in json.loads(out)] == ["Yellow Sea 2019"]


def test_json_before_the_command_is_not_reset_by_the_subcommand(run):
    run("case", "create", "Yellow Sea 2019")
    code, out, err = run("--json", "case", "list")
    assert code == 0, err
    assert json.loads(out)[0]["title"] == "Yellow Sea 2019"


def test_without_json_the_output_is_text(run):
    run("case", "create", "Yellow Sea 2019")
    code, out, _ = run("case", "list")
    assert code == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    assert "Yellow Sea 2019" in out
