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
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.demo.sqlite"))  # the demo's own store
    code, out, err = run(capsys, "detect", "encounters", "--since", "2024-05-14", "--until", "2024-05-16")
    assert code == 0, err
    # The window is refined on the reports: they come within 500 m at 23:38, on the last approach.
    assert "encounter  2024-05-14 23:38 UTC" in out and "352004567 445127000" in out
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


def test_settings_outside_a_plausible_range_are_refused_with_the_range(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # Kilometres typed as metres: before, this ran and returned nothing without a word.
    code, out, err = run(capsys, "detect", "encounters", "--distance-m", "0.5")
    assert code == 1 and out == ""
    assert "--distance-m 0.5 is out of range: expected 10 to 20000 m" in err
    for option, value, expected in (
        ("--min-hours", "1e20", "expected 0.25 to 720 h"),
        ("--max-speed-kn", "-1", "expected 0.1 to 30 kn"),
        ("--grid-minutes", "0", "expected 1 to 60 min"),
        ("--port-radius-m", "inf", "must be a finite number"),
        ("--anchorage-min-vessels", "1", "expected 2 to 10000"),
    ):
        code, _, err = run(capsys, "detect", "encounters", option, value)
        assert code == 1 and expected in err, (option, err)
    code, _, err = run(capsys, "detect", "gaps", "--gap-hours", "nan")
    assert code == 1 and "--gap-hours must be a finite number" in err
    code, _, err = run(capsys, "detect", "gaps", "--exclude-zone", "1,2,3,4")
    assert code == 1 and "--exclude-zone does not apply to gaps" in err
    # The edges of each range are accepted.
    code, out, err = run(
        capsys,
        "--json",
        "detect",
        "encounters",
        "--distance-m",
        "10",
        "--min-shore-m",
        "0",
        "--port-radius-m",
        "0",
        "--exclude-zone",
        "10,10,20,20=test area",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["parameters"]["max_distance_m"] == 10 and data["query"]["exclusion_zones"][0]["name"] == "test area"


def test_what_the_place_rules_left_out_is_printed(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert run(capsys, "demo")[0] == 0
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.demo.sqlite"))  # the demo's own store
    code, out, err = run(capsys, "detect", "encounters", "--exclude-zone", "120,25,130,35=Zhoushan box")
    assert code == 0, err
    assert out.startswith("0 encounters detection(s)")
    assert "left out by place rules: 1 (1 zone)" in out and "inside the exclusion zone 'Zhoushan box'" in out
