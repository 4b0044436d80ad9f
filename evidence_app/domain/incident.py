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
