"""The desk starts on Qt's xcb platform (an X11 desktop) under Xvfb, not only offscreen.

A desktop missing one of the xcb libraries (libxcb-cursor0, libxcb-icccm4, ...) fails here
with "could not load the Qt platform plugin xcb", as it did for a new analyst.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui


@pytest.fixture
def xvfb_display():
    """A private Xvfb server; its display number is chosen by Xvfb itself (-displayfd)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (tools/ensure-system-packages.sh installs it)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()  # Xvfb writes the number once it accepts clients
    if not number:
        server.kill()
        server.wait()
        pytest.skip(f"Xvfb could not start (exit {server.poll()})")
    yield f":{number}"
    server.terminate()
    server.wait(10)


def test_the_desk_starts_on_the_xcb_platform_under_xvfb(xvfb_display, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=xvfb_display, QT_DEBUG_PLUGINS="0")
    env["EVIDENCE_APP_CONFIG"] = str(tmp_path / "config")
    shot = tmp_path / "desk-xcb.png"
    done = subprocess.run(
        [sys.executable, "-m", "evidence_app", "--self-test", "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "main window open on platform xcb" in done.stdout
    assert "ok   map:" in done.stdout
    assert shot.stat().st_size > 20_000
