"""The map page, its assets and the basemap: offline by construction, nothing else served."""

from __future__ import annotations

import json
import re

from evidence_app.mapview import assets
from evidence_app.mapview.page import build_page
from evidence_app.mapview.server import MapSite


def test_page_has_no_remote_url_and_a_csp() -> None:
    html = build_page(options={"basemaps": [{"name": "</script><img src=x onerror=alert(1)>"}]})
    assert not re.search(r"https?://", html)
    assert "//cdn" not in html
    assert 'http-equiv="Content-Security-Policy"' in html
    assert "script-src evmap: 'sha256-" in html
    assert "'unsafe-inline'" not in html.split("script-src", 1)[1].split(";", 1)[0]
    # User text in the options cannot close the script element.
    assert "</script><img" not in html
    for path in ("/assets/leaflet/leaflet.js", "/assets/jquery/jquery.min.js", "/assets/app/evmap.js"):
        assert f'src="evmap://local{path}"' in html


def test_default_folium_maps_are_left_alone() -> None:
    import folium

    build_page()
    assert any("cdn" in url for _, url in folium.Map().default_js)


def test_assets_come_from_xstatic_and_our_static_folder() -> None:
    leaflet = assets.read_asset("/assets/leaflet/leaflet.js")
    assert leaflet is not None and b"1.9.3" in leaflet.body
    assert leaflet.media_type == "text/javascript"
    assert assets.read_asset("/assets/markercluster/MarkerCluster.css") is None  # clustering is our own now
    assert assets.read_asset("/assets/app/evmap.js") is not None
    assert assets.read_asset("/assets/leaflet/images/layers.png").media_type == "image/png"


def test_nothing_outside_the_asset_folders_is_served() -> None:
    for path in (
        "/assets/leaflet/../../../__init__.py",
        "/assets/app/../assets.py",
        "/assets/nope/x.js",
        "/assets/leaflet/",
        "/etc/passwd",
        "/assets//etc/passwd",
    ):
        assert assets.read_asset(path) is None, path
    site = MapSite()
    assert site.handle("/elsewhere", {}) is None
    assert site.handle("/data/incidents.geojson", {}) is None  # no provider data
    assert site.handle("/tiles/0/0/0/0", {}) is None


def test_land_basemap_covers_the_korean_peninsula() -> None:
    land = json.loads(assets.land_geojson())
    polygons = land["features"][0]["geometry"]["coordinates"]
    assert len(polygons) > 1000

    def inside(lon: float, lat: float, ring: list) -> bool:
        hit = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    def on_land(lon: float, lat: float) -> bool:
        return any(inside(lon, lat, poly[0]) for poly in polygons)

    assert on_land(127.8, 36.5)  # South Korea, inland
    assert on_land(126.5, 33.37)  # Jeju island
    assert on_land(121.0, 23.7)  # Taiwan
    assert not on_land(124.0, 36.0)  # Yellow Sea
    assert not on_land(125.0, 30.0)  # East China Sea
