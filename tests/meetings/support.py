"""Cases, meetings and helpers the meetings tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.audit.models import AuditEntry
from odr.cases.models import CaseParty, Consent
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import make_case, make_user, seeded_orgs, sign_in


@dataclass
class World:
    """A case in mediation: applicant, respondent, their mediator; outsiders to compare."""

    case: Any
    applicant: User
    respondent: User
    mediator: User
    admin: User  # institution admin of the case's institution
    outsider: User  # a party of another case
    other_mediator: User  # a mediator of the same institution, not assigned
    court_id: int
    institution_id: int


async def confirm_addresses(services: Services, case_id: int, *users: User) -> None:
    """The address-confirmation form answered for each user's party (L9), as eservice stores it."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        for user in users:
            party = (await uow.session.execute(select(CaseParty).where(
                CaseParty.case_id == case_id, CaseParty.user_id == user.id))).scalar_one()
            uow.session.add(Consent(case_id=case_id, party_id=party.id, stage="electronic_service",
                                    decision="agree", channel="web", by_user_id=user.id, at=now))


async def world(services: Services, *, channel: str = "self_filed", status: str = "in_mediation",
                confirmed: bool = True) -> World:
    courts, institutions = await seeded_orgs(services)
    inst, court = institutions[0], courts[0]
    applicant = await make_user(services, "party", password=None)
    respondent = await make_user(services, "party", password=None)
    mediator = await make_user(services, "mediator", password=None, institution_id=inst)
    other_mediator = await make_user(services, "mediator", password=None, institution_id=inst)
    admin = await make_user(services, "institution_admin", password=None, institution_id=inst)
    outsider = await make_user(services, "party", password=None)
    other_respondent = await make_user(services, "party", password=None)
    await make_case(services, applicant=outsider, respondent=other_respondent,
                    status="in_mediation", institution_id=inst, mediator=other_mediator)
    case = await make_case(services, applicant=applicant, respondent=respondent, status=status,
                           channel=channel, institution_id=inst, court_id=court,
                           mediator=mediator)
    if confirmed:
        await confirm_addresses(services, case.id, applicant, respondent)
    return World(case, applicant, respondent, mediator, admin, outsider, other_mediator, court,
                 inst)


async def as_user(client: httpx.AsyncClient, services: Services, user: User) -> httpx.AsyncClient:
    client.cookies.clear()
    await sign_in(client, services, user)
    return client


def times(services: Services, *, starts_in: timedelta = timedelta(days=2),
          length: timedelta = timedelta(hours=2)) -> dict[str, str]:
    start: datetime = services.clock.now() + starts_in
    return {"starts_at": start.isoformat(), "ends_at": (start + length).isoformat()}


def schedule_body(services: Services, **kw: Any) -> dict[str, Any]:
    return {"kind": "mediation", "title": "第一次调解", **times(services), **kw}


async def notices(services: Services, template: str) -> list[dict[str, Any]]:
    """Payloads of queued notifications of ``template``, oldest first."""
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == NOTIFY_KIND)
            .order_by(OutboxMessage.id)
        )).scalars().all()
    return [p for p in rows if p.get("template") == template]


async def recipients(services: Services, template: str, channel: str = "inapp") -> set[int]:
    return {p["user_id"] for p in await notices(services, template) if p["channel"] == channel}


async def last_code(services: Services, mobile: str) -> str:
    """The code of the latest room-entry SMS to ``mobile``."""
    sent = [p for p in await notices(services, "otp_code")
            if p["recipient"] == mobile and p["context"]["purpose"] == "room_entry"]
    assert sent, f"no room entry code sent to {mobile}"
    return str(sent[-1]["context"]["code"])


async def audit_actions(services: Services, prefix: str = "meeting.") -> list[str]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(AuditEntry.action).order_by(AuditEntry.seq))).scalars().all()
    return [a for a in rows if a.startswith(prefix)]
