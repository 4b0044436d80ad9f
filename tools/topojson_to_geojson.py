"""Convert Natural Earth land TopoJSON (npm package world-atlas) into the map's basemap GeoJSON.

Usage: python tools/topojson_to_geojson.py land-50m.json evidence_app/resources/basemap/land-50m.geojson.gz

Decodes the quantised, delta-encoded arcs, rebuilds polygons, splits any ring that
crosses ±180° (evidence_app.mapview.geo) and writes gzipped GeoJSON with coordinates
rounded to 1e-4° (about 11 m, finer than the 1:50m source).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from evidence_app.domain.antimeridian import split_polygon


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (lon, lat) points, undoing quantisation and delta encoding."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:
                x += dx
                y += dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(float(px), float(py)) for px, py in arc]
        arcs.append(points)
    return arcs


def ring_from_arcs(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Join arcs into one ring; a negative index ~i means arc i reversed."""
    ring: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def polygons_of(geometry: dict, arcs: list) -> list[list[list[tuple[float, float]]]]:
    if geometry["type"] == "Polygon":
        return [[ring_from_arcs(r, arcs) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring_from_arcs(r, arcs) for r in poly] for poly in geometry["arcs"]]
    if geometry["type"] == "GeometryCollection":
        return [p for g in geometry["geometries"] for p in polygons_of(g, arcs)]
    return []


def convert(topology: dict, object_name: str = "land") -> dict:
    arcs = decode_arcs(topology)
    polygons = []
    split_count = 0
    for polygon in polygons_of(topology["objects"][object_name], arcs):
        parts = split_polygon(polygon)
        split_count += len(parts) > 1
        for part in parts:
            polygons.append([[[round(lon, 4), round(lat, 4)] for lon, lat in ring] for ring in part])
    print(f"{len(polygons)} polygons, {split_count} split at the antimeridian", file=sys.stderr)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"source": "Natural Earth land"},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        ],
    }


def main(argv: list[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    collection = convert(json.loads(source.read_text()))
    data = json.dumps(collection, separators=(",", ":")).encode()
    target.write_bytes(gzip.compress(data, mtime=0) if target.suffix == ".gz" else data)
    print(f"{target}: {len(data)} bytes of GeoJSON", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
