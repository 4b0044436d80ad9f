"""The CLI run in-process on a fresh store: ``run(*args)`` gives (exit code, stdout, stderr)."""

import pytest

from evidence_app.cli import main


@pytest.fixture
def run(tmp_path, capsys, monkeypatch, store_url):
    monkeypatch.setenv("EVIDENCE_APP_DB", store_url)
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def _run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run
