"""Extreme values are refused where they enter, with the field and the range; times no parser can
hold are located problems (file:line), never exit 2; listings never print raw control characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_app.cli import main
from tests.published_layouts import MARINECADASTRE_HEADER_LINE


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVIDENCE_APP_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def case_id(cli):
    code, out, err = cli("--json", "case", "create", "Extremes")
    assert code == 0, err
    return json.loads(out)["id"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("inf", "radius_m must be a finite number"),
        ("nan", "radius_m must be a finite number"),
        ("1e308", "radius_m 1e+308 is out of range: expected 0 to 1e+06 m"),
        ("-5", "radius_m -5 is out of range"),
    ],
)
def test_an_incident_radius_out_of_range_is_refused_at_entry(cli, case_id, value, expected):
    code, _out, err = cli(
        "incident", "add", "--case", case_id, "--start", "2020-01-01", "--lat", "1", "--lon", "1", "--radius-m", value
    )
    assert code == 1
    assert expected in err and err.count("\n") == 1
    code, out, _ = cli("--json", "incident", "list")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--length-m", "1e308"), "length_m 1e+308 is out of range: expected 1 to 600 m"),
        (("--length-m", "inf"), "length_m must be a finite number"),
        (("--name", "EVIL\x1b[2J"), "name has a control character (U+001B)"),
    ],
)
def test_vessel_values_out_of_range_are_refused_at_entry(cli, args, expected):
    code, _out, err = cli("vessel", "add", "--imo", "9123453", *args)
    assert code == 1 and expected in err


def test_a_title_with_a_control_character_is_refused(cli, case_id):
    code, _out, err = cli(
        "incident",
        "add",
        "--case",
        case_id,
        "--start",
        "2020-01-01",
        "--lat",
        "1",
        "--lon",
        "1",
        "--title",
        "hidden\x1b[8m",
    )
    assert code == 1 and "title has a control character (U+001B) at character 7" in err


@pytest.mark.parametrize("start", ["9999-12-31T23:00-05:00", "1" * 400, "2500-01-01"])
def test_a_time_no_store_can_hold_is_refused_at_entry(cli, case_id, start):
    code, _out, err = cli("incident", "add", "--case", case_id, "--start", start, "--lat", "1", "--lon", "1")
    assert code == 1 and "start" in err and "Traceback" not in err


@pytest.mark.parametrize("bad_time", ["1" * 400, "9999-12-31T23:00:00-05:00"])
def test_an_ais_row_with_an_impossible_time_is_a_located_problem(cli, tmp_path: Path, bad_time):
    csv = tmp_path / "ais.csv"
    csv.write_text(
        MARINECADASTRE_HEADER_LINE
        + "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0.0,,,,52.0,A\n"
        f"367752440,{bad_time},43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0.0,,,,52.0,A\n"
    )
    code, out, err = cli("--json", "import", "ais", str(csv))
    assert code == 0, err
    report = json.loads(out)
    assert report["imported"] == {"position": 1}
    located = [p for p in report["problems"] if "ais.csv:3" in json.dumps(p)]
    assert located, report["problems"]


@pytest.mark.parametrize("bad_time", ["1" * 400, "9999-12-31T23:00:00-05:00"])
def test_an_event_with_an_impossible_time_is_a_located_problem(cli, case_id, tmp_path: Path, bad_time):
    csv = tmp_path / "enc.csv"
    csv.write_text(
        "start_time,end_time,mean_latitude,mean_longitude,mmsi_1,mmsi_2,type\n"
        f"{bad_time},,36.5,123.9,445123000,352001234,encounter\n"
    )
    code, out, err = cli("--json", "import", "incidents", str(csv), "--case", case_id)
    assert code in (0, 1), err
    text = out + err
    assert "enc.csv:2" in text and "Traceback" not in text


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m"


def _hostile_store(cli, case_id, tmp_path: Path) -> str:
    """Names and titles with terminal escapes, brought in by importers (they are untrusted data)."""
    registry = tmp_path / "registry.csv"
    registry.write_text(f"imo,mmsi,name,flag\n9123453,445123000,EVIL{ESCAPES},KP\n", encoding="utf-8")
    code, _out, err = cli("import", "vessels", str(registry))
    assert code == 0, err
    events = tmp_path / "enc.csv"
    events.write_text(
        "start,end,lat,lon,vessel_a,vessel_b,title\n"
        f"2023-01-11T00:00:00Z,,36.5,123.9,445123000,352001234,STS{ESCAPES}\n",
        encoding="utf-8",
    )
    code, out, err = cli("--json", "import", "incidents", str(events), "--case", case_id)
    assert code == 0, err
    code, out, err = cli("--json", "incident", "list")
    return json.loads(out)[0]["id"]


@pytest.mark.parametrize(
    "command", [("vessel", "list"), ("incident", "list"), ("incident", "show", "ID"), ("vessel", "show", "9123453")]
)
def test_listings_print_control_characters_escaped(cli, case_id, tmp_path: Path, command):
    incident_id = _hostile_store(cli, case_id, tmp_path)
    code, out, err = cli(*[incident_id if part == "ID" else part for part in command])
    assert code == 0, err
    assert not any(c in out for c in "\x1b\x07\x9b"), repr(out)
    assert "\\x1b" in out  # shown, not hidden


def test_json_output_escapes_every_control_character(cli, case_id, tmp_path: Path):
    _hostile_store(cli, case_id, tmp_path)
    for command in (("vessel", "list"), ("incident", "list")):
        code, out, _ = cli("--json", *command)
        assert code == 0
        assert not any(c in out for c in "\x1b\x07\x9b"), repr(out)
        assert any(ESCAPES in text for text in _strings(json.loads(out)))  # the data itself is intact


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--grid-minutes", "1e-300", "grid-minutes"),
        ("--distance-m", "inf", "distance"),
        ("--min-hours", "1e308", "min-hours"),
        ("--max-speed-kn", "nan", "speed"),
    ],
)
def test_detector_thresholds_out_of_range_are_refused(cli, option, value, expected):
    code, _out, err = cli("detect", "encounters", option, value)
    assert code == 1 and expected in err, err


def test_placing_a_photo_with_an_absurd_scale_is_refused(ctx, sample_case, shared_data):
    from evidence_app.domain.errors import ValidationError
    from evidence_app.services import photo_import, photo_placement

    _case, incident = sample_case
    ev = photo_import.import_photo(ctx, incident.id, shared_data / "imagery" / "exif_gps_photo.jpg")
    with pytest.raises(ValidationError, match="gsd_m 1e\\+308 is out of range"):
        photo_placement.place_by_hand(ctx, ev.id, center=(36.5, 123.9), gsd_m=1e308)
    with pytest.raises(ValidationError, match="rotation_deg must be a finite number"):
        photo_placement.place_by_hand(ctx, ev.id, center=(36.5, 123.9), gsd_m=0.5, rotation_deg=float("nan"))
