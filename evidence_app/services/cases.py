"""Cases: create, edit and list investigations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, select

from evidence_app.domain import limits
from evidence_app.domain.errors import ValidationError
from evidence_app.services.context import Context
from evidence_app.services.record_edits import (
    Changes,
    apply_changes,
    check_fields,
    check_version,
    conflicts_audited,
    resolve,
    saved_changes,
    snapshot,
)
from evidence_app.storage import audit
from evidence_app.storage.models import Case, Incident

EDITABLE = frozenset({"title", "summary", "caveat", "four_eyes"})


@dataclass(frozen=True)
class CaseRow:
    id: str
    title: str
    caveat: str
    four_eyes: bool
    is_demo: bool
    incidents: int
    confirmed: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _check_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise ValidationError("a case needs a title", field="title")
    if len(cleaned) > 300:
        raise ValidationError(f"title is {len(cleaned)} characters: at most 300", field="title")
    return limits.check_name(cleaned, field="title")


def _check_texts(values: dict[str, Any]) -> None:
    if "caveat" in values:
        limits.check_name(values["caveat"], field="caveat")
    if "summary" in values:
        limits.check_text(values["summary"], field="summary")


def create_case(
    ctx: Context, title: str, *, caveat: str = "", summary: str = "", four_eyes: bool = False, is_demo: bool = False
) -> Case:
    _check_texts({"caveat": caveat.strip(), "summary": summary})
    case = Case(title=_check_title(title), caveat=caveat.strip(), summary=summary, four_eyes=four_eyes, is_demo=is_demo)
    with ctx.store.write() as session:
        session.add(case)
        session.flush()
        audit.record(session, ctx.actor, "case.create", "case", case.id, snapshot(case))
    return case


def update_case(ctx: Context, case_id: str, *, expected_version: int | None = None, **changes: Any) -> Changes:
    check_fields(changes, EDITABLE, "a case")
    if "title" in changes:
        changes["title"] = _check_title(changes["title"])
    _check_texts(changes)
    with conflicts_audited(ctx, "case.update"), ctx.store.write() as session:
        case = resolve(session, Case, case_id, "case")
        check_version(
            session,
            entity="case",
            record_id=case.id,
            label=case.title,
            current_version=case.version,
            current={k: getattr(case, k) for k in changes},
            wanted=changes,
            expected_version=expected_version,
        )
        diff = apply_changes(case, changes)
        if diff:
            audit.record(session, ctx.actor, "case.update", "case", case.id, diff)
        return saved_changes(diff, case.version)


def get_case(ctx: Context, case_id: str) -> Case:
    with ctx.store.read() as session:
        return resolve(session, Case, case_id, "case")


def list_cases(ctx: Context) -> list[CaseRow]:
    with ctx.store.read() as session:
        counts = (
            select(
                Incident.case_id,
                func.count().label("n"),
                func.sum(when((Incident.status == "confirmed", 1), else_=0)).label("c"),
            )
            .group_by(Incident.case_id)
            .subquery()
        )
        rows = session.execute(
            select(Case, counts.c.n, counts.c.c)
            .outerjoin(counts, counts.c.case_id == Case.id)
            .order_by(Case.created_at)
        ).all()
        return [CaseRow(c.id, c.title, c.caveat, c.four_eyes, c.is_demo, n or 0, int(conf or 0)) for c, n, conf in rows]
