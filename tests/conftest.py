"""Shared fixtures: the real sample data, fresh stores, and Qt set up for offscreen runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Must be set before Qt is imported anywhere in the test process.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
for _flag in ("--disable-gpu", "--no-sandbox"):
    if _flag not in _flags:
        _flags = f"{_flags} {_flag}".strip()
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = _flags
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public sample data (../shared/data); skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"sample data folder {SHARED_DATA} is absent")
    return SHARED_DATA
