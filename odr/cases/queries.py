"""Queries that mirror the policy: the set of cases an actor may see, and a case's policy view."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import IdentityLevel, Role
from odr.cases.models import AgentAuthorization, Case, CaseParticipant
from odr.cases.transitions import active_participation
from odr.db.base import UTCDateTime
from odr.policy import Actor, CaseView


def visible_case_scope(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """SQL condition equal to ``decide(actor, CASE_READ, case)`` for every case at ``now``."""
    shape, params = case_scope(actor, now)
    condition = scope_condition(shape)
    return condition.params(params) if params else condition


# The three ways the policy lets an actor read a case; a scope's shape says which apply.
ScopeShape = tuple[bool, bool, bool]  # (participant, institution admin, judge or clerk)


def case_scope(actor: Actor, now: datetime) -> tuple[ScopeShape, dict[str, Any]]:
    """The shape of ``actor``'s case scope and the values of its bound parameters.

    Hot paths build their statements once per shape (``scope_condition``) and
    pass these values at execution, so no SQL is constructed per request.
    """
    if not actor.authenticated:
        return (False, False, False), {}
    participant = actor.identity_level != IdentityLevel.NONE
    admin = actor.role == Role.INSTITUTION_ADMIN and bool(actor.institution_ids)
    judge = actor.role in (Role.JUDGE, Role.CLERK) and bool(actor.court_ids)
    params: dict[str, Any] = {}
    if participant:
        params["scope_user_id"] = actor.user_id
        params["scope_now"] = now
    if admin:
        params["scope_institution_ids"] = sorted(actor.institution_ids)
    if judge:
        params["scope_court_ids"] = sorted(actor.court_ids)
    return (participant, admin, judge), params


@functools.cache
def scope_condition(shape: ScopeShape) -> ColumnElement[bool]:
    """The case scope of one shape, with bound parameters named as in ``case_scope``."""
    participant, admin, judge = shape
    conditions: list[ColumnElement[bool]] = []
    if participant:
        conditions.append(Case.id.in_(
            select(CaseParticipant.case_id)
            .where(CaseParticipant.user_id == bindparam("scope_user_id"))
            .where(active_participation(bindparam("scope_now", type_=UTCDateTime())))
        ))
    if admin:
        conditions.append(Case.institution_id.in_(bindparam("scope_institution_ids", expanding=True)))
    if judge:
        conditions.append(Case.court_id.in_(bindparam("scope_court_ids", expanding=True)))
    return or_(*conditions) if conditions else false()


async def case_view(session: AsyncSession, case: Case, now: datetime) -> CaseView:
    """The policy's picture of ``case`` at ``now``: running participations, valid agent scopes."""
    rows = (
        await session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role).where(
                CaseParticipant.case_id == case.id, active_participation(now)
            )
        )
    ).all()
    participants: dict[int, set[str]] = {}
    for user_id, role in rows:
        participants.setdefault(user_id, set()).add(role)
    scopes: dict[int, set[str]] = {}
    if any("agent" in roles for roles in participants.values()):
        grants = (
            await session.execute(
                select(AgentAuthorization.agent_user_id, AgentAuthorization.scopes).where(
                    AgentAuthorization.case_id == case.id,
                    AgentAuthorization.revoked_at.is_(None),
                    AgentAuthorization.valid_from <= now,
                    or_(
                        AgentAuthorization.valid_until.is_(None),
                        AgentAuthorization.valid_until > now,
                    ),
                )
            )
        ).all()
        for agent_id, granted in grants:
            scopes.setdefault(agent_id, set()).update(granted)
    return CaseView(
        case_id=case.id,
        status=case.status,
        institution_id=case.institution_id,
        court_id=case.court_id,
        participants={k: frozenset(v) for k, v in participants.items()},
        channel=case.channel,
        mediator_id=case.mediator_id,
        # The institution whose admins review a case that has none yet: the applicant's
        # choice, else the one routing proposed (odr.cases.intake.routing).
        preferred_institution_id=case.preferred_institution_id or case.proposed_institution_id,
        agent_scopes={k: frozenset(v) for k, v in scopes.items()},
    )
