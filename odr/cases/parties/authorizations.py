"""Agent authorizations: who may act for which party of a case, and how a grant starts and ends.

An agent acts for a party only under an ``AgentAuthorization`` (principal
party, case, scopes, validity). The policy sees an agent through its
``CaseParticipant`` row (``ends_at`` closes it, so the case list drops the
case) and the grant's scopes (``odr.cases.queries.case_view``). Every change
here keeps the two in step with ``sync_agent_participation``: granting with a
validity sets ``ends_at = valid_until``; revoking the last grant sets
``ends_at = now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import IdentityLevel, Role, User
from odr.cases.models import (
    AgentAuthorization,
    AgentScope,
    Case,
    CaseParticipant,
    CaseParty,
    CaseRole,
)
from odr.cases.transitions import Who, active_participation, add_event
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, ValidationFailed
from odr.notify.service import queue_for_user
from odr.policy import Actor, CaseView, is_case_staff
from odr.storage.models import StoredBlob

if TYPE_CHECKING:
    from odr.services import Services

PARTY_SIDES = (CaseRole.APPLICANT, CaseRole.RESPONDENT)
# Special authority (特别授权) needs the power of attorney on file.
SPECIAL_SCOPES = frozenset({AgentScope.SIGN_AGREEMENT, AgentScope.APPLY_CONFIRMATION})


def grant_in_force(now: datetime) -> ColumnElement[bool]:
    """An authorization that is neither revoked nor expired at ``now``."""
    return and_(
        AgentAuthorization.revoked_at.is_(None),
        AgentAuthorization.valid_from <= now,
        or_(AgentAuthorization.valid_until.is_(None), AgentAuthorization.valid_until > now),
    )


def grant_status(grant: AgentAuthorization, now: datetime) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    if grant.valid_until is not None and grant.valid_until <= now:
        return "expired"
    return "active"


async def own_party_ids(
    session: AsyncSession, case_id: int, user_id: int, now: datetime
) -> set[int]:
    """The parties ``user_id`` is, itself (a running applicant/respondent participation)."""
    rows = await session.execute(
        select(CaseParticipant.party_id).where(
            CaseParticipant.case_id == case_id,
            CaseParticipant.user_id == user_id,
            CaseParticipant.role.in_(PARTY_SIDES),
            CaseParticipant.party_id.is_not(None),
            active_participation(now),
        )
    )
    return {pid for pid in rows.scalars() if pid is not None}


async def agent_party_ids(
    session: AsyncSession, case_id: int, user_id: int, now: datetime, scope: str
) -> set[int]:
    """The parties ``user_id`` represents at ``now`` under a grant carrying ``scope``."""
    rows = await session.execute(
        select(AgentAuthorization.party_id, AgentAuthorization.scopes).where(
            AgentAuthorization.case_id == case_id,
            AgentAuthorization.agent_user_id == user_id,
            grant_in_force(now),
        )
    )
    return {party_id for party_id, scopes in rows.all() if scope in scopes}


async def parties_acted_for(
    session: AsyncSession, case_id: int, actor: Actor, now: datetime,
    scope: str = AgentScope.GENERAL,
) -> set[int]:
    """The parties ``actor`` may act for: its own, and those it represents with ``scope``.

    The policy answers "a party or an agent of this case"; this answers "of
    which party", which a request naming a party must check.
    """
    if actor.user_id is None or actor.identity_level == IdentityLevel.NONE:
        return set()
    own = await own_party_ids(session, case_id, actor.user_id, now)
    if actor.role == Role.AGENT:
        own |= await agent_party_ids(session, case_id, actor.user_id, now, scope)
    return own


def agent_may(view: CaseView, user_id: int | None, scope: str) -> bool:
    """Whether an agent holds ``scope`` in this case (e.g. ``SIGN_AGREEMENT`` before signing).

    Equal to ``CaseView.is_agent_with``: the view only carries grants in force,
    so a revoked or expired authorization is already gone from it.
    """
    return view.is_agent_with(user_id, scope)


async def load_party(session: AsyncSession, case_id: int, party_id: int) -> CaseParty:
    party = await session.get(CaseParty, party_id)
    if party is None or party.case_id != case_id:
        raise NotFound("no such party in this case")
    return party


async def sync_agent_participation(
    uow: UnitOfWork, case_id: int, agent_user_id: int, now: datetime
) -> None:
    """Make the agent's participation match its grants in force.

    One participation row per agent and case (the table's unique key), even
    when the agent represents several parties of one side: it ends when the
    last grant ends (``None`` if one grant has no end).
    """
    grants = list(
        (
            await uow.session.execute(
                select(AgentAuthorization)
                .where(
                    AgentAuthorization.case_id == case_id,
                    AgentAuthorization.agent_user_id == agent_user_id,
                    grant_in_force(now),
                )
                .order_by(AgentAuthorization.id)
            )
        ).scalars()
    )
    row = (
        await uow.session.execute(
            select(CaseParticipant).where(
                CaseParticipant.case_id == case_id,
                CaseParticipant.user_id == agent_user_id,
                CaseParticipant.role == CaseRole.AGENT,
            )
        )
    ).scalar_one_or_none()
    if not grants:
        if row is not None and (row.ends_at is None or row.ends_at > now):
            row.ends_at = now
        return
    ends = [g.valid_until for g in grants]
    until = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    if row is None:
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent_user_id, role=CaseRole.AGENT,
            party_id=grants[0].party_id, created_at=now, ends_at=until,
        ))
    else:
        row.party_id = grants[0].party_id
        row.ends_at = until
    await uow.session.flush()


@dataclass(frozen=True)
class GrantRequest:
    party_id: int
    scopes: list[AgentScope]
    agent_username: str | None = None
    agent_mobile: str | None = None
    valid_until: datetime | None = None
    document_sha256: str | None = None


async def _find_agent(session: AsyncSession, req: GrantRequest) -> User:
    if req.agent_username:
        query = select(User).where(User.username == req.agent_username.strip().lower())
        named = f"user {req.agent_username!r}"
    else:
        query = select(User).where(
            User.mobile == req.agent_mobile, User.mobile_verified_at.is_not(None)
        )
        named = "the user with that mobile number"
    agent = (await session.execute(query)).scalars().first()
    if agent is None or not agent.is_active:
        raise ValidationFailed(f"no active account: {named}", code="agent_unknown")
    if agent.role != Role.AGENT:
        raise ValidationFailed(
            f"{named} is not registered as an agent: only agent accounts can be authorized",
            code="not_an_agent",
        )
    if agent.identity_level == IdentityLevel.NONE:
        raise ValidationFailed(
            f"{named} has not verified its identity (L2); an agent must be verified first",
            code="agent_not_verified",
        )
    return agent


async def grant(
    uow: UnitOfWork, services: Services, case: Case, actor: Actor, view: CaseView,
    req: GrantRequest,
) -> AgentAuthorization:
    """Authorize an agent for a party: by the party itself, or by staff on paper evidence."""
    now = services.clock.now()
    session = uow.session
    party = await load_party(session, case.id, req.party_id)
    principal = actor.user_id is not None and req.party_id in await own_party_ids(
        session, case.id, actor.user_id, now
    )
    staff = is_case_staff(actor, view)
    if not principal and not staff:
        raise Forbidden("you may authorize an agent only for your own party", code="not_principal")
    scopes = sorted(set(req.scopes))
    if not scopes:
        raise ValidationFailed("name at least one scope", code="no_scope")
    if req.valid_until is not None and req.valid_until <= now:
        raise ValidationFailed("valid_until must be in the future", code="validity_in_past")
    needs_document = (staff and not principal) or bool(SPECIAL_SCOPES & set(scopes))
    if needs_document and not req.document_sha256:
        raise ValidationFailed(
            "attach the power of attorney (document_sha256 of a file uploaded to /api/v1/files): "
            "it is required for special authority and for authorizations registered by staff",
            code="power_of_attorney_required",
        )
    if req.document_sha256 and await session.get(StoredBlob, req.document_sha256) is None:
        raise ValidationFailed(
            "document_sha256 names no uploaded file: upload it to /api/v1/files first",
            code="unknown_document",
        )
    agent = await _find_agent(session, req)
    existing = (
        await session.execute(
            select(AgentAuthorization.party_id).where(
                AgentAuthorization.case_id == case.id,
                AgentAuthorization.agent_user_id == agent.id,
                grant_in_force(now),
            )
        )
    ).scalars().all()
    if req.party_id in existing:
        raise Conflict(
            "this agent already holds an authorization for this party; "
            "revoke it first to change it",
            code="already_authorized",
        )
    if existing:
        sides = set(
            (await session.execute(
                select(CaseParty.side).where(CaseParty.id.in_(existing))
            )).scalars()
        )
        if sides - {party.side}:
            raise Conflict("this agent represents the other side of this case",
                           code="conflict_of_sides")
    authorization = AgentAuthorization(
        case_id=case.id, party_id=party.id, agent_user_id=agent.id, scopes=list(scopes),
        document_sha256=req.document_sha256, valid_from=now, valid_until=req.valid_until,
        granted_by_id=actor.user_id, created_at=now,
    )
    session.add(authorization)
    await session.flush()
    await sync_agent_participation(uow, case.id, agent.id, now)
    await add_event(uow, services, case, "agent_authorized", Who.of(actor), data={
        "authorization_id": authorization.id, "party_id": party.id, "agent_user_id": agent.id,
        "agent_name": agent.real_name, "scopes": list(scopes),
        "valid_until": req.valid_until.isoformat() if req.valid_until else None,
        "registered_by": "party" if principal else "staff",
    })
    await queue_for_user(
        uow, services.clock, agent, template="agent_authorized",
        context={
            "name": agent.real_name, "party": party.name, "number": case.number,
            "scopes": ", ".join(scopes),
            "until": f"{to_local(req.valid_until):%Y-%m-%d %H:%M}" if req.valid_until else "-",
        },
        idempotency_key=f"agent-authorized:{authorization.id}",
    )
    return authorization


async def revoke(
    uow: UnitOfWork, services: Services, case: Case, actor: Actor, view: CaseView,
    authorization_id: int, reason: str,
) -> AgentAuthorization:
    """End an authorization now: the agent loses the case at once (list and reads)."""
    now = services.clock.now()
    session = uow.session
    authorization = await session.get(AgentAuthorization, authorization_id, with_for_update=True)
    if authorization is None or authorization.case_id != case.id:
        raise NotFound("no such authorization in this case")
    principal = actor.user_id is not None and authorization.party_id in await own_party_ids(
        session, case.id, actor.user_id, now
    )
    if not principal and not is_case_staff(actor, view):
        raise Forbidden(
            "only the party that gave this authorization (or the case's staff) can revoke it",
            code="not_principal",
        )
    status = grant_status(authorization, now)
    if status != "active":
        raise Conflict(f"this authorization is already {status}", code=f"authorization_{status}")
    if not reason:
        raise ValidationFailed("give a reason for revoking", code="reason_required")
    authorization.revoked_at = now
    authorization.revoked_by_id = actor.user_id
    authorization.revoke_reason = reason
    await session.flush()
    await sync_agent_participation(uow, case.id, authorization.agent_user_id, now)
    party = await load_party(session, case.id, authorization.party_id)
    await add_event(uow, services, case, "agent_revoked", Who.of(actor), data={
        "authorization_id": authorization.id, "party_id": authorization.party_id,
        "agent_user_id": authorization.agent_user_id, "reason": reason,
    })
    agent = await session.get(User, authorization.agent_user_id)
    if agent is not None:
        await queue_for_user(
            uow, services.clock, agent, template="agent_revoked",
            context={
                "name": agent.real_name, "party": party.name, "number": case.number,
                "at": f"{to_local(now):%Y-%m-%d %H:%M}",
            },
            idempotency_key=f"agent-revoked:{authorization.id}",
        )
    return authorization


@dataclass(frozen=True)
class GrantRow:
    authorization: AgentAuthorization
    party_name: str
    party_side: str
    agent_name: str
    agent_username: str


async def list_grants(session: AsyncSession, case_id: int) -> list[GrantRow]:
    rows = await session.execute(
        select(AgentAuthorization, CaseParty.name, CaseParty.side, User.real_name, User.username)
        .join(CaseParty, CaseParty.id == AgentAuthorization.party_id)
        .join(User, User.id == AgentAuthorization.agent_user_id)
        .where(AgentAuthorization.case_id == case_id)
        .order_by(AgentAuthorization.id)
    )
    return [GrantRow(*row) for row in rows.all()]
