"""Shared set-up of the mediators tests: institutions, mediators with profiles, cases to assign."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mediators import profiles
from mediators.models import Assignment, MediatorProfile, QueueItem
from odr.accounts.models import User
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseEvent, CaseParty, Consent, Deadline
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.outbox.drain import drain_until_empty
from odr.policy import Actor
from odr.services import Services
from tests.factories import make_case, make_user, seeded_orgs

SFCDMC = 0  # index of 上海市金融消费纠纷调解中心 in the seeded institutions (Pudong)


def actor_of(user: User, *, institutions: list[int] | None = None,
             courts: list[int] | None = None) -> Actor:
    return Actor(user_id=user.id, role=user.role,
                 institution_ids=frozenset(institutions or []), court_ids=frozenset(courts or []),
                 identity_level=user.identity_level)


@dataclass
class Org:
    court_ids: list[int]
    institution_ids: list[int]
    admin: User
    admin_actor: Actor
    institution_id: int
    mediators: list[User] = field(default_factory=list)


async def org(services: Services, index: int = SFCDMC) -> Org:
    courts, insts = await seeded_orgs(services)
    admin = await make_user(services, "institution_admin", password=None,
                            institution_id=insts[index])
    return Org(courts, insts, admin, actor_of(admin, institutions=[insts[index]]), insts[index])


async def add_mediator(
    services: Services, o: Org, *, specialties: list[str] | None = None, capacity: int = 5,
    languages: list[str] | None = None, institution_index: int | None = None, **user_fields: Any,
) -> User:
    """A mediator account of the org's institution with a profile made through the admin service."""
    institution_id = o.institution_ids[institution_index] if institution_index is not None else o.institution_id
    user = await make_user(services, "mediator", password=None, institution_id=institution_id,
                           **user_fields)
    admin_actor = o.admin_actor
    if institution_id != o.institution_id:
        admin_actor = Actor(user_id=o.admin.id, role="institution_admin",
                            institution_ids=frozenset({institution_id}),
                            identity_level=o.admin.identity_level)
    await profiles.create_profile(services, admin_actor, institution_id, {
        "user_id": user.id, "title": "调解员", "bio_zh": "", "bio_en": "",
        "specialties": specialties or ["financial_consumer"], "languages": languages or ["zh"],
        "max_concurrent_cases": capacity,
    })
    o.mediators.append(user)
    return user


async def parties(services: Services) -> tuple[User, User]:
    return (await make_user(services, "party", password=None),
            await make_user(services, "party", password=None))


async def case_waiting(
    services: Services, o: Org, *, applicant: User | None = None, respondent: User | None = None,
    category: str = "financial_consumer", online: bool = False, respondent_agreed: bool = True,
    **fields: Any,
) -> int:
    """An accepted case of the org's institution waiting for its mediator.

    ``online``: every party agreed to mediate online first, so the L5 window
    to choose together opens (the clocks part's hook on ACCEPT).
    ``respondent_agreed``: the respondent answered its invitation "agree" after
    acceptance (L8), so the mediator may start the mediation.
    """
    if applicant is None or respondent is None:
        applicant, respondent = await parties(services)
    case = await make_case(services, applicant=applicant, respondent=respondent,
                           status="under_review", category=category,
                           institution_id=o.institution_id, court_id=o.court_ids[0], **fields)
    if online:
        await agree_online(services, case.id)
    await move(services, case.id, CaseEventKind.ACCEPT)
    await move(services, case.id, CaseEventKind.ASSIGN_INSTITUTION)
    if respondent_agreed and not online:
        await respondent_agrees(services, case.id)
    return int(case.id)


async def respondent_agrees(services: Services, case_id: int) -> None:
    """Every respondent answers its invitation: agrees to mediate (L8)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        for party in (await uow.session.execute(select(CaseParty).where(
                CaseParty.case_id == case_id, CaseParty.side == "respondent"))).scalars():
            uow.session.add(Consent(case_id=case_id, party_id=party.id, stage="mediation_online",
                                    decision="agree", channel="sms_link", by_user_id=party.user_id,
                                    at=now))


async def agree_online(services: Services, case_id: int) -> None:
    now = services.clock.now()
    async with services.db.uow() as uow:
        for party in (await uow.session.execute(
                select(CaseParty).where(CaseParty.case_id == case_id))).scalars():
            uow.session.add(Consent(case_id=case_id, party_id=party.id, stage="mediation_online",
                                    decision="agree", channel="web", by_user_id=party.user_id,
                                    at=now))


async def move(services: Services, case_id: int, event: CaseEventKind, **data: Any) -> None:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        await transition(uow, services, case, event, Who.system("test"), data=data)


async def case_of(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def assignments_of(services: Services, case_id: int) -> list[Assignment]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(Assignment).where(Assignment.case_id == case_id).order_by(Assignment.id)
        )).scalars())


async def profile_of(services: Services, user_id: int) -> MediatorProfile:
    async with services.db.reader() as uow:
        return (await uow.session.execute(
            select(MediatorProfile).where(MediatorProfile.user_id == user_id))).scalar_one()


async def queue_of(services: Services, case_id: int) -> list[QueueItem]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(QueueItem).where(QueueItem.case_id == case_id, QueueItem.resolved_at.is_(None))
        )).scalars())


async def events_of(services: Services, case_id: int, kind: str) -> list[CaseEvent]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id))).scalars())


async def deadlines_of(services: Services, case_id: int, kind: str) -> list[Deadline]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == kind)
            .order_by(Deadline.id))).scalars())


async def drain(services: Services) -> None:
    """Run the outbox work (reassignments, notices) as a worker would."""
    import mediators.handlers  # noqa: F401  registers mediators.assign
    import odr.notify.service  # noqa: F401  registers notify.send

    await drain_until_empty(services, "test-worker")


async def party_id_of(services: Services, case_id: int, user: User) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(
            select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.user_id == user.id)
        )).scalar_one())
