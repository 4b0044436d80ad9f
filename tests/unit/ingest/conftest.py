"""Fixtures for the importers' property tests: a fresh store per generated example.

Migrating a new SQLite store costs about a second; copying one migrated once costs a few
milliseconds, so each hypothesis example gets its own empty store cheaply.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _migrated_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evidence_app.storage.db import open_store

    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    open_store(path).close()
    return path


@pytest.fixture
def fresh_ctx(_migrated_store_file: Path) -> Callable[[], object]:
    """``with fresh_ctx() as (ctx, folder):`` a Context on an empty, migrated store of its own."""
    from evidence_app.services.context import Context
    from evidence_app.storage.db import open_store

    @contextmanager
    def make() -> Iterator[tuple[Context, Path]]:
        folder = Path(tempfile.mkdtemp(prefix="prop-"))
        try:
            shutil.copy(_migrated_store_file, folder / "store.sqlite")
            store = open_store(folder / "store.sqlite")
            try:
                yield Context(store, "analyst"), folder
            finally:
                store.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return make
