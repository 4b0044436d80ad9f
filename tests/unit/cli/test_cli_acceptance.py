"""The command line, end to end, as the core issue's acceptance list describes it."""

import json

import pytest

from evidence_app.cli import main


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch, store_url):
    monkeypatch.setenv("EVIDENCE_APP_DB", store_url)
    monkeypatch.setenv("EVIDENCE_APP_REVIEWER", "analyst")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    def run_json(*args):
        code, out, err = run("--json", *args)
        assert code == 0, err
        return json.loads(out)

    run.json = run_json
    return run


@pytest.mark.backends
def test_acceptance_flow(cli, shared_data, tmp_path, store_url):
    case = cli.json("case", "create", "Yellow Sea 2019", "--caveat", "OFFICIAL")
    code, _, err = cli("vessel", "add", "--imo", "9123456", "--name", "BAD")
    assert code == 1
    assert err.count("\n") == 1 and "expected 3" in err and "Traceback" not in err
    cli.json("vessel", "add", "--imo", "9123453", "--mmsi", "445123000", "--name", "CHON MA SAN")
    cli.json("vessel", "add", "--imo", "9216470", "--name", "NEW REGENT")
    inc = cli.json(
        "incident",
        "add",
        "--case",
        case["id"][:8],
        "--start",
        "2019-03-11T14:00Z",
        "--lat",
        "36.55",
        "--lon",
        "123.95",
        "--participant",
        "9123453:receiver",
        "--participant",
        "9216470:supplier",
    )
    attached = cli.json("attach", inc["id"], str(shared_data / "imagery" / "exif_gps_photo.jpg"))
    assert len(attached["attached"]) == 1
    code, _, err = cli("review", inc["id"], "--status", "confirmed")
    assert code == 1 and "needs a rationale" in err
    events = cli.json("review", inc["id"], "--status", "confirmed", "--rationale", "hulls alongside")
    assert events[-1]["to_status"] == "confirmed"
    shown = cli.json("incident", "show", inc["id"][:8])
    assert shown["status"] == "confirmed" and len(shown["participants"]) == 2
    entries = cli.json("audit")
    assert [e["action"] for e in entries] == [
        "case.create",
        "vessel.create",
        "vessel.create",
        "incident.create",
        # attach takes the desk's route: a photo is imported (capture time, GPS position)
        "evidence.add",
        "photo.import",
        "evidence.link",
        "incident.review",
        "incident.review",
    ]
    assert cli.json("audit", "--entity", inc["id"][:8])[0]["action"] == "incident.create"
    code, out, _ = cli("verify")
    assert code == 0 and "OK" in out

    from evidence_app.storage.db import open_store

    store = open_store(store_url)
    raw = store.engine.raw_connection()  # an edit behind the app's back, with the database's own driver
    raw.cursor().execute("""UPDATE audit_entries SET payload = '{"forged":true}' WHERE seq = 5""")
    raw.commit()
    raw.close()
    store.close()
    code, out, _ = cli("verify")
    assert code == 1 and "audit entry 5" in out


@pytest.mark.backends
def test_incident_list_filters(cli):
    case = cli.json("case", "create", "C")
    cli.json("vessel", "add", "--mmsi", "445123000", "--name", "A")
    cli.json(
        "incident",
        "add",
        "--case",
        case["id"],
        "--start",
        "2019-03-11",
        "--lat",
        "36",
        "--lon",
        "124",
        "--participant",
        "445123000:supplier",
    )
    cli.json("incident", "add", "--case", case["id"], "--start", "2020-03-11", "--lat", "10", "--lon", "10")
    assert len(cli.json("incident", "list", "--bbox", "120,30,130,40")) == 1
    assert len(cli.json("incident", "list", "--vessel", "445123000")) == 1
    assert len(cli.json("incident", "list", "--since", "2020-01-01")) == 1
    assert len(cli.json("incident", "list", "--status", "suspected")) == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["incident", "add", "--case", "nope", "--start", "2019-01-01", "--lat", "1", "--lon", "1"], "no case with id"),
        (["incident", "list", "--bbox", "1,2,3"], "expected four numbers"),
        (["incident", "list", "--since", "yesterday"], "expected ISO 8601"),
        (["review", "abcd", "--status", "done"], "unknown status"),
        (["review", "abcd", "--status", "confirmed"], "no incident"),
        (["case", "bogus"], "invalid choice"),
        (["attach", "abcd"], "required"),
    ],
)
def test_user_errors_are_one_line(cli, args, expected):
    code, out, err = cli(*args)
    assert code == 1
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_json_errors_keep_stdout_clean(cli):
    code, out, err = cli("--json", "incident", "show", "zzzz")
    assert code == 1 and out == "" and "no incident" in err
