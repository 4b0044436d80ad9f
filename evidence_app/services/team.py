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


def team_database_url(text: str) -> str:
    """Check a team database URL a user typed (File ▸ Open Team Database…); the URL to open.

    ``postgresql://`` is taken as ``postgresql+psycopg://`` (the driver the application ships).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from evidence_app.domain.errors import ValidationError

    raw = text.strip()
    expected = "expected postgresql+psycopg://LOGIN@HOST/DATABASE"
    if not raw:
        raise ValidationError(f"no database URL given; {expected}", field="url")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValidationError(f"{raw!r} is not a database URL; {expected}", field="url") from None
    if url.get_backend_name() != "postgresql":
        raise ValidationError(f"{url.get_backend_name()!r} is not a team database; {expected}", field="url")
    if url.get_driver_name() not in ("psycopg", "psycopg2") or url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if not url.database:
        raise ValidationError(f"the URL names no database; {expected}", field="url")
    return url.render_as_string(hide_password=False)


def url_to_remember(url: str) -> str:
    """The URL without its password: what the desk remembers between sessions."""
    from sqlalchemy.engine import make_url

    return make_url(url)._replace(password=None).render_as_string(hide_password=False)
