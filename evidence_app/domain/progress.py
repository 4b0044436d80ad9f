"""Progress reporting and cancellation for long operations, with no GUI dependency.

The core takes a ``Progress`` callable and a ``CancelToken``; the GUI adapts them to a
``QProgressDialog``, the CLI to a text line on stderr, tests to plain lists.
"""

from __future__ import annotations

import threading
from typing import Protocol

from evidence_app.domain.errors import Cancelled


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, message: str = "") -> None: ...


def no_progress(done: int, total: int | None, message: str = "") -> None:
    """The progress sink to use when nobody is watching."""


class CancelToken:
    """Set from any thread; checked by the worker between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


NEVER_CANCELLED = CancelToken()
