"""Shared fixtures: the real sample data, fresh stores, and Qt set up for offscreen runs."""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
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
GUI_TESTS = Path(__file__).resolve().parent / "gui"

# -- the core suite runs without Qt ------------------------------------------------------
# `make test` runs the tests not marked gui in .venv-core, which has no PySide6 and no
# pytest-qt: that proves the core (everything but ui/ and workers/) works without Qt.
# EVIDENCE_APP_TESTS_WITHOUT_QT=1 (with -p no:pytest-qt) does the same in a venv that has Qt.
QT_FIXTURES = {"qtbot", "qapp", "qapp_args", "qapp_cls", "qtmodeltester", "qtlog"}
QT_MODULES = ("PySide6", "shiboken6", "pytestqt")
WITHOUT_QT = importlib.util.find_spec("PySide6") is None or os.environ.get("EVIDENCE_APP_TESTS_WITHOUT_QT") == "1"


class _QtBlocker:
    """Refuses every Qt import in the core suite and remembers who tried, so the run fails loudly.

    An ImportError alone could be swallowed (``pytest.importorskip``, ``except ImportError``)
    and turn a Qt dependency in the core into a quiet skip.
    """

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] not in QT_MODULES:
            return None
        where = "".join(traceback.format_stack(limit=12)[:-1])
        self.attempts.append(f"import {name}\n{where}")
        raise ImportError(f"{name} imported in the core suite, which runs without Qt (mark the test gui)")


QT_BLOCKER = _QtBlocker()
# The gui folder's modules import Qt at module level: they run in the Qt venv only.
collect_ignore = ["gui"] if WITHOUT_QT else []
if WITHOUT_QT:
    sys.meta_path.insert(0, QT_BLOCKER)


def pytest_addoption(parser: pytest.Parser) -> None:
    if WITHOUT_QT:  # pytest-qt's settings in pyproject.toml, known here so --strict-config accepts them
        parser.addini("qt_log_level_fail", "pytest-qt (not installed in the core venv)")
        parser.addini("qt_log_ignore", "pytest-qt (not installed in the core venv)", type="linelist")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses Qt is marked gui: by pytest-qt's fixtures or by living in tests/gui.

    Runs first, so ``-m gui`` and ``-m "not gui"`` select on these marks.
    """
    for item in items:
        if QT_FIXTURES & set(getattr(item, "fixturenames", ())) or GUI_TESTS in item.path.parents:
            item.add_marker(pytest.mark.gui)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    if WITHOUT_QT:
        gui = [item.nodeid for item in session.items if item.get_closest_marker("gui")]
        if gui:
            raise pytest.UsageError(f"the core suite runs without Qt: select with -m 'not gui' (gui tests: {gui[:3]})")


@pytest.fixture(autouse=True)
def _no_qt_in_core_tests():
    """In the core suite, a test that tried to import Qt fails, naming the import and its caller."""
    before = len(QT_BLOCKER.attempts)
    yield
    if QT_BLOCKER.attempts[before:]:
        pytest.fail("a core test imported Qt:\n" + QT_BLOCKER.attempts[before], pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Qt imported at collection or in a fixture outside any test still fails the core run."""
    if QT_BLOCKER.attempts and session.exitstatus == 0:
        sys.stderr.write(
            f"\nthe core suite imported Qt {len(QT_BLOCKER.attempts)} time(s); first:\n{QT_BLOCKER.attempts[0]}\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


# Tests marked `backends` run once on SQLite and once on PostgreSQL (a server started for
# the run, one database per test cloned from a migrated template). Unmarked tests use
# SQLite, or the backend EVIDENCE_TEST_BACKEND names (to try a whole folder on PostgreSQL).
BACKENDS = ("sqlite", "postgresql")
ENV_TEST_BACKEND = "EVIDENCE_TEST_BACKEND"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test's store lives in: ``sqlite`` or ``postgresql``."""
    return getattr(request, "param", None) or os.environ.get(ENV_TEST_BACKEND) or "sqlite"


def _pg_tools():
    import importlib.util

    spec = importlib.util.spec_from_file_location("pg_test_server", PROJECT_ROOT / "tools" / "pg_test_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEMPLATE_DB = "evidence_template"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """One PostgreSQL server for the whole run, with a migrated template database; stopped at the end."""
    from sqlalchemy import create_engine, text

    from evidence_app.storage.db import open_store

    server = _pg_tools().PgTestServer()
    try:
        server.start()
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
        admin.dispose()
        template = open_store(server.url(TEMPLATE_DB), objects_dir=tmp_path_factory.mktemp("template-objects"))
        with template.write() as session:  # clones get their own evidence folder
            session.execute(text("DELETE FROM store_meta WHERE key = 'objects_dir'"))
        template.close()
        yield server
    finally:
        server.close()


_pg_counter = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test (a clone of the template), dropped after it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    name = f"t{os.getpid()}_{next(_pg_counter)}"
    # No pooled connection: a test may restart the server in between.
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY"))
        yield pg_server.url(name)
        if pg_server.running:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the test's store is: a SQLite file path, or a PostgreSQL URL.

    For PostgreSQL the evidence folder is set in the environment too, so CLI runs and
    child processes find the same one.
    """
    if backend == "sqlite":
        return str(tmp_path / "store.sqlite")
    monkeypatch.setenv("EVIDENCE_APP_OBJECTS", str(tmp_path / "store.objects"))
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str):
    """A fresh, migrated store (SQLite file in a temporary folder, or a PostgreSQL database)."""
    from evidence_app.storage.db import open_store

    opened = open_store(store_url)
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
