"""The frozen application (``make package``) runs on a machine without Python or network.

Run by ``make package-test``, which builds first and names the build in
``EVIDENCE_APP_FROZEN``; in a plain ``make test`` there is no build and these skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

ROOT = Path(__file__).resolve().parents[2]
FROZEN = os.environ.get("EVIDENCE_APP_FROZEN")

pytestmark = pytest.mark.skipif(not FROZEN, reason="no frozen build: run `make package-test`")


def _clean_env(home: Path) -> dict[str, str]:
    """What a fresh desktop session has: no virtualenv, no PYTHONPATH, system PATH only."""
    venv_bin = str(Path(sys.executable).parent)
    path = ":".join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if p != venv_bin)
    env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    # Any attempt to use the network through a proxy goes nowhere.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"
    return env


def _without_network(command: list[str]) -> list[str]:
    """The command inside a network namespace with no interface, where this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n", *command]
    return command


@pytest.fixture(scope="module")
def frozen() -> Path:
    binary = (ROOT / FROZEN).resolve() if FROZEN else None
    assert binary is not None and binary.is_file(), f"the frozen build is missing: {binary}"
    return binary


def test_the_build_carries_no_python_of_the_venv(frozen):
    # The bootloader is a native program, and the folder holds its own Python runtime.
    assert frozen.read_bytes()[:4] == b"\x7fELF"
    assert any(frozen.parent.glob("_internal/libpython3*.so*"))


def test_self_test_passes_offline_without_the_virtualenv(frozen, tmp_path):
    shot = tmp_path / "desk.png"
    command = _without_network([str(frozen), "--self-test", "--screenshot", str(shot)])
    if command[0] != str(frozen):
        probe = subprocess.run([*command[:2], "cat", "/proc/net/dev"], capture_output=True, text=True)
        assert "eth" not in probe.stdout and "ens" not in probe.stdout, "the namespace still has a network interface"
    run = subprocess.run(command, env=_clean_env(tmp_path), capture_output=True, text=True, timeout=600, cwd=tmp_path)
    print(run.stdout)
    assert run.returncode == 0, f"self-test failed:\n{run.stdout}\n{run.stderr[-3000:]}"
    for step in ("store", "window", "map", "offline", "case file", "report"):
        assert f"ok   {step}:" in run.stdout
    image = Image.open(shot).convert("RGB")
    assert image.size[0] >= 1280
    # A blank or one-colour grab has almost no spread; the desk with a drawn map has plenty.
    assert max(ImageStat.Stat(image).stddev) > 20
    # The AppStream screenshot is the one this test just took.
    target = ROOT / "resources" / "screenshots" / "desk.png"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, target)


def test_the_cli_runs_frozen(frozen, tmp_path):
    store = str(tmp_path / "s.sqlite")
    made = subprocess.run(
        [str(frozen), "--db", store, "case", "create", "Frozen check"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    listed = subprocess.run(
        [str(frozen), "--db", store, "--json", "case", "list"],
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Frozen check" in listed.stdout


def test_the_frozen_cli_works_on_a_team_database(frozen, tmp_path, pg_url):
    """The build carries the PostgreSQL driver: a field laptop can join the team database."""
    env = {**_clean_env(tmp_path), "EVIDENCE_APP_OBJECTS": str(tmp_path / "objects")}
    for command in (["case", "create", "Team check"], ["--json", "case", "list"]):
        done = subprocess.run(
            [str(frozen), "--db", pg_url, *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert "Team check" in done.stdout
