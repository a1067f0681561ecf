"""The case timeline: participants and staff, staff events hidden from parties, paged by id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from odr.cases.models import Case, EventVisibility
from odr.cases.progress.timeline import TimelinePage
from odr.cases.transitions import Who, add_event
from odr.services import Services
from tests.cases.messages.support import add_agent, make_world
from tests.factories import make_user, sign_in


async def add_events(services: Services, case_id: int, n: int, *, staff_every: int = 0) -> None:
    async with services.db.uow() as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        for i in range(n):
            staff = staff_every and i % staff_every == staff_every - 1
            await add_event(
                uow, services, case, "consent_recorded" if not staff else "deadline_reminded",
                Who.system("test"), data={"i": i}, audit=False,
                visibility=EventVisibility.STAFF if staff else EventVisibility.ALL,
            )


async def page(client: httpx.AsyncClient, case_id: int, **params: Any) -> httpx.Response:
    return await client.get(f"/api/v1/cases/{case_id}/timeline", params=params)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_parties_see_events_for_all_and_staff_see_every_event(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await add_events(services, world.case.id, 9, staff_every=3)
    await sign_in(client, services, world.applicant)
    mine = (await page(client, world.case.id)).json()
    TimelinePage.model_validate(mine)  # the documented response model
    assert [e["data"]["i"] for e in mine["items"]] == [0, 1, 3, 4, 6, 7]
    assert {e["visibility"] for e in mine["items"]} == {"all"}
    item = mine["items"][0]
    assert set(item) == {"id", "at", "kind", "label_zh", "label_en", "actor_label", "visibility",
                         "data"}
    assert (item["label_zh"], item["label_en"]) == ("记录当事人意愿", "Consent recorded")
    assert item["actor_label"] == "test"
    assert mine["next_after_id"] is None
    for staff in (world.mediator, world.admin, world.judge, world.clerk):
        await sign_in(client, services, staff)
        seen = (await page(client, world.case.id)).json()["items"]
        assert [e["data"]["i"] for e in seen] == list(range(9)), staff.role


async def test_pages_follow_the_id_order(services: Services, client: httpx.AsyncClient) -> None:
    world = await make_world(services)
    await add_events(services, world.case.id, 25)
    await sign_in(client, services, world.respondent)
    got: list[int] = []
    after = 0
    pages = 0
    while True:
        body = (await page(client, world.case.id, after_id=after, limit=10)).json()
        got += [e["data"]["i"] for e in body["items"]]
        pages += 1
        if body["next_after_id"] is None:
            break
        after = body["next_after_id"]
    assert got == list(range(25)) and pages == 3
    for bad in ({"limit": 0}, {"limit": 501}, {"after_id": -1}, {"limit": "x"}, {"x": 1}):
        assert (await page(client, world.case.id, **bad)).status_code == 422


async def test_the_timeline_reads_in_a_constant_number_of_queries(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await add_events(services, world.case.id, 5)
    await add_events(services, world.other_case.id, 300)
    await sign_in(client, services, world.admin)
    counts = []
    for case_id in (world.case.id, world.other_case.id):
        with statements(services) as seen:
            response = await page(client, case_id, limit=500)
        assert response.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1]
    assert len((await page(client, world.other_case.id, limit=500)).json()["items"]) == 300


async def test_only_participants_and_the_cases_staff_read_the_timeline_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await add_events(services, world.case.id, 2)
    agent = await make_user(services, "agent", password=None)
    reader = await make_user(services, "agent", password=None)
    await add_agent(services, world.case.id, world.applicant, agent)
    await add_agent(services, world.case.id, world.applicant, reader, scopes=("read_file",))
    unverified = await make_user(services, "party", password=None, identity_level="none")
    allowed = (world.applicant, world.respondent, agent, world.mediator, world.admin,
               world.judge, world.clerk)
    refused = (world.outsider, world.other_mediator, world.other_admin, world.other_judge,
               reader, unverified)
    for user in allowed:
        await sign_in(client, services, user)
        assert (await page(client, world.case.id)).status_code == 200, user.username
    for user in refused:
        await sign_in(client, services, user)
        assert (await page(client, world.case.id)).status_code == 403, user.username
    client.cookies.clear()
    assert (await page(client, world.case.id)).status_code == 401
    await sign_in(client, services, world.applicant)
    assert (await page(client, 999_999)).status_code == 404


