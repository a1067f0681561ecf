"""HTTP API of performance: the case's items and guidance, confirmations, defaults."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.models import Agreement, AgreementStatus, PerformanceItem, PerformanceStatus
from agreements.performance.guidance import contract_remedy, enforcement
from agreements.performance.schemas import (
    ContractRemedyOut,
    DefaultBody,
    EnforcementOut,
    ItemOut,
    PartyRef,
    PerformanceOut,
    PersonOut,
)
from agreements.performance.service import (
    case_items,
    confirm_item,
    load_item,
    overdue,
    record_default,
)
from odr.accounts.models import User
from odr.calendar.periods import local_day
from odr.cases.models import Case, CaseParty
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.eservice.addresses import parties_acted_for
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize, is_case_mediator

TAGS = ("performance",)


async def _person(uow: UnitOfWork, user_id: int | None) -> PersonOut | None:
    if user_id is None:
        return None
    user = await uow.session.get(User, user_id)
    return PersonOut(user_id=user_id, name=user.real_name if user else "")


def item_out(item: PerformanceItem, names: dict[int, str], today: date,
             people: dict[int, PersonOut]) -> ItemOut:
    def refs(ids: list[int]) -> list[PartyRef]:
        return [PartyRef(party_id=i, name=names.get(i, "")) for i in ids]

    def person(user_id: int | None) -> PersonOut | None:
        return people.get(user_id) if user_id is not None else None

    return ItemOut(
        id=item.id, agreement_id=item.agreement_id, term_key=item.term_key,
        description=item.description, amount_fen=item.amount_fen, due_on=item.due_on,
        overdue=overdue(item, today) and item.status != PerformanceStatus.PERFORMED,
        obligors=refs(item.obligor_party_ids), obligees=refs(item.obligee_party_ids),
        status=item.status,  # type: ignore[arg-type]
        obligor_confirmed_at=item.obligor_confirmed_at,
        obligor_confirmed_by=person(item.obligor_confirmed_by_id),
        obligee_confirmed_at=item.obligee_confirmed_at,
        obligee_confirmed_by=person(item.obligee_confirmed_by_id),
        reminded_at=item.reminded_at, defaulted_at=item.defaulted_at,
        default_recorded_by=person(item.default_recorded_by_id), default_note=item.default_note,
    )


async def items_out(uow: UnitOfWork, case: Case, items: list[PerformanceItem],
                    today: date) -> list[ItemOut]:
    names = {p.id: p.name for p in (await uow.session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id)
    )).scalars()}
    user_ids = {u for i in items for u in (
        i.obligor_confirmed_by_id, i.obligee_confirmed_by_id, i.default_recorded_by_id
    ) if u is not None}
    people = {u: p for u in user_ids if (p := await _person(uow, u)) is not None}
    return [item_out(i, names, today, people) for i in items]


async def _case(uow: UnitOfWork, request: Request, actor: Actor, permission: Permission,
                case_id: int, *, lock: bool) -> tuple[Case, CaseView]:
    if lock:
        case = await load_case_for_update(uow, case_id)
    else:
        found = await uow.session.get(Case, case_id)
        if found is None:
            raise NotFound("no such case")
        case = found
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, permission, view)
    return case, view


@endpoint(permission=Permission.PERFORMANCE_READ, resp=PerformanceOut, tags=TAGS)
async def get_performance(request: Request, actor: Actor) -> Response:
    """The case's items, who confirmed what, and — once a term defaulted — what can be done."""
    services = services_of(request)
    today = local_day(services.clock.now())
    async with services.db.reader() as uow:
        case, _ = await _case(uow, request, actor, Permission.PERFORMANCE_READ,
                              int(request.path_params["case_id"]), lock=False)
        items = await case_items(uow, case.id)
        out = PerformanceOut(case_id=case.id, case_status=case.status,
                             items=await items_out(uow, case, items, today),
                             enforcement=None, contract_remedy=None)
        if any(i.status == PerformanceStatus.DEFAULTED for i in items):
            found = await enforcement(uow, case, items)
            if found is not None:
                out.enforcement = EnforcementOut(**asdict(found))  # type: ignore[arg-type]
            else:
                agreement = (await uow.session.execute(
                    select(Agreement).where(
                        Agreement.case_id == case.id, Agreement.status == AgreementStatus.EFFECTIVE
                    ).order_by(Agreement.id.desc()).limit(1)
                )).scalar_one_or_none()
                remedy = await contract_remedy(uow, case, agreement, today)
                out.contract_remedy = ContractRemedyOut(**asdict(remedy))
    return ok(out)


@endpoint(permission=Permission.PERFORMANCE_CONFIRM, resp=ItemOut, tags=TAGS)
async def confirm(request: Request, actor: Actor) -> Response:
    """The obligor side says "performed"; the obligee side confirms receipt (then performed)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        item = await load_item(uow, int(request.path_params["item_id"]))
        case, _ = await _case(uow, request, actor, Permission.PERFORMANCE_CONFIRM, item.case_id,
                              lock=True)
        await uow.session.refresh(item, with_for_update=True)
        mine = await parties_acted_for(uow.session, case.id, actor.user_id, services.clock.now())
        await confirm_item(uow, services, case, item, mine, Who.of(actor))
        out = (await items_out(uow, case, [item], local_day(services.clock.now())))[0]
    return ok(out)


@endpoint(permission=Permission.PERFORMANCE_DEFAULT, json=DefaultBody, resp=ItemOut, tags=TAGS)
async def default(request: Request, actor: Actor, json: DefaultBody) -> Response:
    """The obligee side or the mediator records a default, only after the due date."""
    services = services_of(request)
    async with services.db.uow() as uow:
        item = await load_item(uow, int(request.path_params["item_id"]))
        case, view = await _case(uow, request, actor, Permission.PERFORMANCE_DEFAULT,
                                 item.case_id, lock=True)
        await uow.session.refresh(item, with_for_update=True)
        mine = await parties_acted_for(uow.session, case.id, actor.user_id, services.clock.now())
        await record_default(uow, services, case, item, mine, is_case_mediator(actor, view),
                             json.note, Who.of(actor))
        out = (await items_out(uow, case, [item], local_day(services.clock.now())))[0]
    return ok(out)


routes = [
    Route("/api/v1/cases/{case_id:int}/performance", get_performance, methods=["GET"]),
    Route("/api/v1/performance-items/{item_id:int}/confirm", confirm, methods=["POST"]),
    Route("/api/v1/performance-items/{item_id:int}/default", default, methods=["POST"]),
]
