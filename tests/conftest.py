"""Shared fixtures: the real sample data, fresh stores, and Qt set up for offscreen runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Must be set before Qt is imported anywhere in the test process.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
for _flag in ("--disable-gpu", "--no-sandbox"):
    if _flag not in _flags:
        _flags = f"{_flags} {_flag}".strip()
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = _flags
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

# Generated tests see the same cases on every run of `make test`, so CI is deterministic;
# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) searches fresh random cases and keeps what it finds.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public sample data (../shared/data); skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"sample data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config folder: signing keys are never written to the real one.

    Set in the environment (not passed around) so CLI child processes inherit it too.
    """
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("EVIDENCE_APP_CONFIG", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path):
    """A fresh, migrated SQLite store in a temporary folder."""
    from evidence_app.storage.db import open_store

    opened = open_store(tmp_path / "store.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def ctx(store):
    from evidence_app.services.context import Context

    return Context(store, "analyst-a")


@pytest.fixture
def sample_case(ctx):
    """A case with two vessels and one incident with both as participants."""
    from datetime import UTC, datetime

    from evidence_app.services import cases, incidents, vessels

    case = cases.create_case(ctx, "Yellow Sea 2019", caveat="OFFICIAL")
    vessels.add_vessel(ctx, imo=9123453, mmsi=445123000, name="CHON MA SAN", length_m=110)
    vessels.add_vessel(ctx, imo=9216470, mmsi=352001234, name="NEW REGENT", length_m=104)
    incident = incidents.add_incident(
        ctx,
        case.id,
        start_utc=datetime(2019, 3, 11, 14, tzinfo=UTC),
        lat=36.55,
        lon=123.95,
        radius_m=500,
        title="STS south of Dalian",
        participants=[
            incidents.ParticipantSpec("9123453", "receiver"),
            incidents.ParticipantSpec("9216470", "supplier"),
        ],
    )
    return case, incident
