"""Who is acting on which store: passed to every service call."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

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
