"""Incident vocabulary: participant roles, observed indicators, cargo kinds, evidence kinds."""

from __future__ import annotations

from evidence_app.domain.errors import ValidationError

ROLES = ("supplier", "receiver", "escort", "unknown")
INDICATORS = {
    "alongside": "hulls alongside",
    "hoses": "hoses or lines across",
    "lights": "deck lights at night",
    "ais_off": "AIS off or gap",
    "disguised_name": "name painted over or disguised",
    "fenders": "fenders deployed",
    "low_freeboard": "freeboard change (laden/unladen)",
    "loitering": "loitering before or after",
    "dark_vessel": "hull on imagery with no AIS within 1.5 km",
}
CARGO_KINDS = ("refined petroleum", "crude oil", "coal", "iron ore", "other", "unknown")
EVIDENCE_KINDS = ("photo", "ais", "vessel-record", "document")
RELATIONS = ("supports", "contradicts")


def validate_role(role: str) -> str:
    value = role.strip().lower()
    if value not in ROLES:
        raise ValidationError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    return value


def validate_indicators(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in INDICATORS]
    if unknown:
        raise ValidationError(
            f"unknown indicator {unknown[0]!r}: expected one of {', '.join(INDICATORS)}",
            field="indicators",
        )
    return sorted(set(values))


def validate_evidence_kind(kind: str) -> str:
    if kind not in EVIDENCE_KINDS:
        raise ValidationError(
            f"unknown evidence kind {kind!r}: expected one of {', '.join(EVIDENCE_KINDS)}", field="kind"
        )
    return kind


def validate_relation(relation: str) -> str:
    if relation not in RELATIONS:
        raise ValidationError(f"relation {relation!r}: expected supports or contradicts", field="relation")
    return relation


# Figures an imported event file gives about an incident (kept in Incident.metrics):
# key -> (label, unit, decimals). Shown in the detail panel, the list and the report.
EVENT_METRICS: dict[str, tuple[str, str, int]] = {
    "distance_m": ("Distance between vessels", "m", 0),
    "speed_kn": ("Speed", "kn", 1),
    "duration_h": ("Duration", "h", 1),
    "travelled_m": ("Distance travelled", "m", 0),
    "end_lat": ("End latitude", "°", 5),
    "end_lon": ("End longitude", "°", 5),
}


def format_metric(key: str, value: object) -> str:
    """One metric as text with its unit ('212 m', '1.4 kn'); other values as given."""
    label_unit = EVENT_METRICS.get(key)
    if label_unit is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)[:200]
    _label, unit, decimals = label_unit
    return f"{value:,.{decimals}f}{'' if unit == '°' else ' '}{unit}"


def metric_rows(metrics: dict[str, object] | None) -> list[tuple[str, str]]:
    """(label, text) pairs of an incident's metrics: known ones first in a fixed order, then the rest."""
    if not metrics or not isinstance(metrics, dict):
        return []  # nothing, or something a case file should not have carried: show nothing
    rows = [(EVENT_METRICS[k][0], format_metric(k, metrics[k])) for k in EVENT_METRICS if metrics.get(k) is not None]
    rows += [
        (str(k).replace("_", " ").capitalize()[:60], str(v)[:200])
        for k, v in sorted(metrics.items(), key=str)
        if k not in EVENT_METRICS and isinstance(v, str | int | float) and v != ""
    ]
    return rows
