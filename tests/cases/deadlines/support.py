"""Shared set-up of the deadline tests: a case with its people, moved through the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseEvent, CaseParty, Consent, Deadline
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.services import Services
from tests.factories import make_case, make_user, seeded_orgs


@dataclass
class World:
    case_id: int
    applicant: User
    respondent: User
    mediator: User
    admin: User  # institution admin of the case's institution
    institution_id: int
    court_id: int


async def world(services: Services, *, status: str = "under_review", channel: str = "self_filed",
                with_mediator: bool = False, **fields: Any) -> World:
    courts, insts = await seeded_orgs(services)
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=insts[0])
    admin = await make_user(services, "institution_admin", password=None, institution_id=insts[0])
    case = await make_case(
        services, applicant=applicant, respondent=respondent, status=status, channel=channel,
        institution_id=insts[0], court_id=courts[0],
        mediator=mediator if with_mediator else None, **fields,
    )
    return World(case.id, applicant, respondent, mediator, admin, insts[0], courts[0])


async def move(services: Services, case_id: int, event: CaseEventKind, *,
               who: Who | None = None, **data: Any) -> None:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        if event == CaseEventKind.ASSIGN_MEDIATOR and "mediator_id" in data:
            case.mediator_id = data["mediator_id"]
        await transition(uow, services, case, event, who or Who.system("test"), data=data)


async def deadlines_of(services: Services, case_id: int, kind: str | None = None) -> list[Deadline]:
    async with services.db.reader() as uow:
        stmt = select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)
        if kind:
            stmt = stmt.where(Deadline.kind == kind)
        return list((await uow.session.execute(stmt)).scalars())


async def case_of(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def events_of(services: Services, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    async with services.db.reader() as uow:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind:
            stmt = stmt.where(CaseEvent.kind == kind)
        return list((await uow.session.execute(stmt)).scalars())


async def consent(services: Services, case_id: int, user: User, decision: str = "agree") -> None:
    async with services.db.uow() as uow:
        party_id = (await uow.session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.user_id == user.id)
        )).scalar_one()
        uow.session.add(Consent(
            case_id=case_id, party_id=party_id, stage="mediation_online", decision=decision,
            channel="web", by_user_id=user.id, at=services.clock.now(),
        ))


async def party_id_of(services: Services, case_id: int, user: User) -> int:
    async with services.db.reader() as uow:
        return (await uow.session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.user_id == user.id)
        )).scalar_one()


async def in_mediation(services: Services, **fields: Any) -> World:
    """A case whose mediator accepted just now (the L13 period runs from now)."""
    w = await world(services, status="mediator_assigned", with_mediator=True, **fields)
    await move(services, w.case_id, CaseEventKind.MEDIATOR_ACCEPTED)
    return w


async def add_agent(services: Services, case_id: int, principal: User, *,
                    scopes: tuple[str, ...] = ("general",)) -> User:
    """An agent (lawyer) acting for ``principal``'s party under a valid authorization."""
    from odr.cases.models import AgentAuthorization, CaseParticipant
    from tests.factories import make_user

    agent = await make_user(services, "agent", password=None)
    party_id = await party_id_of(services, case_id, principal)
    now = services.clock.now()
    async with services.db.uow() as uow:
        uow.session.add(AgentAuthorization(
            case_id=case_id, party_id=party_id, agent_user_id=agent.id, scopes=list(scopes),
            valid_from=now, granted_by_id=principal.id, created_at=now,
        ))
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent.id, role="agent", party_id=party_id, created_at=now,
        ))
    return agent
