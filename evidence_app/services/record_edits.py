"""Helpers shared by the services: id lookup by prefix, snapshots and diffs for the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from evidence_app.domain.errors import ConflictError, NotFound, ValidationError
from evidence_app.domain.timeparse import iso_utc
from evidence_app.storage import audit
from evidence_app.storage.models import AuditEntry, Base

M = TypeVar("M", bound=Base)

SKIP_IN_SNAPSHOT = frozenset({"created_at", "updated_at", "version"})
CONFLICT_ACTION = "edit-conflict"
# ``base`` left out: a version mismatch alone is a conflict (the CLI's --expected-version).
ANY_BASE: Any = object()
# The version an edit was based on is unknown: only its ``base`` values decide.
BASE_ONLY = -1


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
    return {attr.key: plain(getattr(obj, attr.key)) for attr in mapper.column_attrs if attr.key not in SKIP_IN_SNAPSHOT}


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


class Changes(dict[str, list[Any]]):
    """``{field: [old, new]}`` of one save, and the record's ``version`` after it.

    An undo carries that version (and the new values) as what it expects to find.
    """

    version: int = 0


def saved_changes(diff: dict[str, list[Any]], version: int) -> Changes:
    out = Changes(diff)
    out.version = version
    return out


def last_change(session: Session, record_id: str) -> tuple[str | None, str | None]:
    """Who last changed a record, and when, from the audit log."""
    row = session.execute(
        select(AuditEntry.actor, AuditEntry.ts)
        .where(AuditEntry.entity_id == record_id, AuditEntry.action != CONFLICT_ACTION)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    return (row[0], iso_utc(row[1])) if row else (None, None)


def check_version(
    session: Session,
    *,
    entity: str,
    record_id: str,
    label: str,
    current_version: int,
    current: dict[str, Any],
    wanted: dict[str, Any],
    expected_version: int | None,
    base: dict[str, Any] = ANY_BASE,
) -> None:
    """Optimistic locking: refuse a save based on a version that is no longer current.

    ``expected_version`` is the version the edit was based on (None: no check, the last
    writer wins as before). When ``base`` gives the values the edit started from (the
    desk and undo know them), a newer version whose changes left those fields alone is not
    a conflict: two reviewers editing different fields both keep their work.
    """
    if expected_version is None or expected_version == current_version:
        return
    if base is not ANY_BASE and all(current.get(k) == v for k, v in base.items()):
        return
    fields = {k: (plain(v), plain(current.get(k))) for k, v in wanted.items()}
    by, at = last_change(session, record_id)
    raise ConflictError(
        entity=entity,
        record_id=record_id,
        label=label,
        fields=fields,
        expected_version=expected_version,
        current_version=current_version,
        changed_by=by,
        changed_at=at,
    )


@contextmanager
def conflicts_audited(ctx: Any, action: str) -> Iterator[None]:
    """Wrap a write: a refused save (ConflictError) is itself written to the audit log.

    The write's own transaction has rolled back by then, so the refusal goes in a
    transaction of its own: both attempts stay on record.
    """
    try:
        yield
    except ConflictError as exc:
        with ctx.store.write() as session:
            audit.record(
                session,
                ctx.actor,
                CONFLICT_ACTION,
                exc.entity,
                exc.record_id,
                {
                    "attempted": action,
                    "fields": {k: {"wanted": w, "current": c} for k, (w, c) in exc.fields.items()},
                    "expected_version": exc.expected_version,
                    "current_version": exc.current_version,
                    "changed_by": exc.changed_by,
                },
            )
        raise
