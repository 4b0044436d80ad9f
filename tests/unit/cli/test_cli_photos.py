"""The photo commands end to end: import, measure, overlay, export, and one-line errors."""

import json

import pytest


def _json(run, *args):
    code, out, err = run("--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_photo_commands(run, shared_data):
    _json(run, "vessel", "add", "--imo", "9123453", "--name", "CHON MA SAN", "--length-m", "110")
    case = _json(run, "case", "create", "Bahamas test")
    inc = _json(
        run,
        "incident",
        "add",
        "--case",
        case["id"],
        "--start",
        "2019-03-11T14:00Z",
        "--lat",
        "24.5",
        "--lon",
        "-77.7",
        "--participant",
        "9123453:receiver",
    )
    code, out, err = run("photo", "import", inc["id"], str(shared_data / "imagery/landsat7_bahamas_utm18n.tif"))
    assert code == 0, err
    assert "lon -78.9586…-76.5749" in out and "299.871 m" in out
    ev = out.split()[1]
    m = _json(run, "photo", "measure", ev, "100,100", "400,500")
    assert m["pixels"] == 500 and m["comparisons"][0]["consistent"] is False
    ov = _json(run, "photo", "overlay", ev)
    assert ov["bounds"][0][0] == pytest.approx(23.565, abs=1e-3)
    code, out, _ = run("photo", "export-annotated", ev)
    assert code == 0 and "annotated copy stored" in out
    code, _, err = run("photo", "measure", ev, "1,1")
    assert code == 1 and err.count("\n") == 1 and "at least 2" in err
    code, _, err = run("photo", "import", inc["id"], str(shared_data / "README.md"))
    assert code == 1 and "not an image" in err
