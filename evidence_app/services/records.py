"""Helpers shared by the services: id lookup by prefix, snapshots and diffs for the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from evidence_app.domain.errors import NotFound, ValidationError
from evidence_app.domain.timeparse import iso_utc
from evidence_app.storage.models import Base

M = TypeVar("M", bound=Base)

SKIP_IN_SNAPSHOT = frozenset({"created_at", "updated_at", "version"})


def resolve(session: Session, model: type[M], ref: str, label: str) -> M:
    """Find a record by full id or unique id prefix (at least 4 characters), like git does."""
    ref = ref.strip()
    found = session.get(model, ref)
    if found is not None:
        return found
    if len(ref) >= 4:
        pk = inspect(model).primary_key[0]
        matches = session.scalars(select(model).where(pk.startswith(ref, autoescape=True)).limit(2)).all()
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(f"{label} id {ref!r} is ambiguous: give more characters")
    raise NotFound(f"no {label} with id {ref!r}")


def check_fields(fields: Iterable[str], allowed: AbstractSet[str], what: str) -> None:
    """Refuse a field name a record of this kind does not have or may not be edited."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(
            f"{what} has no editable field {unknown[0]!r}: expected one of {', '.join(sorted(allowed))}",
            field=unknown[0],
        )


def plain(value: Any) -> Any:
    """A JSON-friendly form of a column value."""
    if isinstance(value, datetime):
        return iso_utc(value)
    return value


def snapshot(obj: Base) -> dict[str, Any]:
    """Every column of a record (but bookkeeping ones), JSON-friendly, keyed by attribute name."""
    mapper = inspect(type(obj))
    return {
        attr.key: plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in SKIP_IN_SNAPSHOT
    }


def apply_changes(obj: Base, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes; return ``{field: [old, new]}`` for those that really changed."""
    diff: dict[str, list[Any]] = {}
    for key, new in changes.items():
        old = getattr(obj, key)
        if old != new:
            diff[key] = [plain(old), plain(new)]
            setattr(obj, key, new)
    if diff and hasattr(obj, "version"):
        obj.version = (obj.version or 0) + 1  # type: ignore[attr-defined]
    return diff
