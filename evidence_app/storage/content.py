"""What the audit log says each record holds: content hashes of records, written with every change.

Every write session tracks the records it inserts, updates or deletes (ORM flush events,
plus rows that SQL ``ON DELETE CASCADE`` removes with them). Just before the transaction
commits, ``seal`` computes a content hash of each such record as it now stands in the
database (``None`` once deleted) and attaches the map ``{"table/id": hash}`` to the last
audit entry of the transaction, inside that entry's hash. ``verify`` replays these maps
over the whole chain and compares them with the rows: a record edited, added or deleted
behind the application's back no longer matches what the log says.

The canonical form of a row is its columns (all but NULL ones, so a column added later
as nullable leaves old hashes valid) as sorted JSON. AIS positions (millions of rows)
are covered per evidence item, by their count, not per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Table, event, func, select, tuple_
from sqlalchemy.orm import Mapper, Session, object_session

from evidence_app.storage.models import (
    AisPosition,
    Annotation,
    Base,
    Case,
    Designation,
    Evidence,
    EvidenceTag,
    Incident,
    IncidentEvidence,
    IncidentTag,
    Participant,
    ReviewEvent,
    Tag,
    Vessel,
    VesselIdentity,
)

TOUCHED = "content_touched"
POSITIONS = AisPosition.__tablename__
# The records whose content the audit log vouches for. Bookkeeping tables (sync state,
# merge conflicts, imported entries, store meta) are not evidence and are left out.
TRACKED_MODELS: tuple[type[Base], ...] = (
    Case,
    Vessel,
    VesselIdentity,
    Designation,
    Incident,
    Participant,
    Evidence,
    IncidentEvidence,
    Annotation,
    ReviewEvent,
    Tag,
    IncidentTag,
    EvidenceTag,
)
# Declarative models type __table__ as FromClause; ours are plain Tables.
TRACKED: dict[str, Table] = {m.__tablename__: cast(Table, m.__table__) for m in TRACKED_MODELS}
_CHUNK = 400


def record_key(table: str, pk: Iterable[Any]) -> str:
    return "/".join([table, *(str(v) for v in pk)])


def _pk_columns(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def canonical_row(table: Table, row: Any) -> dict[str, Any]:
    """``row`` is a result of ``select(table)``: its values in the table's column order."""
    return {name: value for name, value in zip(table.columns.keys(), row, strict=True) if value is not None}


def row_hash(table: Table, row: Any) -> str:
    from evidence_app.storage.audit import canonical_json

    text = canonical_json({"table": table.name, "row": canonical_row(table, row)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pk_values(table: Table, row: Any) -> list[Any]:
    positions = [i for i, c in enumerate(table.columns) if c.primary_key]
    return [row[i] for i in positions]


def positions_claim(count: int) -> str:
    return f"rows:{count}"


# -- tracking ----------------------------------------------------------------------------
def _touch(session: Session | None, key: str) -> None:
    if session is not None:
        session.info.setdefault(TOUCHED, set()).add(key)


def _key_of(target: Any) -> str:
    table: Table = target.__table__
    return record_key(table.name, (getattr(target, c.key) for c in _pk_columns(table)))


def _after_write(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _touch(object_session(target), _key_of(target))
    if isinstance(target, Evidence):  # its positions may have come or gone with it
        _touch(object_session(target), record_key(POSITIONS, [target.id]))


def _before_delete(_mapper: Mapper[Any], connection: Any, target: Any) -> None:
    """Rows the database deletes with this one (ON DELETE CASCADE) never reach the ORM: note them."""
    session = object_session(target)
    parent: Table = target.__table__
    for table in TRACKED.values():
        for fk in table.foreign_keys:
            if fk.column.table is parent and (fk.ondelete or "").upper() == "CASCADE":
                value = getattr(target, fk.column.key)
                pks = _pk_columns(table)
                for row in connection.execute(select(*pks).where(fk.parent == value)):
                    _touch(session, record_key(table.name, row))


def _on_execute(state: Any) -> None:
    """Bulk inserts of AIS positions (``session.execute(insert(AisPosition), rows)``)."""
    statement = state.statement
    if not state.is_insert or getattr(getattr(statement, "table", None), "name", None) != POSITIONS:
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params or {}]
    for evidence_id in {r.get("evidence_id") for r in rows if isinstance(r, dict)} - {None}:
        _touch(state.session, record_key(POSITIONS, [evidence_id]))


def touch_positions(session: Session, evidence_id: str) -> None:
    """Say that this transaction writes AIS positions of an evidence item (raw bulk paths)."""
    _touch(session, record_key(POSITIONS, [evidence_id]))


def install(session_factory: Any) -> None:
    """Track changed records in the sessions of ``session_factory`` and seal them at commit."""
    for model in TRACKED_MODELS:
        if not event.contains(model, "after_insert", _after_write):
            event.listen(model, "after_insert", _after_write)
            event.listen(model, "after_update", _after_write)
            event.listen(model, "after_delete", _after_write)
            event.listen(model, "before_delete", _before_delete)
    event.listen(session_factory, "do_orm_execute", _on_execute)
    event.listen(session_factory, "before_commit", _seal)
    event.listen(session_factory, "after_rollback", _forget)
    event.listen(session_factory, "after_commit", _forget)


def _forget(session: Session) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop("audit_entries", None)


class UnauditedChange(RuntimeError):
    """A transaction changed tracked records without writing an audit entry (a programming error)."""


def _seal(session: Session) -> None:
    session.flush()
    touched: set[str] = session.info.pop(TOUCHED, set())
    if not touched:
        return
    from evidence_app.storage import audit

    entry = audit.last_entry_of_transaction(session)
    if entry is None:
        raise UnauditedChange(f"{len(touched)} record(s) changed without an audit entry, e.g. {sorted(touched)[0]}")
    audit.attach_content(session, entry, current_hashes(session, touched))


# -- reading -----------------------------------------------------------------------------
def current_hashes(session: Session, keys: Iterable[str]) -> dict[str, str | None]:
    """The content hash of each named record as the database holds it now (None: absent)."""
    by_table: dict[str, list[list[str]]] = {}
    for key in keys:
        table_name, *pk = key.split("/")
        by_table.setdefault(table_name, []).append(pk)
    out: dict[str, str | None] = {}
    for name, pks in by_table.items():
        if name == POSITIONS:
            counts = dict(position_counts(session, [pk[0] for pk in pks]))
            out.update(
                {
                    record_key(name, pk): positions_claim(counts.get(pk[0], 0)) if counts.get(pk[0]) else None
                    for pk in pks
                }
            )
            continue
        table = TRACKED[name]
        cols = _pk_columns(table)
        for start in range(0, len(pks), _CHUNK):
            chunk = pks[start : start + _CHUNK]
            for pk in chunk:
                out[record_key(name, pk)] = None
            condition = (
                cols[0].in_([pk[0] for pk in chunk])
                if len(cols) == 1
                else tuple_(*cols).in_([tuple(pk) for pk in chunk])
            )
            for row in session.execute(select(table).where(condition)):
                out[record_key(name, _pk_values(table, row))] = row_hash(table, row)
    return out


def position_counts(session: Session, evidence_ids: list[str] | None = None) -> Iterator[tuple[str, int]]:
    query = select(AisPosition.evidence_id, func.count()).group_by(AisPosition.evidence_id)
    if evidence_ids is None:
        yield from ((eid, n) for eid, n in session.execute(query))
        return
    for start in range(0, len(evidence_ids), _CHUNK):
        yield from (
            (eid, n)
            for eid, n in session.execute(
                query.where(AisPosition.evidence_id.in_(evidence_ids[start : start + _CHUNK]))
            )
        )


def iter_all_hashes(session: Session, *, batch: int = 5000) -> Iterator[tuple[str, str]]:
    """Every tracked record and its content hash, table by table, in primary-key order."""
    for name, table in TRACKED.items():
        cols = _pk_columns(table)
        for row in session.execute(select(table).order_by(*cols).execution_options(yield_per=batch)):
            yield record_key(name, _pk_values(table, row)), row_hash(table, row)
    for evidence_id, count in position_counts(session):
        yield record_key(POSITIONS, [evidence_id]), positions_claim(count)


# -- stores from before content hashes ----------------------------------------------------
BASELINE_KEY = "content_baseline"
BASELINE_ACTION = "store.content_baseline"


def ensure_baseline(store: Any) -> None:
    """Once per store: vouch for the records that existed before content hashes were kept.

    A store created with this version has none, and only the marker is written. An
    upgraded one gets one audit entry holding the hashes of all its records as they are
    at upgrade. ``verify`` treats a baseline entry after the first content hash as
    suspect: it would launder edits made behind the application's back.
    """
    from evidence_app.domain.errors import StoreError
    from evidence_app.storage import audit
    from evidence_app.storage.models import StoreMeta

    with store.read() as session:
        if session.get(StoreMeta, BASELINE_KEY) is not None:
            return
    try:
        with store.write() as session:
            if session.get(StoreMeta, BASELINE_KEY) is not None:
                return
            hashes = dict(iter_all_hashes(session))
            seq = 0
            if hashes:
                entry = audit.record(
                    session,
                    "evidence-app",
                    BASELINE_ACTION,
                    "store",
                    "content",
                    {"records": len(hashes), "reason": "records written before content hashes were kept"},
                )
                session.flush()
                audit.attach_content(session, entry, hashes)
                seq = entry.seq
            session.add(StoreMeta(key=BASELINE_KEY, value=str(seq)))
    except StoreError:
        pass  # read-only media: verify says the records are not covered yet
