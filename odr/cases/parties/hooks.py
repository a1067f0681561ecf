"""What the parties part hangs on the lifecycle and the clocks (listed in ``odr.cases.hooks``).

- ``ACCEPT``: ask every respondent whether it agrees to mediate (L8).
- the case ends (failed, withdrawn): close unanswered invitations, cancel reply clocks.
- a missed ``respondent_reply`` deadline ends the mediation (L8, RESPONDENT_NO_REPLY).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odr.cases.deadlines.service import on_deadline_missed
from odr.cases.lifecycle import CaseEventKind
from odr.cases.parties.invitations import (
    REPLY_KIND,
    close_open_invitations,
    invite_respondents,
    no_reply,
)
from odr.cases.transitions import TransitionContext, on_transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services


@on_transition(CaseEventKind.ACCEPT)
async def ask_respondents(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    await invite_respondents(uow, services, ctx.case, ctx.who)


@on_transition(CaseEventKind.END_WITHOUT_AGREEMENT, CaseEventKind.WITHDRAW)
async def stop_asking(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    await close_open_invitations(uow, services, ctx.case)


on_deadline_missed(REPLY_KIND)(no_reply)
