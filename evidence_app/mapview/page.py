"""Builds the map page with folium: Leaflet and plugins from our URL scheme, no CDN, our own
script for the layers, and a Content-Security-Policy that keeps the page on our scheme.

The page carries no data: incidents, tracks and the basemap are fetched from the scheme
by ``static/evmap.js``, so the HTML stays a few kilobytes whatever the case holds.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from evidence_app.mapview.assets import SCHEME, url

# What the page loads, in order. folium's defaults (Bootstrap, Font Awesome,
# awesome-markers, all from CDNs) are replaced, not extended.
PAGE_JS = [
    ("leaflet", "/assets/leaflet/leaflet.js"),
    # folium's popup code needs jQuery; the whole map script dies without it.
    ("jquery", "/assets/jquery/jquery.min.js"),
    ("evmap", "/assets/app/evmap.js"),
]
PAGE_CSS = [
    ("leaflet_css", "/assets/leaflet/leaflet.css"),
    ("evmap_css", "/assets/app/evmap.css"),
]

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(inline_scripts: list[str]) -> str:
    """Only our scheme, and only the page's own inline scripts (by hash, so an injected
    ``onerror=`` attribute or ``<script>`` never runs even if escaping failed somewhere)."""
    hashes = " ".join(sorted({_script_hash(s) for s in inline_scripts}))
    own = f"{SCHEME}:"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {own} {hashes}".rstrip(),
            f"style-src {own} 'unsafe-inline'",
            f"img-src {own} data: blob:",
            f"connect-src {own}",
            f"font-src {own}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-src 'none'",
            "object-src 'none'",
        ]
    )


def build_page(
    *,
    center: tuple[float, float] = (35.0, 125.0),
    zoom: int = 6,
    options: dict[str, Any] | None = None,
) -> str:
    """The map page's HTML. ``options`` go to ``EvidenceMap.init`` as JSON (tile layers...)."""
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    fmap = folium.Map(
        location=list(center),
        zoom_start=zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        world_copy_jump=False,
        # Our canvas tiles are drawn at once; fading each one in only costs frames while panning.
        fade_animation=False,
    )
    # Per instance: assigning on the class would change every later map in the process.
    fmap.default_js = [(name, url(path)) for name, path in PAGE_JS]
    fmap.default_css = [(name, url(path)) for name, path in PAGE_CSS]

    init = MacroElement()
    init._name = "EvidenceMapInit"
    init._template = Template(
        "{% macro script(this, kwargs) %}"
        "EvidenceMap.init({{ this._parent.get_name() }}, {{ this.options|tojson }});"
        "{% endmacro %}"
    )
    init.options = options or {}
    fmap.add_child(init)

    html = fmap.get_root().render()
    policy = content_security_policy(_INLINE_SCRIPT.findall(html))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    # First thing in <head>, so it governs every script and style after it.
    html = html.replace("<head>", f"<head>\n    {meta}", 1)
    return html
