"""Column layouts exactly as the producing tools publish them, for tests that write such files.

One definition each, so every test that claims "a file as MarineCadastre / GFW publishes it"
writes the same header.
"""

from __future__ import annotations

# MarineCadastre.gov (NOAA / BOEM) AIS daily CSV, 2015 onwards.
MARINECADASTRE_COLUMNS = [
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
]
MARINECADASTRE_HEADER_LINE = ",".join(MARINECADASTRE_COLUMNS) + "\n"

# Global Fishing Watch's published encounter events (carrier-vessel portal download).
GFW_ENCOUNTER_COLUMNS = [
    "fishing_vessel_mmsi",
    "transshipment_vessel_mmsi",
    "start_time",
    "end_time",
    "mean_latitude",
    "mean_longitude",
    "duration_hr",
    "median_distance_km",
    "median_speed_knots",
]
# One encounter as it stands in that file (Bismarck Sea, January 2017).
GFW_ENCOUNTER_EXAMPLE = [
    412420941,
    416004485,
    "2017-01-06 07:40:00 UTC",
    "2017-01-06 14:20:00 UTC",
    -3.1422,
    152.8911,
    6.6667,
    0.0362,
    0.7761,
]
