"""Map benchmark: 20,000 incidents and 500,000 AIS points, our page vs the plain folium page.

Prints "name value baseline ratio" lines. The baseline is folium's own way: every marker
and polyline written into the HTML (SVG renderer), served from the same local scheme so
both run offline. Run: PYTHONPATH=. python bench/bench_map.py [--incidents N --points N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
for _flag in ("--disable-gpu", "--no-sandbox"):
    if _flag not in _flags:
        _flags = f"{_flags} {_flag}".strip()
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = _flags


def make_data(n_incidents: int, n_points: int, vessels: int = 500):
    import numpy as np

    from evidence_app.mapview.layers import IncidentPoint, MapData, Track

    rng = np.random.default_rng(7)
    statuses = ["suspected", "under_review", "confirmed", "rejected", "inconclusive"]
    lats = rng.uniform(30, 40, n_incidents)
    lons = rng.uniform(120, 131, n_incidents)
    incidents = [
        IncidentPoint(f"i{k}", f"Incident {k}", statuses[k % 5], float(lats[k]), float(lons[k]), 2000.0,
                      1.55e9 + k * 600.0)
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
    from evidence_app.mapview.page import PAGE_CSS, PAGE_JS

    fmap = folium.Map(location=[35, 125], zoom_start=6, tiles=None)
    fmap.default_js = [(n, url(p)) for n, p in PAGE_JS if n != "evmap"]
    fmap.default_css = [(n, url(p)) for n, p in PAGE_CSS]
    for inc in data.incidents.values():
        folium.CircleMarker([inc.lat, inc.lon], radius=6, color="#222", fill=True, fill_color="#c51b1b",
                            tooltip=inc.title).add_to(fmap)
    for tr in data.tracks:
        folium.PolyLine(list(zip(tr.lat.tolist(), tr.lon.tolist(), strict=True)), weight=2).add_to(fmap)
    return fmap.get_root().render()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=500_000)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from evidence_app.ui.map_view import MapView, register_map_scheme

    register_map_scheme()
    app = QApplication(sys.argv[:1])

    def wait(predicate, timeout=180.0):
        end = time.perf_counter() + timeout
        while not predicate() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)
        return predicate()

    def js(view, code):
        box = {}
        view.run_js(code, lambda r: box.setdefault("r", r))
        wait(lambda: "r" in box, 120)
        return box.get("r")

    pan_js = """(() => { const m = window[document.querySelector('.folium-map').id];
        const t0 = performance.now(); let n = 0; window.__pan = null;
        function step() { if (n++ >= 20) { window.__pan = (performance.now() - t0) / 20; return; }
          m.panBy([60, 30], {animate: false}); requestAnimationFrame(step); }
        requestAnimationFrame(step); return 1; })()"""

    def measure_pan(view):
        js(view, pan_js)
        wait(lambda: js(view, "window.__pan") not in (None, ""), 120)
        return float(js(view, "window.__pan"))

    t = time.perf_counter()
    data = make_data(args.incidents, args.points)
    prep_s = time.perf_counter() - t

    # Ours.
    view = MapView(data, center=(35, 125), zoom=6)
    view.resize(1200, 800)
    view.show()
    ready = {}
    view.layersReady.connect(lambda s: ready.update(s))
    t = time.perf_counter()
    view.load_map()
    wait(lambda: bool(ready))
    ours_ready = time.perf_counter() - t
    ours_html = len(view.site.page_html().encode())
    ours_pan = measure_pan(view)
    view.close()

    # Baseline: the plain folium page, same data, same local assets.
    t = time.perf_counter()
    html = folium_baseline_html(data)
    base_build = time.perf_counter() - t
    base_view = MapView(data, center=(35, 125), zoom=6)
    base_view.site.page_html = lambda: html  # type: ignore[method-assign]
    base_view.resize(1200, 800)
    base_view.show()
    done = {}
    base_view.loadFinished.connect(lambda ok: done.setdefault("ok", ok))
    t = time.perf_counter()
    base_view.load_map()
    wait(lambda: "ok" in done, 600)
    js(base_view, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => 1)")
    base_ready = time.perf_counter() - t
    base_pan = measure_pan(base_view)
    base_view.close()

    print(f"# {args.incidents} incidents, {args.points} track points; data generated in {prep_s:.2f} s")
    print(f"# folium baseline HTML built in {base_build:.1f} s (python)")
    rows = [
        ("open_to_drawn_s", ours_ready, base_ready),
        ("html_bytes", ours_html, len(html.encode())),
        ("pan_frame_ms", ours_pan, base_pan),
    ]
    for name, value, baseline in rows:
        print(f"{name} {value:.3f} {baseline:.3f} {value / baseline:.3f}")
    print(f"# ours drawn: {ready.get('counts')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
