"""Who is acting on which store: passed to every service call."""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from evidence_app.domain.errors import UserError
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
    # On a team database the actor is the database login the server vouches for: no other name.
    login_bound: bool = False

    def as_actor(self, actor: str | None) -> Context:
        if not actor or actor == self.actor:
            return self
        if self.login_bound:
            raise UserError(
                f"reviewer {actor!r}: on a team database you act as your database login ({self.actor});"
                " connect as that reviewer instead"
            )
        return Context(self.store, actor)


def context_for(store: Store, reviewer: str | None = None) -> Context:
    """Who acts on ``store``: its database login on a team database, else the named or configured reviewer.

    On a team database a ``reviewer`` other than the login is refused (the store is left open
    for the caller to close).
    """
    from evidence_app.domain.limits import check_name

    login = store.team_login
    if login is not None:
        if reviewer and reviewer.strip() != login:
            raise UserError(
                f"reviewer {reviewer.strip()!r}: on a team database you act as your database login ({login});"
                " connect as that reviewer instead"
            )
        return Context(store, login, login_bound=True)
    return Context(store, check_name((reviewer or default_actor()).strip(), field="--reviewer"))


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
