"""Case list and case detail (the detail is built by ``odr.cases.intake.detail``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Row, Select, bindparam, func, or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.intake.detail import CaseDetail, case_detail
from odr.cases.messages.replies import SUBJECT as THREAD_SUBJECT
from odr.cases.models import Case, Deadline, DeadlineStatus
from odr.cases.queries import ScopeShape, case_scope, scope_condition
from odr.db.engine import read_with
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission


class CaseListQuery(StrictModel):
    status: str | None = None
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class CaseSummary(BaseModel):
    id: int
    number: str
    title: str
    category: str
    channel: str
    status: str
    claim_amount_fen: int
    institution_id: int | None
    court_id: int | None
    created_at: datetime
    updated_at: datetime


class NextDeadline(BaseModel):
    """The nearest running deadline of a case, as the case list shows it."""

    kind: str
    rule: str | None
    due_at: datetime  # UTC instant: 24:00 Asia/Shanghai of last_day
    last_day: date  # local (Asia/Shanghai)
    provisional: bool  # counted into a year with no calendar: weekends only


class CaseListItem(CaseSummary):
    next_deadline: NextDeadline | None


class CaseList(BaseModel):
    items: list[CaseListItem]
    total: int


# A list page reads plain columns, not ORM objects.
_SUMMARY_COLUMNS = [Case.__table__.c[name] for name in CaseSummary.model_fields]
_D = Deadline.__table__.c

# The open deadlines of the listed cases, nearest first. Thread reply clocks are left out:
# they belong to the thread's audience (L11), as in GET /cases/{id}/deadlines.
_NEXT_DEADLINES = (
    select(_D.case_id, _D.kind, _D.rule, _D.due_at, _D.last_day, _D.provisional)
    .where(
        _D.case_id.in_(bindparam("case_ids", expanding=True)),
        _D.status == DeadlineStatus.OPEN,
        or_(_D.subject_type.is_(None), _D.subject_type != THREAD_SUBJECT),
    )
    .order_by(_D.case_id, _D.due_at, _D.id)
)


def nearest_deadlines(rows: Sequence[Row[Any]] | Sequence[Any]) -> dict[int, NextDeadline]:
    """The first (nearest) deadline row of each case."""
    found: dict[int, NextDeadline] = {}
    for row in rows:
        if row.case_id not in found:
            found[row.case_id] = NextDeadline(
                kind=row.kind, rule=row.rule, due_at=row.due_at, last_day=row.last_day,
                provisional=bool(row.provisional),
            )
    return found


@functools.cache
def _list_statements(shape: ScopeShape, by_status: bool) -> tuple[Select[Any], Select[Any]]:
    """The count and page statements of a case list, built once per scope shape."""
    scope = scope_condition(shape)
    if by_status:
        scope = scope & (Case.status == bindparam("status"))
    count = select(func.count()).select_from(Case.__table__).where(scope)
    page = (
        select(*_SUMMARY_COLUMNS).where(scope)
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    return count, page


@endpoint(permission=Permission.CASE_LIST, query=CaseListQuery, resp=CaseList, tags=("cases",))
async def list_cases(request: Request, actor: Actor, query: CaseListQuery) -> Response:
    """The cases the signed-in user may see, newest first, each with its nearest open deadline.

    A hot read (issue 2's bench/api.py): statements built once per scope shape,
    run on a plain Core connection in one greenlet (odr.db.engine.read_with).
    """
    shape, params = case_scope(actor, services_of(request).clock.now())
    count, page = _list_statements(shape, bool(query.status))
    if query.status:
        params["status"] = query.status
    page_params = {**params, "limit": query.limit, "offset": query.offset}

    def fetch(conn: Connection) -> tuple[int, Sequence[Row[Any]], dict[int, NextDeadline]]:
        total = conn.execute(count, params).scalar_one()
        rows = conn.execute(page, page_params).all()
        ids = [r.id for r in rows]
        deadlines = nearest_deadlines(conn.execute(_NEXT_DEADLINES, {"case_ids": ids}).all()) if ids else {}
        return total, rows, deadlines

    total, rows, deadlines = await read_with(services_of(request).db.engine, fetch)
    items = [
        CaseListItem.model_validate({**r._asdict(), "next_deadline": deadlines.get(r.id)})
        for r in rows
    ]
    return ok(CaseList(items=items, total=total))


@endpoint(permission=Permission.CASE_READ, resp=CaseDetail, tags=("cases",))
async def get_case(request: Request, actor: Actor) -> Response:
    """One case in full, if the policy lets this user see it.

    Parties with masked identity numbers and mobiles, status with its Chinese
    label, channel, procedure, court case number, institution, court, mediator,
    the events the state machine allows next, and a rejection's reason.
    """
    services = services_of(request)
    async with services.db.reader() as uow:
        out = await case_detail(uow, actor, request.path_params["case_id"], services.clock.now())
    return ok(out)


routes = [
    Route("/api/v1/cases", list_cases, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}", get_case, methods=["GET"]),
]
