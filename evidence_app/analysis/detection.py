"""The result every detector returns: a plain record of what was found, where, when, and with which settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Bumped whenever a detector's logic changes in a way that can change its output, so a
# recorded detection says which algorithm produced it.
ALGORITHM_VERSION = "2"

KINDS = ("encounter", "loitering", "gap", "spoofing", "identity_change")


@dataclass
class Detection:
    """One finding. Times are UTC epoch seconds; ``mmsis`` ascending; metrics and parameters JSON-ready."""

    kind: str
    start_ts: int
    end_ts: int
    lat: float | None
    lon: float | None
    mmsis: tuple[int, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_ts, UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_ts, UTC)

    @property
    def hours(self) -> float:
        return (self.end_ts - self.start_ts) / 3600.0

    def overlaps(self, start_ts: int, end_ts: int) -> bool:
        return self.start_ts <= end_ts and start_ts <= self.end_ts

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "start_ts": self.start_ts,
            "end_ts": self.end_ts,
            "hours": round(self.hours, 3),
            "lat": None if self.lat is None else round(self.lat, 6),
            "lon": None if self.lon is None else round(self.lon, 6),
            "mmsis": list(self.mmsis),
            "metrics": self.metrics,
            "parameters": self.parameters,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detection:
        return cls(
            kind=data["kind"],
            start_ts=int(data["start_ts"]),
            end_ts=int(data["end_ts"]),
            lat=data.get("lat"),
            lon=data.get("lon"),
            mmsis=tuple(int(m) for m in data["mmsis"]),
            metrics=dict(data.get("metrics") or {}),
            parameters=dict(data.get("parameters") or {}),
        )


def params_dict(detector: str, params: Any) -> dict[str, Any]:
    """A detector's parameters as recorded with each detection (names, values, algorithm version)."""
    from dataclasses import asdict

    return {"detector": detector, "algorithm_version": ALGORITHM_VERSION, **asdict(params)}
