"""Ending a mediation without agreement, and what follows by channel (L14; OMR 21, 25; SMR 21).

``end_mediation`` is the call for anyone ending a case on a recorded ground;
the consequences live in the transition hook (``odr.cases.ending.hooks``), so
a case that fails another way (L8 refusal, L13 period over) gets them too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from odr.cases.lifecycle import CaseEventKind, EndGround
from odr.cases.models import Case, CaseChannel
from odr.cases.transitions import TransitionContext, Who, transition
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services


class Consequence(StrEnum):
    """The timeline event that follows a failed mediation, by channel."""

    SENT_FOR_FILING = "sent_for_filing"  # 委派: the court files the case (立案)
    RETURNED_TO_TRIAL = "returned_to_trial"  # 委托: back to the court's trial
    MAY_SUE = "may_sue"  # self-filed or walk-in: the parties may sue


CONSEQUENCES: dict[str, Consequence] = {
    CaseChannel.DELEGATED: Consequence.SENT_FOR_FILING,
    CaseChannel.ENTRUSTED: Consequence.RETURNED_TO_TRIAL,
    CaseChannel.SELF_FILED: Consequence.MAY_SUE,
    CaseChannel.WALK_IN: Consequence.MAY_SUE,
}

CONSEQUENCE_ZH: dict[Consequence, str] = {
    Consequence.SENT_FOR_FILING: "委派调解不成，案件材料移送法院立案。",
    Consequence.RETURNED_TO_TRIAL: "委托调解不成，案件退回法院继续审理。",
    Consequence.MAY_SUE: "调解不成。当事人可以依法向人民法院提起诉讼。",
}

# Channels whose failed cases go to a court: their transfer package is made at once.
COURT_CHANNELS = frozenset({CaseChannel.DELEGATED, CaseChannel.ENTRUSTED})


def consequence_of(channel: str) -> Consequence:
    return CONSEQUENCES.get(channel, Consequence.MAY_SUE)


async def end_mediation(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    who: Who,
    *,
    ground: EndGround | str,
    reasons: str,
    cost_conduct: str | None = None,
) -> TransitionContext:
    """Fail the mediation on ``ground`` with ``reasons`` (409 if the status does not allow it).

    ``cost_conduct`` records a party's conduct that raised the costs; it goes
    into the timeline and the transfer package. The hook stores the ground,
    the reasons and the closing time, writes the consequence and queues the
    transfer package for court channels.
    """
    data: dict[str, str] = {"ground": str(EndGround(ground))}
    if cost_conduct:
        data["cost_conduct"] = cost_conduct
    return await transition(
        uow, services, case, CaseEventKind.END_WITHOUT_AGREEMENT, who, reason=reasons, data=data
    )
