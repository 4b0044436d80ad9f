"""The running desk makes no network request: Chromium's own net log, which sees every request
the browser makes (the page's and its own background ones), shows none while the desk shows
the demo case's map, tracks and photo overlay.

The custom evmap: scheme never enters Chromium's network stack, so any URL request,
DNS lookup or socket in the log is traffic that left (or tried to leave) the app. A
control run that loads one loopback page proves the detector sees requests.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

HELPER = Path(__file__).with_name("netlog_app.py")
# Event types that mean the browser tried to reach a network.
NETWORK_EVENT_PREFIXES = (
    "URL_REQUEST",
    "HTTP_",
    "HOST_RESOLVER",
    "SOCKET",
    "TCP_",
    "UDP_",
    "SSL_",
    "QUIC_SESSION_",
    "PROXY_",
    "WEBSOCKET",
)
HARMLESS = {"QUIC_SESSION_POOL_CLOSE_ALL_SESSIONS"}  # logged at shutdown with no session open


def _load_netlog(path: Path) -> dict:
    raw = path.read_text()
    try:
        return json.loads(raw)
    except json.JSONDecodeError:  # a log closed at process exit may lack its final brackets
        return json.loads(raw.rstrip().rstrip(",") + "]}")


def network_activity(path: Path) -> list[str]:
    data = _load_netlog(path)
    names = {v: k for k, v in data["constants"]["logEventTypes"].items()}
    found = []
    for event in data.get("events", []):
        name = names.get(event["type"], str(event["type"]))
        urls = [v for v in event.get("params", {}).values() if isinstance(v, str) and "://" in v]
        if (name.startswith(NETWORK_EVENT_PREFIXES) and name not in HARMLESS) or urls:
            found.append(f"{name} {' '.join(urls)}".strip())
    return found


def _run(tmp_path: Path, *extra: str) -> tuple[list[str], dict]:
    log = tmp_path / "netlog.json"
    result = subprocess.run(
        [sys.executable, str(HELPER), str(log), str(tmp_path), "9", *extra],
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    layers = next((json.loads(line[7:]) for line in result.stdout.splitlines() if line.startswith("LAYERS ")), {})
    assert log.exists(), "Chromium wrote no net log"
    return network_activity(log), layers


def test_the_desk_makes_no_network_request(tmp_path):
    activity, layers = _run(tmp_path)
    # The map really drew the demo case (a blank page would also make no requests).
    assert layers.get("incidents") == 3 and layers.get("tracks") == 2 and layers.get("overlays") == 1, layers
    assert layers.get("landPolygons", 0) > 1000, layers
    assert activity == [], activity


def test_the_net_log_detector_sees_a_real_request(tmp_path):
    activity, _ = _run(tmp_path, "--control")
    assert any("127.0.0.1" in a for a in activity), activity


def test_our_flags_keep_the_users(monkeypatch):
    from evidence_app.ui.app import OFFLINE_CHROMIUM_FLAGS, offline_chromium_flags

    flags = offline_chromium_flags("--disable-gpu --no-pings").split()
    assert flags[:2] == ["--disable-gpu", "--no-pings"]
    assert flags.count("--no-pings") == 1 and set(OFFLINE_CHROMIUM_FLAGS) <= set(flags)
    assert "--no-sandbox" not in flags and "--no-sandbox" in offline_chromium_flags("", as_root=True).split()
