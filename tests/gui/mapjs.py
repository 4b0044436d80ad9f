"""Reading the map page from a test: run a script in a map view and wait for its value."""

from __future__ import annotations

import json
from typing import Any


def run_js(qtbot: Any, view: Any, code: str, timeout: int = 5000) -> Any:
    """The value of ``code`` run in a map view's page, waited for."""
    box: dict = {}
    view.run_js(code, lambda result: box.setdefault("r", result))
    qtbot.waitUntil(lambda: "r" in box, timeout=timeout)
    return box["r"]


def map_state(qtbot: Any, view: Any) -> dict:
    """What the page says it shows (``EvidenceMap.state()``)."""
    return json.loads(run_js(qtbot, view, "EvidenceMap.state()"))
