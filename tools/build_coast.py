"""Build the coastline the detectors measure shore distance against: Natural Earth 1:10m land and islands.

Usage (from the npm package world-atlas 2.0.2, which redistributes Natural Earth 4.1.0):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    PYTHONPATH=. python tools/build_coast.py package/land-10m.json package/countries-10m.json \
        evidence_app/resources/coast/land-10m.npz

Input: ``land-10m.json`` (Natural Earth 1:10m physical "land") and the ``land`` object of
``countries-10m.json`` (the 1:10m Admin-0 countries merged), which carries some small
islands the physical layer lacks (Paracel Islands, Liancourt Rocks, islets of the
Seychelles and of the Spanish plazas on the Moroccan coast...). Output: the union of the
two, every polygon that does not already lie inside one of the first set added, rings
crossing ±180° split, coordinates as whole 1e-5 degrees (about 1 m; the source is
quantised to 1e5 steps across the world, 0.0036° of longitude and 0.0017° of latitude),
delta-encoded per ring and stored as a compressed numpy archive. The output bytes depend
only on the input files.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from evidence_app.domain.antimeridian import split_polygon
from tools.topojson_to_geojson import decode_arcs, polygons_of

SCALE = 100_000  # stored unit: 1e-5 degree


def read_polygons(path: Path) -> list[list[list[tuple[float, float]]]]:
    topology = json.loads(path.read_text())
    arcs = decode_arcs(topology)
    out = []
    for polygon in polygons_of(topology["objects"]["land"], arcs):
        for part in split_polygon(polygon):
            rings = [ring for ring in part if len(ring) >= 4]
            if rings and len(part[0]) >= 4:
                out.append(rings)
    return out


def merged(land: list, countries: list) -> tuple[list, int]:
    """``land`` plus every polygon of ``countries`` that no land polygon already covers."""
    import shapely

    shapes = [shapely.Polygon(p[0], p[1:]) for p in land]
    tree = shapely.STRtree(shapes)
    extra = []
    for polygon in countries:
        inside = shapely.Polygon(polygon[0], polygon[1:]).representative_point()
        if not len(tree.query(inside, predicate="intersects")):
            extra.append(polygon)
    return land + extra, len(extra)


def pack(polygons: list) -> dict[str, np.ndarray]:
    """Columns: ring deltas (int32 1e-5°), ring lengths, rings per polygon."""
    deltas, ring_sizes, poly_rings = [], [], []
    for polygon in polygons:
        poly_rings.append(len(polygon))
        for ring in polygon:
            q = np.round(np.asarray(ring, dtype=np.float64) * SCALE).astype(np.int64)
            d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
            deltas.append(d.astype(np.int32))
            ring_sizes.append(len(ring))
    return {
        "deltas": np.concatenate(deltas),
        "ring_sizes": np.asarray(ring_sizes, dtype=np.int32),
        "poly_rings": np.asarray(poly_rings, dtype=np.int32),
        "scale": np.asarray([SCALE], dtype=np.int64),
    }


def write_npz(target: Path, arrays: dict[str, np.ndarray]) -> int:
    """A deterministic .npz (fixed member order and timestamps, deflate)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.save(member, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 1
    land, countries = read_polygons(Path(argv[1])), read_polygons(Path(argv[2]))
    polygons, added = merged(land, countries)
    arrays = pack(polygons)
    size = write_npz(Path(argv[3]), arrays)
    print(
        f"{len(polygons)} polygons ({added} islands from the Admin-0 layer), "
        f"{arrays['deltas'].shape[0]:,} vertices, {size:,} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
