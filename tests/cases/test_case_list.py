"""My cases: each entry's nearest open deadline; the case page marks the viewer's own parties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from odr.cases.models import Deadline
from odr.services import Services
from tests.cases.messages.support import add_agent, make_world, party_of
from tests.factories import make_case, make_user, sign_in


async def add_deadline(services: Services, case_id: int, kind: str, days: int, *,
                       status: str = "open", provisional: bool = False,
                       subject_type: str | None = None) -> datetime:
    now = services.clock.now()
    due = now + timedelta(days=days)
    async with services.db.uow() as uow:
        uow.session.add(Deadline(
            case_id=case_id, kind=kind, subject_type=subject_type, rule="L13", length_days=days,
            working_days=False, starts_at=now, due_at=due, last_day=due.date(),
            provisional=provisional, status=status, created_at=now,
        ))
    return due


async def test_each_case_in_my_list_shows_its_nearest_open_deadline(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    calm = await make_case(services, applicant=world.applicant, status="accepted",
                           institution_id=world.institution_id)
    await add_deadline(services, world.case.id, "mediation_period", 30)
    nearest = await add_deadline(services, world.case.id, "respondent_reply", 9, provisional=True)
    await add_deadline(services, world.case.id, "choose_mediator", 2, status="met")
    await add_deadline(services, world.case.id, "mediation_period", 1, status="paused")
    # A thread's reply clock belongs to the thread's readers (L11): never in the list.
    await add_deadline(services, world.case.id, "message_reply", 1, subject_type="thread")

    await sign_in(client, services, world.applicant)
    response = await client.get("/api/v1/cases")
    assert response.status_code == 200, response.text
    by_id = {c["id"]: c for c in response.json()["items"]}
    shown = by_id[world.case.id]["next_deadline"]
    assert shown == {"kind": "respondent_reply", "rule": "L13",
                     "due_at": nearest.isoformat().replace("+00:00", "Z"),
                     "last_day": nearest.date().isoformat(), "provisional": True}
    assert by_id[calm.id]["next_deadline"] is None
    date.fromisoformat(shown["last_day"])  # a plain local date


async def test_the_case_page_marks_the_parties_the_viewer_stands_for(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    agent = await make_user(services, "agent", password=None)
    await add_agent(services, world.case.id, world.respondent, agent)
    applicant = await party_of(services, world.case.id, world.applicant)
    respondent = await party_of(services, world.case.id, world.respondent)
    for user, mine in ((world.applicant, {applicant.id}), (world.respondent, {respondent.id}),
                       (agent, {respondent.id}), (world.mediator, set()), (world.admin, set())):
        await sign_in(client, services, user)
        detail = await client.get(f"/api/v1/cases/{world.case.id}")
        assert detail.status_code == 200, (user.role, detail.text)
        assert {p["id"] for p in detail.json()["parties"] if p["mine"]} == mine, user.role
