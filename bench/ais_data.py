"""Deterministic synthetic MarineCadastre CSVs for the AIS benchmarks and the kill test."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass\n"
)
START = datetime(2023, 1, 1, tzinfo=UTC)


def generate_marinecadastre(path: Path, rows: int, vessels: int = 2000, span_days: float = 30.0, seed: int = 7) -> Path:
    """Write ``rows`` time-ordered rows for ``vessels`` ships moving over ``span_days``.

    Sentinels appear as in real data (SOG 102.3, heading 511, blank IMO) so the importer
    does its full work, and every row is valid, so the row count is the import count.
    """
    rng = random.Random(seed)
    fleet = []
    for i in range(vessels):
        mmsi = 200_000_000 + i * 37
        fleet.append(
            (
                mmsi,
                rng.uniform(-60, 60),
                rng.uniform(-170, 170),
                f"SHIP {i:05d}",
                "IMO9307839" if i % 3 == 0 else "",
                f"CS{i:05d}",
                rng.choice((30, 70, 80)),
                rng.uniform(50, 300),
                rng.uniform(10, 50),
            )
        )
    step = span_days * 86400 / max(rows, 1)
    lines: list[str] = []
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            mmsi, lat, lon, name, imo, cs, vtype, length, width = fleet[n % vessels]
            t = START + timedelta(seconds=int(n * step))
            drift = (n // vessels) * 0.0005
            sog = "102.3" if n % 97 == 0 else f"{(n % 150) / 10:.1f}"
            heading = "511.0" if n % 5 == 0 else f"{n % 360}.0"
            lines.append(
                f"{mmsi},{t:%Y-%m-%dT%H:%M:%S},{lat + drift:.5f},{lon + drift:.5f},{sog},{(n * 7) % 360}.0,"
                f"{heading},{name},{imo},{cs},{vtype},0.0,{length:.1f},{width:.1f},8.0,{vtype}.0,A\n"
            )
            if len(lines) >= 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return path
