"""A court with judges and a clerk, and an application every party joined (status applied)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from agreements.models import ConfirmationApplication
from odr.accounts.models import User
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.cases.models import Case, CaseEvent, Deadline
from odr.services import Services
from tests.factories import (
    MadeApplication,
    make_confirmation_application,
    make_user,
    seeded_orgs,
    sign_in,
)


@dataclass
class Court:
    court_id: int
    other_court_id: int
    judge: User  # the one designated
    judge2: User  # approves the extension (the president)
    clerk: User
    other_judge: User  # a judge of another court
    applicant: User
    respondent: User
    mediator: User
    institution_id: int
    made: MadeApplication

    @property
    def cid(self) -> int:
        return self.made.id

    @property
    def base(self) -> str:
        return f"/api/v1/confirmation-applications/{self.cid}"


async def court_world(services: Services, **kwargs: Any) -> Court:
    courts, institutions = await seeded_orgs(services)
    court_id, other = courts[0], courts[1]
    inst = institutions[0]
    judge = await make_user(services, "judge", court_id=court_id)
    judge2 = await make_user(services, "judge", court_id=court_id)
    clerk = await make_user(services, "clerk", court_id=court_id)
    other_judge = await make_user(services, "judge", court_id=other)
    applicant = await make_user(services, "party")
    respondent = await make_user(services, "party")
    mediator = await make_user(services, "mediator", institution_id=inst)
    made = await make_confirmation_application(
        services, court_id=court_id, applicant=applicant, respondent=respondent,
        mediator=mediator, institution_id=inst, **kwargs,
    )
    return Court(court_id, other, judge, judge2, clerk, other_judge, applicant, respondent,
                 mediator, inst, made)


async def as_user(client: httpx.AsyncClient, services: Services, user: User) -> None:
    client.cookies.clear()
    await sign_in(client, services, user)


async def application(services: Services, cid: int) -> ConfirmationApplication:
    async with services.db.reader() as uow:
        row = await uow.session.get(ConfirmationApplication, cid)
        assert row is not None
        return row


async def case_of(services: Services, case_id: int) -> Case:
    async with services.db.reader() as uow:
        row = await uow.session.get(Case, case_id)
        assert row is not None
        return row


async def deadlines(services: Services, case_id: int, kind: str) -> list[Deadline]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == kind)
            .order_by(Deadline.id)
        )).scalars())


async def events(services: Services, case_id: int, kind: str) -> list[CaseEvent]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        )).scalars())


async def sweep(services: Services) -> None:
    await sweep_deadlines(services)
