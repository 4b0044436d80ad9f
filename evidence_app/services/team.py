"""Setting up a team database: roles, reviewers, the shared evidence folder (PostgreSQL only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evidence_app.services.context import Context
from evidence_app.storage import audit, team
from evidence_app.storage.db import record_objects_dir


@dataclass(frozen=True)
class TeamReady:
    database: str
    roles: dict[str, str]
    objects_dir: str


def init_team(ctx: Context, *, objects_dir: str | None = None) -> TeamReady:
    """Make the store a team database (idempotent); records the shared evidence folder if given."""
    folder = str(Path(objects_dir).expanduser().resolve()) if objects_dir else str(ctx.store.location.objects_dir)
    with ctx.store.engine.begin() as conn:
        setup = team.init_team(conn)
        if objects_dir:
            record_objects_dir(conn, folder)
    with ctx.store.write() as session:
        audit.record(session, ctx.actor, "team.init", "store", setup.database, {"roles": setup.roles})
    return TeamReady(setup.database, setup.roles, folder)


def add_reviewer(ctx: Context, name: str, role: str, *, password: str | None = None) -> str:
    with ctx.store.engine.begin() as conn:
        group = team.add_reviewer(conn, name, role, password=password)
    with ctx.store.write() as session:
        audit.record(session, ctx.actor, "team.add_reviewer", "reviewer", name, {"role": role})
    return group


def list_reviewers(ctx: Context) -> list[tuple[str, str]]:
    with ctx.store.engine.connect() as conn:
        return team.reviewers(conn)
