"""The applicants' side of judicial confirmation hangs on the case's clocks here.

- When an agreement takes effect (``agreement_takes_effect``) the L21 window
  opens: a ``confirmation_window`` deadline of 30 days from the effective
  time (L36), about the agreement. Entrusted (委托) cases never apply (L37).
- The sweep reminds the parties and their agents before the window closes.
- When it passes, an application still waiting for a party lapses (L21).

Listed in ``odr.cases.hooks.HOOK_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agreements.confirmation.apply import lapse_gathering
from agreements.confirmation.window import SUBJECT, WINDOW_KIND, ensure_window
from agreements.models import Agreement
from odr.cases.deadlines.notices import case_parties_and_agents
from odr.cases.deadlines.service import deadline_recipients, on_deadline_missed
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseChannel, Deadline
from odr.cases.progress.vocabulary import register_kind_labels
from odr.cases.transitions import TransitionContext, Who, on_transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

CLOCK = Who.system("confirmation window")

register_kind_labels("confirmation_started", zh="发起司法确认申请", en="Confirmation application started")
register_kind_labels("confirmation_joined", zh="当事人加入共同申请", en="A party joined the application")
register_kind_labels("confirmation_applied", zh="共同申请司法确认已提交法院",
                     en="Joint application sent to the court")
register_kind_labels("confirmation_materials_added", zh="提交司法确认材料",
                     en="Confirmation materials added")
register_kind_labels("confirmation_materials_complete", zh="司法确认材料已齐全",
                     en="Confirmation materials complete")
register_kind_labels("confirmation_withdrawn", zh="撤回司法确认申请",
                     en="Confirmation application withdrawn")
register_kind_labels("confirmation_lapsed", zh="申请司法确认期限届满，申请失效",
                     en="Confirmation window passed; the application lapsed")


@on_transition(CaseEventKind.AGREEMENT_TAKES_EFFECT)
async def open_window(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L21: 30 days from the agreement taking effect, counted by L36."""
    if ctx.case.channel == CaseChannel.ENTRUSTED:
        return  # L37: the agreement goes back to the court, not to confirmation
    agreement_id = ctx.data.get("agreement_id")
    if agreement_id is None:
        return
    agreement = await uow.session.get(Agreement, int(agreement_id))
    if agreement is None or agreement.case_id != ctx.case.id:
        return
    await ensure_window(uow, services, ctx.case, agreement, CLOCK)


@deadline_recipients(WINDOW_KIND)
async def window_recipients(
    services: Services, uow: UnitOfWork, case: Case, deadline: Deadline
) -> list[int]:
    """The parties and their agents apply; staff need no reminder."""
    return await case_parties_and_agents(uow, services, case)


@on_deadline_missed(WINDOW_KIND)
async def window_passed(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline) -> None:
    """L21: the window closed; an application not joined by every party lapses."""
    if deadline.subject_type != SUBJECT or deadline.subject_id is None:
        return
    await lapse_gathering(uow, services, case, deadline.subject_id, CLOCK)
