"""Open drafts follow their case.

A case that ends without agreement, or is withdrawn, abandons its open draft.
A case whose mediator is replaced (L7) keeps its draft, but every valid
signature is voided (it carries the old mediator's signature and names him or
her); the new mediator revises the content and everyone signs again.
Registered in ``odr.cases.hooks.HOOK_MODULES``; runs in the transition's unit
of work, so the agreement changes together with the case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from agreements.drafting.service import OPEN_STATUSES, abandon, publish
from agreements.drafting.voiding import void_signatures
from agreements.models import Agreement, AgreementStatus
from odr.cases.lifecycle import CaseEventKind
from odr.cases.transitions import TransitionContext, add_event, on_transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

REASONS = {
    CaseEventKind.END_WITHOUT_AGREEMENT: "the mediation ended without agreement",
    CaseEventKind.WITHDRAW: "the case was withdrawn",
}
MEDIATOR_REPLACED = "the mediator was replaced"


async def _open_agreements(uow: UnitOfWork, case_id: int) -> list[Agreement]:
    return list((await uow.session.execute(
        select(Agreement).where(Agreement.case_id == case_id, Agreement.status.in_(OPEN_STATUSES))
        .order_by(Agreement.id).with_for_update()
    )).scalars())


@on_transition(*REASONS)
async def abandon_open_drafts(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    for agreement in await _open_agreements(uow, ctx.case.id):
        await abandon(uow, services, ctx.case, agreement, ctx.who, reason=REASONS[ctx.event])


@on_transition(CaseEventKind.REPLACE_MEDIATOR)
async def void_signatures_of_the_replaced_mediators_draft(
    services: Services, uow: UnitOfWork, ctx: TransitionContext
) -> None:
    for agreement in await _open_agreements(uow, ctx.case.id):
        voided = await void_signatures(
            uow, services, ctx.case, agreement, ctx.who, reason=MEDIATOR_REPLACED,
            key=f"agreement:{agreement.id}:v{agreement.current_version}:mediator_replaced",
        )
        agreement.status = AgreementStatus.DRAFT
        if voided:
            await add_event(uow, services, ctx.case, "agreement_signatures_voided", ctx.who, data={
                "agreement_id": agreement.id, "version": agreement.current_version,
                "reason": MEDIATOR_REPLACED, "signature_ids": [s.id for s in voided],
            })
            await publish(uow, services, ctx.case, agreement, "agreement.changed",
                          voided_signature_ids=[s.id for s in voided], changed_fields=[])
