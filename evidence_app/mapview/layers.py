"""The map's layer data as plain records, and the GeoJSON the page fetches for each layer.

``MapData`` is the data provider a map view is given: a callable answering a request
path on our scheme (``/data/incidents.json``, ``/data/incidents.geojson``, ``/data/tracks.geojson?z=7``...) with
bytes. It is built from the store by ``mapview.data`` and holds no session: the view
never touches the database.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_app.domain.antimeridian import split_line, split_polygon
from evidence_app.mapview.assets import Asset

if TYPE_CHECKING:
    import numpy as np

# Colour per incident status (colour-blind-safe hues; the legend repeats the words).
STATUS_COLOURS = {
    "suspected": "#e6a100",
    "under_review": "#1f78b4",
    "under review": "#1f78b4",
    "confirmed": "#c51b1b",
    "rejected": "#7a7a7a",
    "inconclusive": "#8e44ad",
}
UNKNOWN_STATUS_COLOUR = "#444444"

_JSON = "application/geo+json"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status.lower(), UNKNOWN_STATUS_COLOUR)


@dataclass
class IncidentPoint:
    """An incident as the map shows it. Times are UTC epoch seconds."""

    id: str
    title: str
    status: str
    lat: float | None
    lon: float | None
    radius_m: float | None = None
    start: float | None = None
    end: float | None = None
    mmsis: tuple[int, ...] = ()  # the participants' MMSIs: their vessels are highlighted with the incident


@dataclass
class Track:
    """One vessel's AIS positions, sorted by time. Arrays: epoch seconds, degrees."""

    mmsi: int
    name: str
    ts: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    _by_zoom: dict[int, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def _feature(self, coords: list[list[float]], times: list[int]) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"mmsi": self.mmsi, "name": self.name, "t": times},
            "geometry": {"type": "LineString", "coordinates": coords},
        }

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())

    def features(self, zoom: int) -> list[dict[str, Any]]:
        """GeoJSON LineStrings simplified for ``zoom``, cut at ±180°, each vertex with its time."""
        cached = self._by_zoom.get(zoom)
        if cached is not None:
            return cached
        from evidence_app.mapview.simplify import simplify_for_zoom

        keep = simplify_for_zoom(self.lon, self.lat, zoom)
        lons = self.lon[keep].tolist()
        lats = self.lat[keep].tolist()
        times = [int(t) for t in self.ts[keep].tolist()]
        features = []
        part: list[list[float]] = []
        part_times: list[int] = []
        for i, (lon, lat, t) in enumerate(zip(lons, lats, times, strict=True)):
            if i and abs(lon - lons[i - 1]) > 180.0:
                # Cut at ±180°: end this part on the meridian and start the next one there.
                crossing = split_line([(lons[i - 1], lats[i - 1]), (lon, lat)])
                (edge, lat_x), (other_edge, _) = crossing[0][-1], crossing[1][0]
                part.append([edge, round(lat_x, 5)])
                part_times.append(times[i - 1])
                features.append(self._feature(part, part_times))
                part, part_times = [[other_edge, round(lat_x, 5)]], [times[i - 1]]
            part.append([round(lon, 5), round(lat, 5)])
            part_times.append(t)
        if len(part) >= 2:
            features.append(self._feature(part, part_times))
        self._by_zoom[zoom] = features
        return features


@dataclass
class Footprint:
    """An evidence item's footprint (photo outline, track extent) as a GeoJSON geometry."""

    id: str
    title: str
    kind: str
    geometry: Mapping[str, Any]
    time: float | None = None


@dataclass
class Overlay:
    """A georeferenced photo drawn over the map: a PNG (Chromium draws no TIFF) and its
    bounds (south, west, north, east)."""

    id: str
    title: str
    png: Path | bytes
    bounds: tuple[float, float, float, float]
    opacity: float = 0.7

    def png_bytes(self) -> bytes:
        return self.png if isinstance(self.png, bytes) else Path(self.png).read_bytes()


def incident_feature(incident: IncidentPoint) -> dict[str, Any] | None:
    """One incident as a GeoJSON Point, or None while it has no position."""
    if incident.lat is None or incident.lon is None:
        return None
    return {
        "type": "Feature",
        "id": incident.id,
        "properties": {
            "id": incident.id,
            "title": incident.title,  # user text: the page sets it with textContent only
            "status": incident.status,
            "colour": status_colour(incident.status),
            "radius_m": incident.radius_m,
            "t0": incident.start,
            "t1": incident.end if incident.end is not None else incident.start,
            "mmsis": list(incident.mmsis),
        },
        "geometry": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
    }


def incidents_geojson(incidents: Iterable[IncidentPoint]) -> dict[str, Any]:
    features = [f for f in (incident_feature(i) for i in incidents) if f is not None]
    return {"type": "FeatureCollection", "features": features}


def incidents_columns(incidents: Iterable[IncidentPoint]) -> dict[str, Any]:
    """Incidents with a position as parallel columns, the form the page draws from.

    One array per field instead of one GeoJSON feature per incident: a quarter of the bytes
    for 20,000 incidents, and the page builds no object per incident. ``status`` holds an
    index into ``statuses`` (and the matching ``colours``).
    """
    placed = [i for i in incidents if i.lat is not None and i.lon is not None]
    statuses: dict[str, int] = {}
    for i in placed:
        statuses.setdefault(i.status, len(statuses))
    return {
        "statuses": list(statuses),
        "colours": [status_colour(s) for s in statuses],
        "id": [i.id for i in placed],
        "title": [i.title for i in placed],  # user text: the page sets it with textContent only
        "status": [statuses[i.status] for i in placed],
        "lat": [round(i.lat, 6) for i in placed],  # type: ignore[arg-type]
        "lon": [round(i.lon, 6) for i in placed],  # type: ignore[arg-type]
        "radius_m": [i.radius_m for i in placed],
        "t0": [i.start for i in placed],
        "t1": [i.end if i.end is not None else i.start for i in placed],
        "mmsis": [list(i.mmsis) for i in placed],
    }


def _antimeridian_safe(geometry: Mapping[str, Any]) -> dict[str, Any]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        parts = split_polygon(coords)
        if len(parts) == 1:
            return {"type": "Polygon", "coordinates": parts[0]}
        return {"type": "MultiPolygon", "coordinates": parts}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [p for poly in coords for p in split_polygon(poly)]}
    if kind == "LineString":
        parts = split_line(coords)
        return {"type": "MultiLineString", "coordinates": parts}
    return dict(geometry)


def footprints_geojson(footprints: Iterable[Footprint]) -> dict[str, Any]:
    features = []
    for fp in footprints:
        features.append(
            {
                "type": "Feature",
                "id": fp.id,
                "properties": {"id": fp.id, "title": fp.title, "kind": fp.kind, "t": fp.time},
                "geometry": _antimeridian_safe(fp.geometry),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _intersects(a: Sequence[float], b: Sequence[float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def tracks_geojson(
    tracks: Iterable[Track], zoom: int, bbox: tuple[float, float, float, float] | None = None
) -> dict[str, Any]:
    """Every track (or those touching ``bbox`` = west, south, east, north) simplified for zoom."""
    features = []
    for track in tracks:
        if len(track.lon) < 2 or (bbox is not None and not _intersects(track.bbox, bbox)):
            continue
        features.extend(track.features(zoom))
    return {"type": "FeatureCollection", "features": features}


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _query_float(query: Mapping[str, str], key: str) -> float | None:
    try:
        value = float(query[key])
    except (KeyError, ValueError):
        return None
    return value if math.isfinite(value) else None


class MapData:
    """In-memory layer data answering the page's ``/data/...`` and ``/overlay/...`` requests."""

    def __init__(
        self,
        incidents: Iterable[IncidentPoint] = (),
        tracks: Iterable[Track] = (),
        footprints: Iterable[Footprint] = (),
        overlays: Iterable[Overlay] = (),
    ) -> None:
        self._lock = threading.Lock()
        self.incidents = {i.id: i for i in incidents}
        self.tracks = list(tracks)
        self.footprints = list(footprints)
        self.overlays = {o.id: o for o in overlays}

    def move_incident(self, incident_id: str, lat: float, lon: float) -> dict[str, Any] | None:
        """Record a new position (already saved by the caller); the incident's new feature."""
        with self._lock:
            incident = self.incidents.get(incident_id)
            if incident is None:
                return None
            incident.lat, incident.lon = lat, lon
            return incident_feature(incident)

    def add_overlay(self, overlay: Overlay) -> dict[str, Any]:
        with self._lock:
            self.overlays[overlay.id] = overlay
        return self.overlay_descriptor(overlay)

    @staticmethod
    def overlay_descriptor(overlay: Overlay) -> dict[str, Any]:
        south, west, north, east = overlay.bounds
        return {
            "id": overlay.id,
            "title": overlay.title,
            "url": f"/overlay/{overlay.id}.png",
            "bounds": [[south, west], [north, east]],
            "opacity": overlay.opacity,
        }

    def __call__(self, path: str, query: Mapping[str, str]) -> Asset | None:
        """The answer to one request on our scheme, or None (404) when the path is unknown."""
        if path == "/data/incidents.json":
            with self._lock:
                return Asset(_dump(incidents_columns(list(self.incidents.values()))), "application/json")
        if path == "/data/incidents.geojson":
            with self._lock:
                return Asset(_dump(incidents_geojson(list(self.incidents.values()))), _JSON)
        if path == "/data/tracks.geojson":
            zoom = int(_query_float(query, "z") or 0)
            zoom = max(0, min(zoom, 22))
            box = [_query_float(query, k) for k in ("west", "south", "east", "north")]
            bbox = tuple(box) if all(v is not None for v in box) else None
            return Asset(_dump(tracks_geojson(self.tracks, zoom, bbox)), _JSON)  # type: ignore[arg-type]
        if path == "/data/footprints.geojson":
            return Asset(_dump(footprints_geojson(self.footprints)), _JSON)
        if path == "/data/overlays.json":
            with self._lock:
                return Asset(_dump([self.overlay_descriptor(o) for o in self.overlays.values()]), "application/json")
        if path.startswith("/overlay/") and path.endswith(".png"):
            overlay = self.overlays.get(path[len("/overlay/") : -len(".png")])
            return Asset(overlay.png_bytes(), "image/png") if overlay else None
        return None
