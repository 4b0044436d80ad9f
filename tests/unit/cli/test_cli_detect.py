"""`evidence-app detect`: the demo's meeting in a table, JSON, incidents created once, clear option errors."""

from __future__ import annotations

import json

from evidence_app.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_detect_commands_on_the_demo_store(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert run(capsys, "demo")[0] == 0
    code, out, err = run(capsys, "detect", "encounters", "--since", "2024-05-14", "--until", "2024-05-16")
    assert code == 0, err
    assert "encounter  2024-05-14 23:40 UTC" in out and "352004567 445127000" in out
    code, out, _ = run(capsys, "--json", "detect", "encounters", "--distance-m", "30")
    assert code == 0 and json.loads(out)["detections"] == []  # they stay 57 m apart
    code, out, _ = run(capsys, "detect", "gaps", "--gap-hours", "5", "--json")
    data = json.loads(out)
    assert [d["mmsis"] for d in data["detections"]] == [[445127000]] and data["parameters"]["min_gap_hours"] == 5

    code, _, err = run(capsys, "detect", "loitering", "--distance-m", "3")
    assert code == 1 and "--distance-m does not apply to loitering" in err
    code, _, err = run(capsys, "detect", "encounters", "--create-incidents")
    assert code == 1 and "--case" in err
    code, _, err = run(capsys, "detect", "encounters", "--vessel", "NO SUCH SHIP")
    assert code == 1 and "no vessel matches" in err

    code, out, _ = run(capsys, "--json", "case", "create", "Fresh look")
    case_id = json.loads(out)["id"]
    code, out, err = run(capsys, "detect", "encounters", "--case", case_id, "--create-incidents")
    assert code == 0, err
    assert "incidents: 1 created, 0 already in the case" in out
    code, out, _ = run(capsys, "detect", "encounters", "--case", case_id, "--create-incidents")
    assert "incidents: 0 created, 1 already in the case" in out
