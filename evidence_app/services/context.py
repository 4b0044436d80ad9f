"""Who is acting on which store: passed to every service call."""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from evidence_app.storage.db import Store

ENV_REVIEWER = "EVIDENCE_APP_REVIEWER"


def default_actor() -> str:
    """The configured reviewer name, else the operating-system user."""
    configured = os.environ.get(ENV_REVIEWER, "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): still need a name
        return "unknown"


@dataclass(frozen=True)
class Context:
    store: Store
    actor: str

    def as_actor(self, actor: str | None) -> Context:
        return self if not actor or actor == self.actor else Context(self.store, actor)


P = ParamSpec("P")
R = TypeVar("R")


def leaves_no_unused_objects(service: Callable[P, R]) -> Callable[P, R]:
    """A service that stores files: if it fails, the files it stored that no record names are removed.

    The objects it stores stay pinned while it runs, so a concurrent ``gc`` never takes
    them between storing (phase one) and the transaction that records them.
    """

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ctx: Any = args[0]
        with ctx.store.objects.holding(ctx.store.referenced_objects):
            return service(*args, **kwargs)

    return wrapper
