"""Who a thread belongs to and who hears about it.

A thread's *side* is the author's side of the case (its parties and their
agents); its *staff* are the groups it is addressed (or escalated) to. The
policy decides on a ``ThreadView`` built here; the notices go to the users
these functions find.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import Membership, Role
from odr.cases.messages.models import Addressee, MessageThread
from odr.cases.models import Case, CaseParticipant, CaseParty
from odr.cases.transitions import active_participation
from odr.policy import CaseView, ThreadView

SIDE_ROLES = ("applicant", "respondent", "agent")


@dataclass(frozen=True)
class ActingFor:
    """A party a user acts for in a case: as the party itself or as its agent."""

    party_id: int
    side: str
    role: str  # applicant | respondent | agent


async def acting_for(
    session: AsyncSession, case_id: int, user_id: int | None, now: datetime
) -> list[ActingFor]:
    """The parties ``user_id`` takes part for (running participations), by party id."""
    if user_id is None:
        return []
    rows = (
        await session.execute(
            select(CaseParticipant.party_id, CaseParty.side, CaseParticipant.role)
            .join(CaseParty, CaseParty.id == CaseParticipant.party_id)
            .where(
                CaseParticipant.case_id == case_id,
                CaseParticipant.user_id == user_id,
                CaseParticipant.role.in_(SIDE_ROLES),
                active_participation(now),
            )
            .order_by(CaseParticipant.party_id)
        )
    ).all()
    return [ActingFor(party_id=p, side=s, role=r) for p, s, r in rows if p is not None]


async def side_user_ids(
    session: AsyncSession, case_id: int, side: str, now: datetime
) -> frozenset[int]:
    """The users of one side: its parties' users and their agents (running participations)."""
    rows = (
        await session.execute(
            select(CaseParticipant.user_id)
            .join(CaseParty, CaseParty.id == CaseParticipant.party_id)
            .where(
                CaseParticipant.case_id == case_id,
                CaseParty.side == side,
                CaseParticipant.role.in_(SIDE_ROLES),
                active_participation(now),
            )
        )
    ).scalars()
    return frozenset(rows)


async def thread_view(
    session: AsyncSession, case: CaseView, thread: MessageThread, now: datetime
) -> ThreadView:
    return ThreadView(
        case=case,
        kind=thread.kind,
        addressee=thread.addressee,
        side_user_ids=await side_user_ids(session, thread.case_id, thread.side, now),
        escalated_to=thread.escalated_to,
    )


def escalation_group(addressee: str) -> str:
    """Where an unanswered thread goes: the court's clerks for court threads, else the institution."""
    return "court" if addressee in (Addressee.JUDGE, Addressee.COURT) else "institution"


async def staff_user_ids(
    session: AsyncSession, case: Case, groups: Iterable[str], *, clerks_only: bool = False
) -> list[int]:
    """The users of the named staff groups of ``case`` (mediator | judge | institution | court)."""
    wanted = set(groups)
    found: list[int] = []
    if "mediator" in wanted and case.mediator_id is not None:
        found.append(case.mediator_id)
    if "institution" in wanted and case.institution_id is not None:
        found += (
            await session.execute(
                select(Membership.user_id).where(
                    Membership.institution_id == case.institution_id,
                    Membership.role == Role.INSTITUTION_ADMIN,
                ).order_by(Membership.user_id)
            )
        ).scalars()
    if wanted & {"judge", "court"} and case.court_id is not None:
        roles = [Role.CLERK] if clerks_only else [Role.JUDGE, Role.CLERK]
        found += (
            await session.execute(
                select(Membership.user_id).where(
                    Membership.court_id == case.court_id, Membership.role.in_(roles)
                ).order_by(Membership.user_id)
            )
        ).scalars()
    return list(dict.fromkeys(found))
