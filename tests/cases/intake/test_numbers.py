"""Case numbers: unique, readable, per scope (institution, else court, else platform) and local year."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from odr.cases.intake.numbers import allocate_case_number, format_number, number_scope
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.intake.support import application, file, institution, person_of
from tests.factories import make_user, seeded_orgs, sign_in


def test_scope_is_institution_else_court_else_platform() -> None:
    assert number_scope("SFCDMC", "SHJRFY") == "SFCDMC"
    assert number_scope(None, "SHJRFY") == "SHJRFY"
    assert number_scope(None, None) == "ODR"
    assert format_number("SFCDMC", 2026, 12) == "SFCDMC-2026-00012"
    assert format_number("ODR", 2026, 123456) == "ODR-2026-123456"


async def _allocate(services: Services, scope: str) -> str:
    async with services.db.uow() as uow:
        return await allocate_case_number(uow, scope, services.clock.now())


async def test_numbers_count_per_scope_and_year(services: Services, clock: ManualClock) -> None:
    got = [await _allocate(services, s) for s in ("SFCDMC", "SFCDMC", "SHJRFY", "SFCDMC")]
    clock.set(datetime(2027, 3, 1, tzinfo=UTC))
    got.append(await _allocate(services, "SFCDMC"))

    assert got == ["SFCDMC-2026-00001", "SFCDMC-2026-00002", "SHJRFY-2026-00001",
                   "SFCDMC-2026-00003", "SFCDMC-2027-00001"]


async def test_the_year_is_the_shanghai_year(services: Services, clock: ManualClock) -> None:
    clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    before = await _allocate(services, "ODR")
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January in Shanghai
    after = await _allocate(services, "ODR")

    assert (before, after) == ("ODR-2026-00001", "ODR-2027-00001")


async def test_a_rolled_back_filing_leaves_no_gap(services: Services) -> None:
    with pytest.raises(RuntimeError):
        async with services.db.uow() as uow:
            await allocate_case_number(uow, "ODR", services.clock.now())
            raise RuntimeError("the filing failed after its number was drawn")

    assert await _allocate(services, "ODR") == "ODR-2026-00001"


async def test_concurrent_filings_get_distinct_consecutive_numbers(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    preferred = await institution(services, "SFCDMC")
    clients = []
    for _ in range(8):
        user = await make_user(services, "party", password=None)
        own = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await sign_in(own, services, user)
        clients.append((own, application(person_of(services, user),
                                         preferred_institution_id=preferred)))
    try:
        answers = await asyncio.gather(*(file(c, body) for c, body in clients))
    finally:
        for c, _ in clients:
            await c.aclose()

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == [f"SFCDMC-2026-{i:05d}" for i in range(1, 9)]


async def test_a_self_filed_case_without_preference_is_numbered_by_the_platform(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)

    response = await file(client, application(person_of(services, user)))

    assert response.json()["number"] == "ODR-2026-00001"
