"""The report's lines for an imported event's figures (distance, speed, duration): kept apart
from the report layout so the two can change independently."""

from __future__ import annotations

from typing import Any

from evidence_app.domain.incident import metric_rows


def event_metric_rows(incident: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows for an incident record's metrics, labelled as the source's figures."""
    return [(f"{label} (imported event)", text) for label, text in metric_rows(incident.get("metrics"))]
