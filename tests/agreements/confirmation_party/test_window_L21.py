"""L21: within 30 days of the agreement taking effect, counted by L36 (the day after the
effective day is day 1; a last day on a rest day moves to the next working day; 24:00)."""

from __future__ import annotations

from datetime import UTC, date

import httpx
from sqlalchemy import select

from agreements.models import ConfirmationApplication, ConfirmationJoin
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.cases.models import Deadline
from odr.clock import ManualClock
from odr.services import Services
from tests.agreements.confirmation_party.support import (
    as_user,
    case_row,
    effective_world,
    event_kinds,
    local,
)


async def _window(services: Services, case_id: int) -> Deadline:
    async with services.db.reader() as uow:
        return (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == case_id, Deadline.kind == "confirmation_window"))).scalar_one()


async def test_window_opens_when_the_agreement_takes_effect_L21(services: Services) -> None:
    # The clock starts on Monday 2 November 2026, 09:00 in Shanghai.
    world = await effective_world(services)
    window = await _window(services, world.case_id)
    assert window.rule == "L21" and window.length_days == 30 and not window.working_days
    assert (window.subject_type, window.subject_id) == ("agreement", world.agreement.id)
    assert window.last_day == date(2026, 12, 2)  # day 1 is 3 November (L36)
    assert window.status == "open"


async def test_day_30_is_accepted_L21(
    services: Services, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    clock.set(local(2026, 12, 2, 23, 59).astimezone(UTC))  # the last minute of day 30
    await as_user(client, services, world.respondent)
    joined = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert joined.status_code == 200, joined.text
    assert joined.json()["status"] == "applied"


async def test_day_31_is_refused_and_nothing_changes_L21(
    services: Services, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    clock.set(local(2026, 12, 3, 0, 1).astimezone(UTC))  # day 31
    await as_user(client, services, world.respondent)
    late = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "window_closed"
    assert late.json()["error"]["details"]["rule"] == "L21"
    async with services.db.reader() as uow:
        row = await uow.session.get(ConfirmationApplication, app["id"])
        joins = (await uow.session.execute(select(ConfirmationJoin))).scalars().all()
    assert row is not None and row.status == "gathering" and len(joins) == 1
    assert (await case_row(services, world.case_id)).status == "agreement_effective"
    # The courts page says why; a fresh start is refused too.
    courts = (await client.get(world.courts_url)).json()
    assert courts["refusal"]["code"] == "window_closed" and courts["courts"] == []
    assert courts["window"]["open"] is False


async def test_start_after_the_window_is_refused_L21(
    services: Services, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    clock.set(local(2026, 12, 3, 8, 0).astimezone(UTC))
    await as_user(client, services, world.applicant)
    late = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert late.status_code == 409 and late.json()["error"]["code"] == "window_closed"
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(ConfirmationApplication))).first() is None


async def test_window_ending_on_a_holiday_moves_to_the_next_working_day_L21_L36(
    services: Services, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    """Effective 5 September 2026: day 30 is 5 October, inside the National Day holiday
    (1-7 October), so the window ends at 24:00 on Thursday 8 October."""
    clock.set(local(2026, 9, 5, 15, 0).astimezone(UTC))
    world = await effective_world(services)
    window = await _window(services, world.case_id)
    assert window.last_day == date(2026, 10, 8)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    clock.set(local(2026, 10, 8, 20, 0).astimezone(UTC))
    await as_user(client, services, world.respondent)
    joined = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert joined.status_code == 200, joined.text


async def test_reminder_then_an_unjoined_application_lapses_L21(
    services: Services, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()

    clock.set(local(2026, 12, 1, 9, 0).astimezone(UTC))  # the working day before the last day
    stats = await sweep_deadlines(services)
    assert stats.reminded >= 1
    window = await _window(services, world.case_id)
    assert window.reminded_at is not None

    clock.set(local(2026, 12, 3, 0, 5).astimezone(UTC))
    await sweep_deadlines(services)
    window = await _window(services, world.case_id)
    assert window.status == "missed"
    await as_user(client, services, world.applicant)  # a month later: a fresh session
    read = await client.get(f"/api/v1/confirmation-applications/{app['id']}")
    assert read.status_code == 200
    assert read.json()["status"] == "lapsed" and read.json()["closed_at"] is not None
    assert "confirmation_lapsed" in await event_kinds(services, world.case_id)
    assert (await case_row(services, world.case_id)).status == "agreement_effective"
