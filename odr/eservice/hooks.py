"""Lifecycle notices, sent in the transition's own unit of work (``odr.cases.hooks``).

- accepted, rejected (with the reason): the applicant side;
- mediator assigned: both sides, and the mediator;
- outcome (agreement effective, failed with its ground, withdrawn): everyone in the case.

Each notice's idempotency key names the case event that caused it
(``case:<id>:event:<event id>:<template>``), so a retried worker never sends it twice.
"""

from __future__ import annotations

from sqlalchemy import func, select

from odr.accounts.models import User
from odr.cases.lifecycle import CaseEventKind, EndGround
from odr.cases.models import CaseEvent, CaseRole
from odr.cases.transitions import TransitionContext, on_transition
from odr.db.uow import UnitOfWork
from odr.eservice.notices import ALL_ROLES, notify_case_participants
from odr.services import Services

APPLICANTS = (CaseRole.APPLICANT,)
PARTIES = (CaseRole.APPLICANT, CaseRole.RESPONDENT)


async def event_key(uow: UnitOfWork, ctx: TransitionContext, template: str) -> str:
    """The key of a notice about the timeline event ``transition`` just wrote."""
    event_id = (await uow.session.execute(
        select(func.max(CaseEvent.id)).where(
            CaseEvent.case_id == ctx.case.id, CaseEvent.kind == str(ctx.event)
        )
    )).scalar_one()
    return f"case:{ctx.case.id}:event:{event_id}:{template}"


async def _notify(
    services: Services, uow: UnitOfWork, ctx: TransitionContext, template: str,
    params: dict[str, str], roles: tuple[str, ...], extra_user_ids: tuple[int, ...] = (),
) -> None:
    await notify_case_participants(
        uow, services, ctx.case, template, params, roles,
        key=await event_key(uow, ctx, template), extra_user_ids=extra_user_ids,
    )


@on_transition(CaseEventKind.ACCEPT)
async def case_accepted(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    await _notify(services, uow, ctx, "case_accepted", {}, APPLICANTS)


@on_transition(CaseEventKind.REJECT)
async def case_rejected(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    reason = ctx.reason or ctx.case.rejection_reason or "—"
    await _notify(services, uow, ctx, "case_rejected", {"reason": reason}, APPLICANTS)


@on_transition(CaseEventKind.ASSIGN_MEDIATOR)
async def mediator_assigned(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    raw = ctx.data.get("mediator_id") or ctx.case.mediator_id
    mediator = await uow.session.get(User, int(raw)) if raw else None
    name = mediator.real_name if mediator else "—"
    await _notify(services, uow, ctx, "mediator_assigned", {"mediator_name": name}, PARTIES)
    if mediator is not None:
        await _notify(
            services, uow, ctx, "mediator_case_assigned", {}, (CaseRole.MEDIATOR,),
            extra_user_ids=(mediator.id,),
        )


@on_transition(CaseEventKind.AGREEMENT_TAKES_EFFECT)
async def agreement_effective(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    await _notify(services, uow, ctx, "case_agreement_effective", {}, ALL_ROLES)


@on_transition(CaseEventKind.END_WITHOUT_AGREEMENT)
async def mediation_failed(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    ground = str(ctx.data.get("ground") or ctx.case.end_ground or EndGround.OTHER)
    if ground not in {g.value for g in EndGround}:
        ground = EndGround.OTHER  # a notice never breaks the transition it reports
    await _notify(services, uow, ctx, "case_failed", {"ground": ground}, ALL_ROLES)


@on_transition(CaseEventKind.WITHDRAW)
async def case_withdrawn(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    await _notify(services, uow, ctx, "case_withdrawn", {}, ALL_ROLES)
