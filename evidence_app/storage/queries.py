"""Query pieces read by more than one layer, and those whose best SQL differs by backend (used instead of dialect checks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_app.storage.models import IncidentTag, Tag


def contains_ignoring_case(session: Session, column: Any, text: str) -> Any:
    """``column`` contains ``text``, ignoring case; ``%`` and ``_`` in the text match literally.

    SQLite's LIKE already ignores ASCII case, and comparing the raw column is about three
    times faster than ``lower(column) LIKE`` on 100,000 rows (letters outside ASCII then
    match case-sensitively; ship names and places in AIS and registries are ASCII).
    PostgreSQL gets ILIKE, which folds every letter.
    """
    if session.get_bind().dialect.name == "sqlite":
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def incident_tag_names(session: Session, incident_id: str) -> list[str]:
    """An incident's tags, sorted: as the desk, `incident show` and case files list them."""
    return sorted(
        session.scalars(
            select(Tag.name)
            .join(IncidentTag, IncidentTag.tag_id == Tag.id)
            .where(IncidentTag.incident_id == incident_id)
        )
    )


def sqlite_null_order(session: Session, column: Any, *, descending: bool) -> Any:
    """``column`` ordered with NULLs where SQLite puts them (first ascending, last descending).

    PostgreSQL's default is the reverse; without this the list and the row numbers the
    desk jumps to (``position_of``) disagree on rows without a value. SQLite gets the bare
    column so its planner still walks the index.
    """
    if session.get_bind().dialect.name == "sqlite":
        return column.desc() if descending else column
    return column.desc().nulls_last() if descending else column.asc().nulls_first()
