"""`vessel add` takes a counterpart known only by sight, with the desk's checks (services.vessels.add_vessel)."""

import json


def test_a_vessel_with_only_markings_is_added_and_nothing_at_all_is_refused(run):
    code, out, err = run("vessel", "add", "--markings", "MIN NING DE YOU 078", "--type", "small tanker", "--json")
    assert code == 0, err
    added = json.loads(out)
    assert (added["name"], added["imo"], added["mmsi"], added["flag"]) == ("MIN NING DE YOU 078", None, None, "")
    assert added["notes"].startswith("Observed markings: MIN NING DE YOU 078")

    code, _out, err = run("vessel", "add", "--type", "tanker")
    assert code == 1
    assert "needs at least a name or observed markings" in err
