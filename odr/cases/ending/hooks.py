"""What follows a failed mediation, whoever ended it (registered in ``odr.cases.hooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from odr.cases.ending.package import PACKAGE_KIND
from odr.cases.ending.service import CONSEQUENCE_ZH, COURT_CHANNELS, consequence_of
from odr.cases.lifecycle import CaseEventKind, EndGround
from odr.cases.transitions import TransitionContext, add_event, on_transition
from odr.db.uow import UnitOfWork
from odr.outbox.service import enqueue

if TYPE_CHECKING:
    from odr.services import Services


@on_transition(CaseEventKind.END_WITHOUT_AGREEMENT)
async def record_ending(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L14: keep the ground and reasons, say what happens next, queue the court's package."""
    case = ctx.case
    ground = str(ctx.data.get("ground") or case.end_ground or EndGround.OTHER)
    case.end_ground = ground
    case.end_reasons = ctx.reason or case.end_reasons
    case.closed_at = services.clock.now()
    consequence = consequence_of(case.channel)
    data: dict[str, object] = {"ground": ground, "message": CONSEQUENCE_ZH[consequence]}
    if case.court_id is not None:
        data["court_id"] = case.court_id
    if case.court_case_number:
        data["court_case_number"] = case.court_case_number
    await add_event(uow, services, case, str(consequence), ctx.who, data=data)
    if case.channel in COURT_CHANNELS:
        await enqueue(
            uow, services.clock, kind=PACKAGE_KIND, payload={"case_id": case.id},
            idempotency_key=f"{PACKAGE_KIND}:{case.id}",
        )
