"""The desktop entry and AppStream metainfo pass the freedesktop validators, and name files that exist."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
APP_ID = "org.evidencereview.EvidenceReview"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make test` installs it (tools/ensure-system-packages.sh)")
    return path


def test_desktop_entry_is_valid():
    run = subprocess.run(
        [_tool("desktop-file-validate"), str(RESOURCES / f"{APP_ID}.desktop")], capture_output=True, text=True
    )
    assert run.returncode == 0 and "error" not in run.stdout.lower(), run.stdout + run.stderr


def test_metainfo_is_valid_and_launches_the_desktop_entry():
    metainfo = RESOURCES / f"{APP_ID}.metainfo.xml"
    run = subprocess.run([_tool("appstreamcli"), "validate", "--no-net", str(metainfo)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    root = ET.parse(metainfo).getroot()
    assert root.findtext("id") == APP_ID
    assert (RESOURCES / root.findtext("launchable")).is_file()


def test_every_icon_size_is_rendered_from_the_svg():
    entry = (RESOURCES / f"{APP_ID}.desktop").read_text()
    icon = next(line.split("=", 1)[1] for line in entry.splitlines() if line.startswith("Icon="))
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{icon}.png"
        assert png.is_file(), png
    assert (RESOURCES / "icons" / f"{icon}.svg").is_file()
