"""The case-file commands end to end through the CLI, as a user runs them."""

from __future__ import annotations

import json

from evidence_app.cli import build_parser, main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_import_and_conflicts_from_the_command_line(workstation, tmp_path, capsys):
    ws, ids = workstation
    db = str(ws.store.location.sqlite_path)
    out = tmp_path / "cli.evcase"
    code, text, err = run(capsys, "--db", db, "export", "case", ids["case"][:8], str(out), "--no-report")
    assert code == 0, err
    assert "1 evidence file" not in text and "2 evidence file(s)" in text
    laptop = str(tmp_path / "laptop.sqlite")
    code, text, err = run(capsys, "--db", laptop, "--json", "import", "case", str(out))
    assert code == 0, err
    assert json.loads(text)["new_case"] is True
    code, text, _ = run(capsys, "--db", laptop, "verify")
    assert code == 0 and text.startswith("OK")
    code, text, _ = run(capsys, "--db", laptop, "conflicts", "list")
    assert code == 0 and "no open conflicts" in text
    kml = tmp_path / "case.kml"
    code, text, _ = run(capsys, "--db", laptop, "export", "kml", ids["case"], str(kml))
    assert code == 0 and kml.read_bytes().startswith(b"<?xml")


def test_a_bad_file_is_one_line_on_stderr_and_exit_1(tmp_path, capsys):
    bogus = tmp_path / "bogus.evcase"
    bogus.write_bytes(b"not a zip")
    code, _, err = run(capsys, "--db", str(tmp_path / "s.sqlite"), "import", "case", str(bogus))
    assert code == 1
    assert err.strip().count("\n") == 0 and "not a zip archive" in err


def test_import_actions_join_an_existing_import_command():
    import argparse

    from evidence_app.cli import casefile

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    other = sub.add_parser("import").add_subparsers(dest="import_cmd")
    other.add_parser("ais")
    casefile.register(sub)
    assert {"ais", "case"} <= set(other.choices)
    assert (
        "case" in build_parser()._subparsers._group_actions[0].choices["import"]._subparsers._group_actions[0].choices
    )
