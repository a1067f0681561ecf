"""Legal clocks over HTTP: the public rest-day calendar, a case's deadlines, pause and extension.

- ``GET /api/v1/calendar/{year}`` (public): the year's arrangement and whether it is known;
- ``GET /api/v1/cases/{id}/deadlines`` (participants and staff);
- ``POST /api/v1/cases/{id}/mediation-period/pause|resume`` (the case's mediator, L13);
- ``POST /api/v1/cases/{id}/extensions`` (the mediator proposes, L13) and
  ``POST /api/v1/cases/{id}/extensions/{eid}/answer`` (each party or its agent).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.calendar.store import year_view
from odr.cases.deadlines.extensions import (
    MAX_EXTENSION_DAYS,
    answer_extension,
    answers_of,
    load_extension,
    propose_extension,
)
from odr.cases.deadlines.models import DeadlineExtension, DeadlineExtensionAnswer
from odr.cases.deadlines.service import (
    DeadlineKind,
    days_left,
    find_live_deadline,
    pause_deadline,
    resume_deadline,
)
from odr.cases.models import Case, Deadline, DeadlineStatus
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize

# ---- calendar ---------------------------------------------------------------


class HolidayOut(BaseModel):
    name: str
    model_config = {"populate_by_name": True}

    start: date = Field(alias="from")
    end: date = Field(alias="to")


class CalendarYearOut(BaseModel):
    year: int
    loaded: bool  # False: no arrangement known; weekends only, deadlines in it are provisional
    origin: Literal["bundled", "loaded"] | None
    source: str | None
    loaded_at: datetime | None
    holidays: list[HolidayOut]
    makeup_workdays: list[date]
    rule: str = "L36"


@endpoint(permission=Permission.CALENDAR_READ, resp=CalendarYearOut, tags=("calendar",))
async def get_calendar_year(request: Request, actor: Actor) -> Response:
    """The official rest-day arrangement of a year (holidays, make-up working days)."""
    year = int(request.path_params["year"])
    if not 1949 <= year <= 2200:
        raise NotFound("no calendar for that year")
    async with services_of(request).db.reader() as uow:
        view = await year_view(uow.session, year)
    arrangement = view.arrangement
    out = CalendarYearOut(
        year=year, loaded=view.loaded, origin=view.origin,  # type: ignore[arg-type]
        source=arrangement.source if arrangement else None, loaded_at=view.loaded_at,
        holidays=[HolidayOut.model_validate({"name": h.name, "from": h.start, "to": h.end})
                  for h in (arrangement.holidays if arrangement else ())],
        makeup_workdays=list(arrangement.makeup_workdays if arrangement else ()),
    )
    return ok(out.model_dump(mode="json", by_alias=True))


# ---- deadlines ----------------------------------------------------------------


class DeadlineOut(BaseModel):
    id: int
    kind: str
    rule: str | None
    subject_type: str | None
    subject_id: int | None
    length_days: int
    working_days: bool
    starts_at: datetime
    due_at: datetime  # UTC instant: 24:00 Asia/Shanghai of last_day
    last_day: date  # local (Asia/Shanghai)
    provisional: bool  # counted into a year with no calendar: weekends only
    status: str
    paused_at: datetime | None
    paused_days: int
    extended_days: int
    days_left: int | None  # calendar days from today (local) to last_day; None once closed
    closed_at: datetime | None


class AnswerOut(BaseModel):
    party_id: int
    agree: bool
    by_user_id: int | None
    at: datetime


class ExtensionOut(BaseModel):
    id: int
    deadline_id: int
    days: int
    reason: str
    status: str
    proposed_by_id: int | None
    created_at: datetime
    decided_at: datetime | None
    answers: list[AnswerOut]


class DeadlineList(BaseModel):
    items: list[DeadlineOut]
    extensions: list[ExtensionOut]


def deadline_out(deadline: Deadline, now: datetime) -> DeadlineOut:
    return DeadlineOut(
        id=deadline.id, kind=deadline.kind, rule=deadline.rule,
        subject_type=deadline.subject_type, subject_id=deadline.subject_id,
        length_days=deadline.length_days, working_days=deadline.working_days,
        starts_at=deadline.starts_at, due_at=deadline.due_at, last_day=deadline.last_day,
        provisional=deadline.provisional, status=deadline.status, paused_at=deadline.paused_at,
        paused_days=deadline.paused_days, extended_days=deadline.extended_days,
        days_left=days_left(deadline, now), closed_at=deadline.closed_at,
    )


def extension_out(extension: DeadlineExtension, answers: list[DeadlineExtensionAnswer]) -> ExtensionOut:
    return ExtensionOut(
        id=extension.id, deadline_id=extension.deadline_id, days=extension.days,
        reason=extension.reason, status=extension.status, proposed_by_id=extension.proposed_by_id,
        created_at=extension.created_at, decided_at=extension.decided_at,
        answers=[AnswerOut(party_id=a.party_id, agree=a.agree, by_user_id=a.by_user_id, at=a.at)
                 for a in answers],
    )


async def _authorized_case(
    request: Request, uow: UnitOfWork, actor: Actor, permission: Permission, *, lock: bool
) -> Case:
    case_id = int(request.path_params["case_id"])
    if lock:
        case = await load_case_for_update(uow, case_id)
    else:
        found = await uow.session.get(Case, case_id)
        if found is None:
            raise NotFound("no such case")
        case = found
    now = services_of(request).clock.now()
    authorize(actor, permission, await case_view(uow.session, case, now))
    return case


@endpoint(permission=Permission.DEADLINE_LIST, resp=DeadlineList, tags=("deadlines",))
async def list_deadlines(request: Request, actor: Actor) -> Response:
    """A case's deadlines (L5, L6, L8, L13...) and its extension requests, oldest first."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await _authorized_case(request, uow, actor, Permission.DEADLINE_LIST, lock=False)
        now = services.clock.now()
        deadlines = (await uow.session.execute(
            # Thread reply clocks belong to the thread's audience (L11): each thread shows its own.
            select(Deadline).where(
                Deadline.case_id == case.id,
                or_(Deadline.subject_type.is_(None), Deadline.subject_type != "thread"),
            ).order_by(Deadline.id)
        )).scalars().all()
        extensions = (await uow.session.execute(
            select(DeadlineExtension).where(DeadlineExtension.case_id == case.id)
            .order_by(DeadlineExtension.id)
        )).scalars().all()
        out = DeadlineList(
            items=[deadline_out(d, now) for d in deadlines],
            extensions=[extension_out(e, await answers_of(uow, e.id)) for e in extensions],
        )
    return ok(out)


class PauseIn(StrictModel):
    reason: Literal["appraisal"]  # L13: time spent on appraisal (鉴定) does not count
    note: str = Field(min_length=1, max_length=1000)


async def _mediation_period(uow: UnitOfWork, case: Case) -> Deadline:
    period = await find_live_deadline(uow, case.id, DeadlineKind.MEDIATION_PERIOD)
    if period is None:
        raise Conflict("the case has no running mediation period", code="no_period")
    return period


@endpoint(permission=Permission.MEDIATION_PERIOD_PAUSE, json=PauseIn, resp=DeadlineOut,
          tags=("deadlines",))
async def pause_period(request: Request, actor: Actor, json: PauseIn) -> Response:
    """Stop the mediation period's clock for an appraisal (L13)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await _authorized_case(request, uow, actor, Permission.MEDIATION_PERIOD_PAUSE,
                                      lock=True)
        period = await pause_deadline(uow, services, case, await _mediation_period(uow, case),
                                      Who.of(actor), reason=json.reason, note=json.note)
        out = deadline_out(period, services.clock.now())
    return ok(out)


@endpoint(permission=Permission.MEDIATION_PERIOD_PAUSE, resp=DeadlineOut, tags=("deadlines",))
async def resume_period(request: Request, actor: Actor) -> Response:
    """Restart the clock; the due date moves by the calendar days paused (L13, L36)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await _authorized_case(request, uow, actor, Permission.MEDIATION_PERIOD_PAUSE,
                                      lock=True)
        period = await _mediation_period(uow, case)
        if period.status != DeadlineStatus.PAUSED:
            raise Conflict("the mediation period is not paused", code="not_paused")
        period = await resume_deadline(uow, services, case, period, Who.of(actor))
        out = deadline_out(period, services.clock.now())
    return ok(out)


class ExtensionIn(StrictModel):
    days: int = Field(ge=1, le=MAX_EXTENSION_DAYS, strict=True)
    reason: str = Field(min_length=1, max_length=1000)


@endpoint(permission=Permission.EXTENSION_PROPOSE, json=ExtensionIn, resp=ExtensionOut,
          status=201, tags=("deadlines",))
async def propose(request: Request, actor: Actor, json: ExtensionIn) -> Response:
    """The mediator proposes to extend the mediation period; every party must agree (L13)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await _authorized_case(request, uow, actor, Permission.EXTENSION_PROPOSE, lock=True)
        extension = await propose_extension(uow, services, case, json.days, json.reason,
                                            Who.of(actor))
        out = extension_out(extension, [])
    return ok(out, 201)


class AnswerIn(StrictModel):
    agree: bool = Field(strict=True)  # "yes" is not an answer


@endpoint(permission=Permission.EXTENSION_ANSWER, json=AnswerIn, resp=ExtensionOut,
          tags=("deadlines",))
async def answer(request: Request, actor: Actor, json: AnswerIn) -> Response:
    """A party (or its agent) agrees or refuses; the last agreement extends the period."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await _authorized_case(request, uow, actor, Permission.EXTENSION_ANSWER, lock=True)
        extension = await load_extension(uow, case, int(request.path_params["extension_id"]))
        extension = await answer_extension(uow, services, case, extension, json.agree,
                                           Who.of(actor))
        out = extension_out(extension, await answers_of(uow, extension.id))
    return ok(out)


routes = [
    Route("/api/v1/calendar/{year:int}", get_calendar_year, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/deadlines", list_deadlines, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/mediation-period/pause", pause_period, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/mediation-period/resume", resume_period, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/extensions", propose, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/extensions/{extension_id:int}/answer", answer,
          methods=["POST"]),
]
