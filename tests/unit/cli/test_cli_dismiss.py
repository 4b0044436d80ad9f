"""`incident dismiss`: a detection triaged away with a reason, hidden from `incident list` unless asked for."""

import json


def test_dismiss_hides_the_incident_and_refuses_an_unknown_reason(run):
    code, out, err = run("--json", "case", "create", "Triage")
    assert code == 0, err
    case_id = json.loads(out)["id"]
    code, out, err = run(
        "--json", "incident", "add", "--case", case_id, "--start", "2024-05-14T23:40Z", "--lat", "31", "--lon", "123.5"
    )
    assert code == 0, err
    incident_id = json.loads(out)["id"]

    code, _out, err = run("incident", "dismiss", incident_id, "--reason", "weather")
    assert code == 1 and "unknown dismissal reason 'weather'" in err
    code, out, err = run(
        "--json", "incident", "dismiss", incident_id, "--reason", "port", "--note", "alongside at Nampo"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "dismissed"
    code, out, _ = run("--json", "incident", "list", "--case", case_id)
    assert json.loads(out) == []
    code, out, _ = run("--json", "incident", "list", "--case", case_id, "--status", "dismissed")
    assert [row["id"] for row in json.loads(out)] == [incident_id]
