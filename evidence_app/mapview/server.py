"""Answers every request the map page makes on our URL scheme: the page, static assets,
the basemap, MBTiles tiles, and (through the data provider) layer data and overlays.

Qt-free, so the routing is tested without a browser; ``ui.map_view`` only adapts it to
a ``QWebEngineUrlSchemeHandler``. Anything not listed here is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from evidence_app.mapview import assets
from evidence_app.mapview.assets import Asset
from evidence_app.mapview.mbtiles import MBTiles
from evidence_app.mapview.page import build_page

DataProvider = Callable[[str, Mapping[str, str]], Asset | None]
PAGE_PATH = "/index.html"
PAGE_URL = assets.url(PAGE_PATH)

_TILE = re.compile(r"^/tiles/(\d+)/(\d+)/(\d+)/(\d+)$")


def _no_data(path: str, query: Mapping[str, str]) -> Asset | None:
    return None


class MapSite:
    """Everything served on ``evmap://local``; one per map view."""

    def __init__(
        self,
        provider: DataProvider = _no_data,
        *,
        center: tuple[float, float] = (35.0, 125.0),
        zoom: int = 6,
    ) -> None:
        self.provider = provider
        self.center = center
        self.zoom = zoom
        self.basemaps: list[MBTiles] = []
        self.panel_state: dict[str, bool] = {}  # folded control panels, kept across page loads

    def add_mbtiles(self, tiles: MBTiles) -> dict[str, Any]:
        """Serve ``tiles`` as an extra basemap; its descriptor for the page's layer switcher."""
        self.basemaps.append(tiles)
        return self.basemap_descriptor(len(self.basemaps) - 1)

    def basemap_descriptor(self, index: int) -> dict[str, Any]:
        tiles = self.basemaps[index]
        lo, hi = tiles.zoom_range
        return {
            "name": tiles.name,  # user text: escaped by the page before Leaflet sees it
            "url": f"/tiles/{index}/{{z}}/{{x}}/{{y}}",
            "minZoom": lo,
            "maxZoom": hi,
            "bounds": tiles.bounds,
            "attribution": tiles.metadata.get("attribution", ""),
        }

    def page_html(self) -> str:
        options = {
            "basemaps": [self.basemap_descriptor(i) for i in range(len(self.basemaps))],
            "collapsed": dict(self.panel_state),
        }
        return build_page(center=self.center, zoom=self.zoom, options=options)

    def handle(self, path: str, query: Mapping[str, str]) -> Asset | None:
        """The answer to one request, or None for "not found"."""
        if path in (PAGE_PATH, "/"):
            return Asset(self.page_html().encode(), "text/html; charset=utf-8")
        if path.startswith("/assets/"):
            return assets.read_asset(path)
        if path == "/basemap/land.geojson":
            return Asset(assets.land_geojson(), "application/geo+json")
        match = _TILE.match(path)
        if match:
            index, z, x, y = (int(g) for g in match.groups())
            if index >= len(self.basemaps):
                return None
            tiles = self.basemaps[index]
            body = tiles.tile(z, x, y)
            return Asset(body, tiles.media_type) if body is not None else None
        if path.startswith(("/data/", "/overlay/")):
            return self.provider(path, query)
        return None
