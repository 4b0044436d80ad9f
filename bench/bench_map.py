"""Map benchmark: 20,000 incidents and 500,000 AIS points, our page vs the plain folium page.

Measures, for both pages, in a real QWebEngineView (offscreen, software rendering):
- open → layers drawn: from ``load()`` until every layer is drawn and painted (ours reports
  it over the bridge after two animation frames; the baseline after loadFinished and two
  animation frames);
- pan frame: the map is panned across the data by a scripted ``panBy`` on every animation
  frame; the frame time is the gap between requestAnimationFrame timestamps (mean, p95).
  Each step is a complete move (moveend included), so it is harsher than a mouse drag,
  which repaints nothing until the drag ends;
- page HTML bytes.
The baseline is folium's own way: every marker and polyline written into the HTML (SVG
renderer), served from the same local scheme so both run offline. folium is imported before
either page is timed (the import alone is ~0.2-0.6 s, paid once per process by both), and
the baseline's Python build time is reported beside it.

Run: ``PYTHONPATH=. python bench/bench_map.py [--incidents N --points N] [--json]``, or
``python -m bench map`` (``run()`` starts this file in a fresh process: Chromium flags and
the URL scheme must be set before any QApplication exists).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
for _flag in ("--disable-gpu", "--no-sandbox"):
    if _flag not in _flags:
        _flags = f"{_flags} {_flag}".strip()
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = _flags

PAN_FRAMES = 90
PAN_STEP = (30, 15)  # pixels per frame: 2,700 x 1,350 px in all, across the whole data area

# Frame times from requestAnimationFrame timestamps while panning one step per frame.
PAN_JS = """(() => {
  const m = window[document.querySelector('.folium-map').id];
  const gaps = [], work = []; let n = 0, last = null; window.__pan = null;
  function step(ts) {
    if (last !== null) gaps.push(ts - last);
    last = ts;
    if (n++ >= %(frames)d) {
      gaps.sort((a, b) => a - b);
      window.__pan = JSON.stringify({
        mean: gaps.reduce((a, b) => a + b, 0) / gaps.length,
        p95: gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.95))],
        max: gaps[gaps.length - 1],
        script: work.reduce((a, b) => a + b, 0) / work.length });
      return;
    }
    const t0 = performance.now();
    m.panBy([%(dx)d, %(dy)d], {animate: false});
    work.push(performance.now() - t0);
    requestAnimationFrame(step);
  }
  m.setView([35, 122], 6, {animate: false});
  setTimeout(() => requestAnimationFrame(step), 300);
  return 1;
})()""" % {"frames": PAN_FRAMES, "dx": PAN_STEP[0], "dy": PAN_STEP[1]}  # noqa: UP031 (JavaScript braces)


def make_data(n_incidents: int, n_points: int, vessels: int = 500):
    import numpy as np

    from evidence_app.mapview.layers import IncidentPoint, MapData, Track

    rng = np.random.default_rng(7)
    statuses = ["suspected", "under_review", "confirmed", "rejected", "inconclusive"]
    lats = rng.uniform(30, 40, n_incidents)
    lons = rng.uniform(120, 131, n_incidents)
    incidents = [
        IncidentPoint(
            f"i{k}", f"Incident {k}", statuses[k % 5], float(lats[k]), float(lons[k]), 2000.0, 1.55e9 + k * 600.0
        )
        for k in range(n_incidents)
    ]
    per = n_points // vessels
    tracks = []
    for v in range(vessels):
        heading = np.cumsum(rng.normal(0, 0.05, per)) + rng.uniform(0, 6.28)
        lon = rng.uniform(121, 129) + np.cumsum(np.cos(heading) * 0.004) + rng.normal(0, 1e-4, per)
        lat = rng.uniform(31, 38) + np.cumsum(np.sin(heading) * 0.004) + rng.normal(0, 1e-4, per)
        ts = (1.55e9 + np.arange(per) * 120).astype(np.int64)
        tracks.append(Track(440000000 + v, f"V{v}", ts, lat, lon))
    return MapData(incidents, tracks)


def folium_baseline_html(data) -> str:
    import folium

    from evidence_app.mapview.assets import url

    fmap = folium.Map(location=[35, 125], zoom_start=6, tiles=None)
    fmap.default_js = [
        ("leaflet", url("/assets/leaflet/leaflet.js")),
        ("jquery", url("/assets/jquery/jquery.min.js")),
    ]
    fmap.default_css = [("leaflet_css", url("/assets/leaflet/leaflet.css"))]
    for inc in data.incidents.values():
        folium.CircleMarker(
            [inc.lat, inc.lon], radius=6, color="#222", fill=True, fill_color="#c51b1b", tooltip=inc.title
        ).add_to(fmap)
    for tr in data.tracks:
        folium.PolyLine(list(zip(tr.lat.tolist(), tr.lon.tolist(), strict=True)), weight=2).add_to(fmap)
    return fmap.get_root().render()


def measure(n_incidents: int, n_points: int, *, baseline: bool = True) -> dict[str, Any]:
    import folium  # noqa: F401  (warm: both pages need it; see the module docstring)
    from PySide6.QtWidgets import QApplication

    from evidence_app.ui.map_view import MapView, register_map_scheme

    register_map_scheme()
    app = QApplication(sys.argv[:1])

    def wait(predicate, timeout=180.0):
        end = time.perf_counter() + timeout
        while not predicate() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)
        return predicate()

    def js(view, code):
        box = {}
        view.run_js(code, lambda r: box.setdefault("r", r))
        wait(lambda: "r" in box, 120)
        return box.get("r")

    def measure_pan(view) -> dict[str, float]:
        js(view, PAN_JS)
        wait(lambda: js(view, "window.__pan") not in (None, ""), 300)
        return json.loads(js(view, "window.__pan"))

    out: dict[str, Any] = {"incidents": n_incidents, "points": n_points}
    t = time.perf_counter()
    data = make_data(n_incidents, n_points)
    out["data_s"] = time.perf_counter() - t

    # Ours.
    view = MapView(data, center=(35, 125), zoom=6)
    view.resize(1200, 800)
    view.show()
    ready: dict[str, Any] = {}
    view.layersReady.connect(lambda s: ready.update(s))
    t = time.perf_counter()
    view.load_map()
    wait(lambda: bool(ready))
    out["ours_open_s"] = time.perf_counter() - t
    out["ours_marks"] = ready.get("marks")
    out["ours_counts"] = ready.get("counts")
    out["ours_stats"] = json.loads(js(view, "EvidenceMap.stats()"))
    out["ours_html_bytes"] = len(view.site.page_html().encode())
    out["ours_pan"] = measure_pan(view)
    out["ours_errors"] = ready.get("errors")
    view.close()
    if not baseline:
        return out

    # Baseline: the plain folium page, same data, same local assets.
    t = time.perf_counter()
    html = folium_baseline_html(data)
    out["base_build_s"] = time.perf_counter() - t
    base_view = MapView(data, center=(35, 125), zoom=6)
    base_view.site.page_html = lambda: html  # type: ignore[method-assign]
    base_view.resize(1200, 800)
    base_view.show()
    done: dict[str, bool] = {}
    base_view.loadFinished.connect(lambda ok: done.setdefault("ok", ok))
    t = time.perf_counter()
    base_view.load_map()
    wait(lambda: "ok" in done, 600)
    js(base_view, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => 1)")
    out["base_open_s"] = time.perf_counter() - t
    out["base_html_bytes"] = len(html.encode())
    out["base_pan"] = measure_pan(base_view)
    base_view.close()
    return out


def results(m: dict[str, Any]) -> list[dict[str, Any]]:
    """The measurements as the runner's result rows."""
    scale = f"{m['incidents']:,} incidents, {m['points']:,} track points, 1200x800 view at zoom 6"
    return [
        {
            "name": "map_open_to_layers_drawn",
            "value": m["ours_open_s"],
            "unit": "s",
            "baseline": m["base_open_s"],
            "target": 2.0,
            "higher_is_better": False,
            "note": f"{scale}; plain folium also spends {m['base_build_s']:.1f} s building its HTML in Python",
        },
        {
            "name": "map_pan_frame_mean",
            "value": m["ours_pan"]["mean"],
            "unit": "ms",
            "baseline": m["base_pan"]["mean"],
            "target": 30.0,
            "higher_is_better": False,
            "note": f"panBy({PAN_STEP[0]}, {PAN_STEP[1]}) every frame for {PAN_FRAMES} frames; 16.7 ms = every vsync",
        },
        {
            "name": "map_pan_frame_p95",
            "value": m["ours_pan"]["p95"],
            "unit": "ms",
            "baseline": m["base_pan"]["p95"],
            "target": 34.0,
            "higher_is_better": False,
            "note": "95th percentile of the same frames (34 ms = at most one vsync missed)",
        },
        {
            "name": "map_page_html",
            "value": float(m["ours_html_bytes"]),
            "unit": "bytes",
            "baseline": float(m["base_html_bytes"]),
            "target": None,
            "higher_is_better": False,
            "note": "",
        },
    ]


def run() -> list[dict[str, Any]]:
    """Runner entry point: measures in a fresh process (see the module docstring)."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    return results(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--json", action="store_true", help="print the raw measurements as one JSON line")
    parser.add_argument("--ours-only", action="store_true", help="skip the (slow) folium baseline")
    args = parser.parse_args()
    m = measure(args.incidents, args.points, baseline=not args.ours_only)
    if args.ours_only:
        print(json.dumps({k: m[k] for k in ("ours_open_s", "ours_pan", "ours_marks")}))
        return 0
    if args.json:
        print(json.dumps(m))
        return 0
    print(f"# {args.incidents} incidents, {args.points} track points; data generated in {m['data_s']:.2f} s")
    print(f"# folium baseline HTML built in {m['base_build_s']:.1f} s (python)")
    print(f"# ours: marks (ms since navigation) {m['ours_marks']}")
    print(f"# ours: drawn {m['ours_stats']}; errors {m['ours_errors']}")
    print(f"# pan ours {m['ours_pan']}  baseline {m['base_pan']}")
    print(f"{'name':<28} {'ours':>12} {'folium':>14} {'target':>8}")
    for r in results(m):
        target = "-" if r["target"] is None else f"{r['target']:g}"
        print(f"{r['name']:<28} {r['value']:>12.3f} {r['baseline']:>14.3f} {target:>8} {r['unit']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
