"""A case in mediation with a mediator, two parties, an agent and an institution admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from agreements.models import Agreement, AgreementSignature, AgreementVersion
from odr.accounts.models import User
from odr.cases.models import CaseEvent, CaseParty
from odr.services import Services
from tests.cases.documents.support import add_agent
from tests.factories import make_case, make_user, seeded_orgs, sign_in


@dataclass
class World:
    case: Any
    case_id: int
    institution_id: int
    applicant: User
    respondent: User
    agent: User  # the applicant's agent with general authority
    mediator: User
    admin: User
    applicant_party_id: int
    respondent_party_id: int
    other_party: User  # the applicant of another case
    other_case_id: int


async def make_world(services: Services, *, channel: str = "self_filed",
                     status: str = "in_mediation", **fields: Any) -> World:
    courts, institutions = await seeded_orgs(services)
    inst = institutions[0]
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=inst)
    admin = await make_user(services, "institution_admin", password=None, institution_id=inst)
    court_id = courts[0] if channel in ("delegated", "entrusted") else None
    case = await make_case(services, applicant=applicant, respondent=respondent, status=status,
                           channel=channel, institution_id=inst, court_id=court_id,
                           mediator=mediator, facts="申请人借给被申请人十万元，到期未还。",
                           claims="请求偿还借款十万元及利息。", **fields)
    agent = await add_agent(services, case.id, "applicant", ["general"])
    other_party = await make_user(services, "party", password=None)
    other = await make_case(services, applicant=other_party, status="in_mediation",
                            institution_id=inst, mediator=mediator)
    async with services.db.reader() as uow:
        parties = {p.side: p.id for p in (await uow.session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id))).scalars()}
    return World(case, case.id, inst, applicant, respondent, agent, mediator, admin,
                 parties["applicant"], parties["respondent"], other_party, other.id)


async def act_as(client: httpx.AsyncClient, services: Services, user: User) -> None:
    client.cookies.clear()
    await sign_in(client, services, user)


async def load(services: Services, agreement_id: int) -> tuple[Agreement, list[AgreementVersion],
                                                               list[AgreementSignature]]:
    async with services.db.reader() as uow:
        s = uow.session
        agreement = await s.get(Agreement, agreement_id)
        assert agreement is not None
        versions = list((await s.execute(select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement_id).order_by(AgreementVersion.number)))
            .scalars())
        signatures = list((await s.execute(select(AgreementSignature).where(
            AgreementSignature.agreement_id == agreement_id).order_by(AgreementSignature.id)))
            .scalars())
    return agreement, versions, signatures


async def timeline_kinds(services: Services, case_id: int) -> list[str]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(select(CaseEvent.kind).where(
            CaseEvent.case_id == case_id).order_by(CaseEvent.id))).scalars())
