"""Routes: the public progress query (L3), query-password reset, and the case timeline."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from odr.cases.messages.audience import acting_for
from odr.cases.models import Case, CaseParty
from odr.cases.progress.issue import issue_query_password
from odr.cases.progress.query import ProgressQueryBlocked, ProgressView, query_progress
from odr.cases.progress.timeline import TimelinePage, TimelineQuery, timeline_page
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize, is_case_mediator, is_case_staff


class ProgressQueryBody(StrictModel):
    case_number: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=40)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


@endpoint(permission=Permission.PROGRESS_QUERY, json=ProgressQueryBody, resp=ProgressView,
          tags=("progress",))
async def progress_query(request: Request, actor: Actor, json: ProgressQueryBody) -> Response:
    """12368-style progress of a case by its number and a party's query password (L3).

    Shows progress only. A wrong password and an unknown number both answer 404
    ``no_match``; repeated failures answer 429 with ``Retry-After``.
    """
    services = services_of(request)
    try:
        view = await query_progress(
            services, case_number=json.case_number, password=json.password,
            address=_address(request),
        )
    except ProgressQueryBlocked as blocked:
        error = blocked.block.error(services.clock.now())
        seconds = blocked.block.retry_after(services.clock.now())
        return JSONResponse(error.body(), status_code=error.status,
                            headers={"Retry-After": str(seconds)})
    return ok(view)


class ResetQuery(StrictModel):
    party_id: int | None = None  # only for an agent acting for several parties


class ResetOut(BaseModel):
    sent_to: str  # the masked mobile the new password went to


@endpoint(permission=Permission.QUERY_PASSWORD_RESET, query=ResetQuery, resp=ResetOut,
          tags=("progress",))
async def reset_query_password(request: Request, actor: Actor, query: ResetQuery) -> Response:
    """A new query password for the caller's party, by SMS to the party's mobile; the old one stops working."""
    services = services_of(request)
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        view = await case_view(uow.session, case, now)
        authorize(actor, Permission.QUERY_PASSWORD_RESET, view)
        parties = [
            p for p in await acting_for(uow.session, case.id, actor.user_id, now)
            if p.role != "agent" or view.is_agent_with(actor.user_id, "general")
        ]
        ids = list(dict.fromkeys(p.party_id for p in parties))
        if query.party_id is not None:
            if query.party_id not in ids:
                raise Forbidden("you do not act for that party of this case")
            party_id = query.party_id
        elif len(ids) == 1:
            party_id = ids[0]
        elif not ids:
            raise Forbidden("you do not act for a party of this case")
        else:
            raise ValidationFailed(
                "you act for several parties: say which one with ?party_id=",
                code="party_required", details={"party_ids": ids},
            )
        party = (
            await uow.session.execute(select(CaseParty).where(CaseParty.id == party_id))
        ).scalar_one()
        sent_to = await issue_query_password(uow, services, case, party, Who.of(actor),
                                             reason="reset")
    return ok(ResetOut(sent_to=sent_to))


@endpoint(permission=Permission.TIMELINE_READ, query=TimelineQuery, resp=TimelinePage,
          tags=("cases",))
async def case_timeline(request: Request, actor: Actor, query: TimelineQuery) -> Response:
    """The case's timeline, oldest first; page with ``after_id`` (the previous ``next_after_id``).

    Labels of each kind come in zh-CN and English (``odr.cases.progress.vocabulary``).
    Staff-only events are not shown to parties and agents.
    """
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, request.path_params["case_id"])
        if case is None:
            raise NotFound("no such case")
        view = await case_view(uow.session, case, services.clock.now())
        authorize(actor, Permission.TIMELINE_READ, view)
        page = await timeline_page(
            uow.session, case.id, staff=is_case_staff(actor, view),
            mediator=is_case_mediator(actor, view), after_id=query.after_id, limit=query.limit,
        )
    return Response(page, media_type="application/json")


routes = [
    Route("/api/v1/progress-query", progress_query, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/query-password/reset", reset_query_password,
          methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/timeline", case_timeline, methods=["GET"]),
]
