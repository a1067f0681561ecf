"""Case list and case summary (issue 3 grows intake and the lifecycle)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.models import Case
from odr.cases.queries import case_view, visible_case_scope
from odr.errors import NotFound
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize


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


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int


@endpoint(permission=Permission.CASE_LIST, query=CaseListQuery, resp=CaseList, tags=("cases",))
async def list_cases(request: Request, actor: Actor, query: CaseListQuery) -> Response:
    """The cases the signed-in user may see, newest first."""
    scope = visible_case_scope(actor)
    if query.status:
        scope = scope & (Case.status == query.status)
    async with services_of(request).db.reader() as uow:
        total = (await uow.session.execute(select(func.count()).select_from(Case).where(scope))).scalar_one()
        rows = (
            await uow.session.execute(
                select(Case).where(scope).order_by(Case.updated_at.desc(), Case.id.desc())
                .limit(query.limit).offset(query.offset)
            )
        ).scalars().all()
        items = [CaseSummary.model_validate(r, from_attributes=True) for r in rows]
    return ok(CaseList(items=items, total=total))


@endpoint(permission=Permission.CASE_READ, resp=CaseSummary, tags=("cases",))
async def get_case(request: Request, actor: Actor) -> Response:
    """One case, if the policy lets this user see it."""
    case_id = request.path_params["case_id"]
    async with services_of(request).db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case")
        authorize(actor, Permission.CASE_READ, await case_view(uow.session, case))
        out = CaseSummary.model_validate(case, from_attributes=True)
    return ok(out)


routes = [
    Route("/api/v1/cases", list_cases, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}", get_case, methods=["GET"]),
]
