"""Regression test for the PySide6 6.12.0 bug that drops a reference to True on every emit.

With the bug, Python 3.11 aborts (``bool_dealloc``) after a few thousand signals; the
pinned release must leave the reference count of True where it was.
"""

import sys

import pytest
from PySide6.QtCore import QObject, Signal

pytestmark = pytest.mark.gui


class Emitter(QObject):
    changed = Signal(bool)


def test_ten_thousand_emits_keep_true_alive(qapp):
    emitter = Emitter()
    received = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(10_000):
        emitter.changed.emit(True)
    after = sys.getrefcount(True)
    assert len(received) == 10_000
    # True is immortal in 3.12+, but on 3.11 its count is real: it must not fall.
    assert after >= before - 5, f"sys.getrefcount(True) fell from {before} to {after}"
