"""What the assignment part does when a case moves (registered in ``odr.cases.hooks``).

- ``MEDIATOR_ACCEPTED``: the assignment is accepted (L6).
- ``MEDIATOR_DECLINED`` (the mediator's decline, or the clocks' sweep on silence):
  the assignment ends, the slot is freed, and a worker reassigns (never to the same mediator).
- ``REPLACE_MEDIATOR`` (L7 request or refused disclosure, suspension, override):
  the assignment ends, the parties are told, and a worker reassigns unless the
  caller assigns at once (``data={"reassign": False}``).
- The mediation ends (agreement, failure, withdrawal): the slot is freed.
- ``REMEDIATE``: the mediator takes the case back, with a slot if one is free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from mediators.assignment import end_assignment, live_assignment, release_assignment, resolve_queue
from mediators.capacity import reserve_slot
from mediators.handlers import enqueue_assignment
from mediators.models import Assignment, AssignmentStatus
from mediators.notices import notify_parties
from odr.accounts.models import User
from odr.cases.lifecycle import CaseEventKind
from odr.cases.transitions import TransitionContext, on_transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

E = CaseEventKind
REPLACEMENT_CAUSES = frozenset(
    {"party_request", "conflict_refused", "mediator_suspended", "mediator_left", "override"}
)


@on_transition(E.MEDIATOR_ACCEPTED)
async def assignment_accepted(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    assignment = await live_assignment(uow, ctx.case.id)
    if assignment is not None:
        assignment.status = AssignmentStatus.ACCEPTED
        assignment.responded_at = services.clock.now()


@on_transition(E.MEDIATOR_DECLINED)
async def assignment_declined(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L6: a decline with its reason, or silence; the case goes back for reassignment."""
    case = ctx.case
    assignment = await live_assignment(uow, case.id)
    if assignment is None:
        return
    silent = bool(ctx.data.get("silence")) or ctx.who.user_id is None
    status = AssignmentStatus.TIMED_OUT if silent else AssignmentStatus.DECLINED
    await end_assignment(uow, services, case, assignment, status, ctx.reason)
    # A replacement the parties asked for stays one when its mediator declines (L7).
    await enqueue_assignment(uow, services, case, cause="silence" if silent else "declined",
                             after_assignment_id=assignment.id,
                             party_replacement=assignment.party_replacement)


@on_transition(E.REPLACE_MEDIATOR)
async def assignment_replaced(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L7 and suspension: the mediator leaves the case; the parties hear why; deadlines stay."""
    case = ctx.case
    assignment = await live_assignment(uow, case.id)
    if assignment is None:
        return
    cause = str(ctx.data.get("cause") or "party_request")
    await end_assignment(uow, services, case, assignment, AssignmentStatus.REPLACED, ctx.reason)
    mediator = await uow.session.get(User, assignment.mediator_id)
    await notify_parties(
        uow, services, case, template="mediator_replaced",
        context={"mediator_name": mediator.real_name if mediator else "—",
                 "replacement_cause": cause if cause in REPLACEMENT_CAUSES else "override"},
        key=f"replaced:{assignment.id}",
    )
    if ctx.data.get("reassign", True):
        await enqueue_assignment(
            uow, services, case, cause=cause, after_assignment_id=assignment.id,
            party_replacement=bool(ctx.data.get("party_replacement")),
        )


@on_transition(E.AGREEMENT_TAKES_EFFECT, E.END_WITHOUT_AGREEMENT, E.WITHDRAW)
async def mediation_over(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """The case no longer counts towards its mediator's load; nothing is left to assign."""
    await release_assignment(uow, services, ctx.case)
    await resolve_queue(uow, services, ctx.case.id, ctx.who)


@on_transition(E.REMEDIATE)
async def mediation_resumed(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """After a rejected confirmation the same mediator mediates again (with a slot if free)."""
    case = ctx.case
    if case.mediator_id is None:
        return
    assignment = (
        await uow.session.execute(
            select(Assignment)
            .where(Assignment.case_id == case.id, Assignment.mediator_id == case.mediator_id)
            .order_by(Assignment.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if assignment is None or assignment.status != AssignmentStatus.RELEASED:
        return
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.ended_at = None
    assignment.end_reason = None
    assignment.holds_slot = await reserve_slot(uow, assignment.mediator_id)
