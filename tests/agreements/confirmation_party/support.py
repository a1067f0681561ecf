"""A case whose agreement took effect through the real transition (the L21 window opens),
with the seeded courts and institutions, and the people who apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from agreements.models import Agreement
from agreements.signing.effect import make_effective
from odr.accounts.models import User
from odr.cases.documents.service import add_document
from odr.cases.models import AgentAuthorization, Case, CaseEvent, CaseParticipant, CaseParty
from odr.cases.transitions import Who, load_case_for_update
from odr.orgs.models import Court, Institution
from odr.services import Services
from tests.factories import make_agreement, make_case, make_user, seeded_orgs, sign_in

HUANGPU = "上海市黄浦区南京东路100号"
HONGKOU = "上海市虹口区四川北路200号"
PUDONG = "上海市浦东新区世纪大道300号"


async def org_ids(services: Services) -> tuple[dict[str, int], dict[str, int]]:
    """Seed the registry; court and institution ids by code."""
    await seeded_orgs(services)
    async with services.db.reader() as uow:
        courts = dict((await uow.session.execute(select(Court.code, Court.id))).tuples().all())
        insts = dict((await uow.session.execute(
            select(Institution.code, Institution.id))).tuples().all())
    return courts, insts


@dataclass
class World:
    case: Any
    agreement: Any
    applicant: User
    respondent: User
    mediator: User
    courts: dict[str, int]
    institutions: dict[str, int]
    party_ids: dict[str, int]  # side -> CaseParty id
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def case_id(self) -> int:
        return int(self.case.id)

    @property
    def courts_url(self) -> str:
        return f"/api/v1/cases/{self.case_id}/confirmation/courts"

    @property
    def apply_url(self) -> str:
        return f"/api/v1/cases/{self.case_id}/confirmation-applications"

    def body(self, court: str, **more: Any) -> dict[str, Any]:
        return {"agreement_id": self.agreement.id, "court_id": self.courts[court],
                "subject_kind": "debt", **more}


async def effective_world(
    services: Services,
    *,
    channel: str = "self_filed",
    institution: str | None = "SCMC",  # 上海经贸商事调解中心, 黄浦区
    court: str | None = None,  # the case's (referring) court
    category: str = "financial_consumer",
    claim_amount_fen: int = 1_000_000,
    applicant_address: str = HUANGPU,
    respondent_address: str = HONGKOU,
    content: Any | None = None,
    take_effect: bool = True,
) -> World:
    """A case in mediation whose agreement takes effect now through ``make_effective``."""
    courts, insts = await org_ids(services)
    institution_id = insts[institution] if institution else None
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", institution_id=institution_id, password=None)
    case = await make_case(
        services, applicant=applicant, respondent=respondent, mediator=mediator,
        status="in_mediation", channel=channel, category=category,
        institution_id=institution_id, court_id=courts[court] if court else None,
        claim_amount_fen=claim_amount_fen,
    )
    async with services.db.uow() as uow:
        parties = (await uow.session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id))).scalars().all()
        for party in parties:
            party.address = applicant_address if party.side == "applicant" else respondent_address
        party_ids = {p.side: p.id for p in parties}
    agreement = await make_agreement(services, case, author=mediator, content=content,
                                     status="signing")
    if take_effect:
        await take_effect_now(services, case.id, agreement.id)
    return World(case, agreement, applicant, respondent, mediator, courts, insts, party_ids)


async def take_effect_now(services: Services, case_id: int, agreement_id: int) -> None:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None
        await make_effective(uow, services, case, agreement, Who.system("test"))


async def store_agreement_pdf(services: Services, world: World) -> int:
    """What the finish_pdf worker does, minus rendering: the agreement PDF as a case document."""
    async with services.db.uow() as uow:
        case = await uow.session.get(Case, world.case_id)
        agreement = await uow.session.get(Agreement, world.agreement.id)
        assert case is not None and agreement is not None
        document = await add_document(
            uow, services, case, title="调解协议书", kind="agreement", filename="agreement.pdf",
            data=b"%PDF-1.7\n% test agreement\n", content_type="application/pdf",
        )
        agreement.pdf_document_id = document.id
        agreement.pdf_state = "stored"
        return document.id


async def add_case_document(
    services: Services, case_id: int, *, kind: str = "evidence", side: str | None = "applicant",
    confidential: bool = False, visibility: str = "all", by: User | None = None,
) -> int:
    async with services.db.uow() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        document = await add_document(
            uow, services, case, title=f"{kind} material", kind=kind, filename=f"{kind}.pdf",
            data=b"%PDF-1.7\n% material\n", content_type="application/pdf", side=side,
            confidential=confidential, visibility=visibility,
            who=Who(by.id, "party") if by else None,
        )
        return document.id


async def make_agent(
    services: Services, case_id: int, party_id: int, scopes: list[str], *,
    revoked: bool = False,
) -> User:
    """An agent of ``party_id`` under an authorization with ``scopes``."""
    agent = await make_user(services, "agent", password=None)
    now = services.clock.now()
    async with services.db.uow() as uow:
        uow.session.add(AgentAuthorization(
            case_id=case_id, party_id=party_id, agent_user_id=agent.id, scopes=scopes,
            valid_from=now, created_at=now, revoked_at=now if revoked else None,
        ))
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent.id, role="agent", party_id=party_id, created_at=now,
            ends_at=now if revoked else None,
        ))
    return agent


async def as_user(client: httpx.AsyncClient, services: Services, user: User) -> httpx.AsyncClient:
    client.cookies.clear()
    await sign_in(client, services, user)
    return client


async def case_row(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        return case


async def event_kinds(services: Services, case_id: int) -> list[str]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )).scalars())


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given in Asia/Shanghai local time."""
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
