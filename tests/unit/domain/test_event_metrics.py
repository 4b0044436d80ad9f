"""Event figures as the detail panel, list and report show them; whatever a case file carries."""

from evidence_app.domain.incident import format_metric, metric_rows


def test_known_figures_in_fixed_order_with_units():
    rows = metric_rows({"duration_h": 6.6667, "distance_m": 36.2, "speed_kn": 0.7761, "note": "from GFW"})
    assert rows == [
        ("Distance between vessels", "36 m"),
        ("Speed", "0.8 kn"),
        ("Duration", "6.7 h"),
        ("Note", "from GFW"),
    ]
    assert format_metric("end_lat", -3.15634) == "-3.15634°"


def test_odd_values_from_a_case_file_never_raise():
    assert metric_rows(None) == [] and metric_rows([1, 2]) == [] and metric_rows("x") == []  # type: ignore[arg-type]
    rows = metric_rows({"distance_m": {"deep": [1] * 1000}, 7: "seven", "nested": {"a": 1}})  # type: ignore[dict-item]
    assert rows[0][0] == "Distance between vessels" and len(rows[0][1]) <= 200
    assert ("7", "seven") in rows and all(label != "Nested" for label, _ in rows)
