"""The layering rules as executable checks: the core imports no Qt; imports point downward."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CORE = [
    "evidence_app.domain",
    "evidence_app.storage",
    "evidence_app.ingest",
    "evidence_app.analysis",
    "evidence_app.services",
    "evidence_app.casefile",
    "evidence_app.mapview",
    "evidence_app.cli",
]


def test_core_packages_do_not_load_qt():
    """Import every core module in a fresh interpreter and check no Qt module got loaded."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    pkg = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, name + '.'):\n"
        "        if '.migrations' in info.name: continue\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"core modules imported Qt: {result.stdout}"


def test_import_contracts_hold():
    """import-linter's contracts in pyproject.toml (no Qt in the core, layers point downward)."""
    # next to the interpreter running the tests: the project's .venv, or any other venv
    lint = Path(sys.executable).parent / "lint-imports"
    exe = str(lint) if lint.exists() else "lint-imports"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout
