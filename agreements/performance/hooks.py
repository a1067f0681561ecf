"""Performance items start when the agreement takes effect.

Primary: a transition hook on ``agreement_takes_effect`` (listed in
``odr.cases.hooks.HOOK_MODULES``): the terms bind from the effective moment
(L16, L18), in the same transaction that makes the agreement effective, and
reminders must not wait for (or depend on) the worker that renders the PDF.
Safety net: the same, idempotent, on ``on_pdf_stored`` (listed in
``agreements.effects.HOOK_MODULES``), for an agreement made effective by a
path that bypassed the transition hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agreements.effects import on_pdf_stored
from agreements.models import Agreement, AgreementStatus
from agreements.performance.service import track_agreement
from odr.cases.lifecycle import CaseEventKind
from odr.cases.transitions import TransitionContext, Who, on_transition

if TYPE_CHECKING:
    from odr.cases.models import Case, CaseDocument
    from odr.db.uow import UnitOfWork
    from odr.services import Services

PLATFORM = Who.system("agreements")


@on_transition(CaseEventKind.AGREEMENT_TAKES_EFFECT)
async def track_on_effect(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    agreement_id = ctx.data.get("agreement_id")
    if agreement_id is None:
        return
    agreement = await uow.session.get(Agreement, int(agreement_id))
    if agreement is None or agreement.status != AgreementStatus.EFFECTIVE:
        return
    await track_agreement(services, uow, ctx.case, agreement, PLATFORM)


@on_pdf_stored
async def track_on_pdf(
    services: Services, uow: UnitOfWork, case: Case, agreement: Agreement, document: CaseDocument
) -> None:
    await track_agreement(services, uow, case, agreement, PLATFORM)
