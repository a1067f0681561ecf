"""Queries that mirror the policy: the set of cases an actor may see, and a case's policy view."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import IdentityLevel, Role
from odr.cases.models import Case, CaseParticipant
from odr.policy import Actor, CaseView


def visible_case_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL condition equal to ``decide(actor, CASE_READ, case)`` for every case."""
    if not actor.authenticated:
        return false()
    conditions: list[ColumnElement[bool]] = []
    if actor.identity_level != IdentityLevel.NONE:
        conditions.append(
            Case.id.in_(select(CaseParticipant.case_id).where(CaseParticipant.user_id == actor.user_id))
        )
    if actor.role == Role.INSTITUTION_ADMIN and actor.institution_ids:
        conditions.append(Case.institution_id.in_(sorted(actor.institution_ids)))
    if actor.role in (Role.JUDGE, Role.CLERK) and actor.court_ids:
        conditions.append(Case.court_id.in_(sorted(actor.court_ids)))
    return or_(*conditions) if conditions else false()


async def case_view(session: AsyncSession, case: Case) -> CaseView:
    rows = (
        await session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role).where(
                CaseParticipant.case_id == case.id
            )
        )
    ).all()
    participants: dict[int, set[str]] = {}
    for user_id, role in rows:
        participants.setdefault(user_id, set()).add(role)
    return CaseView(
        case_id=case.id,
        status=case.status,
        institution_id=case.institution_id,
        court_id=case.court_id,
        participants={k: frozenset(v) for k, v in participants.items()},
    )
