"""Benchmark: first view of a 20,000 × 10,000 photo, against Pillow decoding it whole.

What is measured (each step in a fresh subprocess, so peak RSS is that step's own):
  cold_first_view_s   probe headers + decode a reduced preview (JPEG DCT scaling) + load it:
                      what the viewer shows the first time a photo is opened
  warm_first_view_s   read the cached preview and the tiles of the coarsest level from
                      the pyramid: every later open
  pyramid_build_s     decode once and write all tile levels (done at import, in the background)
  *_peak_rss_mb       peak resident memory of that step's process
Baseline: Pillow ``Image.open(...).load()`` of the full image (time and peak RSS).
Targets: first view < 1.5 s; process < 1.5 GB.

Run: PYTHONPATH=. python bench/bench_photo_open.py [--workdir DIR]
Prints "name value baseline ratio" lines.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT = 20_000, 10_000


def generate(path: Path) -> None:
    """A synthetic sea scene with bright 'hulls', saved as a quality-90 JPEG."""
    import numpy as np
    from PIL import Image, ImageDraw

    y = np.arange(HEIGHT, dtype=np.uint16)[:, None]
    x = np.arange(WIDTH, dtype=np.uint16)[None, :]
    a = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    a[..., 0] = ((x // 7 + y // 5) % 64).astype(np.uint8) + 20
    a[..., 1] = ((x // 13) % 128).astype(np.uint8) + 60
    a[..., 2] = ((y // 11) % 128).astype(np.uint8) + 100
    im = Image.fromarray(a)
    del a
    draw = ImageDraw.Draw(im)
    for i in range(0, WIDTH, 1000):
        draw.rectangle([i, HEIGHT // 2, i + 300, HEIGHT // 2 + 50], fill=(250, 250, 250))
    im.save(path, quality=90)


def _peak_mb() -> float:
    # VmHWM belongs to this process image; ru_maxrss survives exec on Linux and would
    # report the parent's peak (e.g. from generating the test image).
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name: str, image: Path, cache: Path) -> dict[str, float]:
    from PIL import Image

    t0 = time.perf_counter()
    if name == "baseline":
        Image.MAX_IMAGE_PIXELS = None
        with Image.open(image) as im:
            im.load()
    elif name == "cold":
        from evidence_app.imagery.images import probe_image
        from evidence_app.imagery.pyramid import build_preview

        probe_image(image)
        with Image.open(build_preview(image, cache)) as p:
            p.load()
    elif name == "pyramid":
        from evidence_app.imagery.pyramid import build_pyramid

        build_pyramid(image, cache)
    elif name == "warm":
        from evidence_app.imagery.pyramid import open_pyramid

        pyr = open_pyramid(cache)
        assert pyr is not None
        with Image.open(pyr.preview_path) as p:
            p.load()
        top = pyr.levels - 1
        for col, row in pyr.tiles_in(top, 0, 0, pyr.width, pyr.height):
            with Image.open(pyr.tile_path(top, col, row)) as t:
                t.load()
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def _measure(work: Path) -> dict[str, dict[str, float]]:
    work.mkdir(parents=True, exist_ok=True)
    image = work / "big_20000x10000.jpg"
    if not image.exists():
        generate(image)
    cache = work / "cache"
    if cache.exists():
        import shutil

        shutil.rmtree(cache)

    def in_child(name: str) -> dict[str, float]:
        # each step in a fresh process, so peak RSS is that step's own
        out = subprocess.run(
            [sys.executable, __file__, "--step", name, "--image", str(image), "--cache", str(cache)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout)

    return {name: in_child(name) for name in ("baseline", "cold", "pyramid", "warm")}


def run() -> list[dict[str, object]]:
    """Results for the bench runner (python -m bench)."""
    with tempfile.TemporaryDirectory(prefix="bench-photo-") as tmp:
        m = _measure(Path(tmp))
    base = m["baseline"]
    note = "20,000 x 10,000 JPEG; baseline: Pillow decoding the full image"
    return [
        {
            "name": "photo first view, cold (s)",
            "value": m["cold"]["seconds"],
            "unit": "s",
            "baseline": base["seconds"],
            "target": 1.5,
            "note": note,
        },
        {
            "name": "photo first view, cached pyramid (s)",
            "value": m["warm"]["seconds"],
            "unit": "s",
            "baseline": base["seconds"],
            "target": 1.5,
        },
        {
            "name": "photo first view peak RSS (MB)",
            "value": m["cold"]["peak_mb"],
            "unit": "MB",
            "baseline": base["peak_mb"],
            "target": 1536,
        },
        {
            "name": "photo pyramid build at import (s)",
            "value": m["pyramid"]["seconds"],
            "unit": "s",
            "baseline": base["seconds"],
            "target": None,
        },
        {
            "name": "photo pyramid build peak RSS (MB)",
            "value": m["pyramid"]["peak_mb"],
            "unit": "MB",
            "baseline": base["peak_mb"],
            "target": 1536,
        },
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--image", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.image, args.cache)))
        return 0
    m = _measure(args.workdir or Path(tempfile.mkdtemp(prefix="bench-photo-")))
    base = m["baseline"]
    print("name value baseline ratio")
    for label, key in (("cold_first_view", "cold"), ("warm_first_view", "warm"), ("pyramid_build", "pyramid")):
        r = m[key]
        print(f"{label}_s {r['seconds']:.3f} {base['seconds']:.3f} {r['seconds'] / base['seconds']:.2f}")
        print(f"{label}_peak_rss_mb {r['peak_mb']:.0f} {base['peak_mb']:.0f} {r['peak_mb'] / base['peak_mb']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
