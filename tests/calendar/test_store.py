"""The calendar in force: bundled years on a fresh database, loaded years, the public API."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.calendar.arrangement import parse_arrangement
from odr.calendar.models import CalendarDay, CalendarYear
from odr.calendar.store import load_rest_calendar, store_year
from odr.services import Services
from tests.calendar.test_arrangement import VALID_2027


async def test_a_fresh_database_knows_the_bundled_year_L36(services: Services) -> None:
    async with services.db.reader() as uow:
        cal = await load_rest_calendar(uow.session)
        assert not (await uow.session.execute(select(CalendarYear))).first()  # nothing loaded
    assert cal.knows(date(2026, 6, 1)) and not cal.knows(date(2027, 1, 1))
    assert cal.is_rest_day(date(2026, 2, 16)) and not cal.is_rest_day(date(2026, 2, 14))


async def test_loading_a_year_stores_it_audits_it_and_is_seen_at_once_L36(
    services: Services,
) -> None:
    async with services.db.reader() as uow:
        before = await load_rest_calendar(uow.session)
    assert not before.knows(date(2027, 2, 8))
    async with services.db.uow() as uow:
        stored = await store_year(uow, services.clock, parse_arrangement(VALID_2027),
                                  source_file="cn-2027.json", actor_label="test")
    assert stored == 13
    async with services.db.reader() as uow:
        after = await load_rest_calendar(uow.session)
        audit = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "calendar.load"))).scalars().all()
    assert after.knows(date(2027, 2, 8)) and after.is_rest_day(date(2027, 2, 8))
    assert not after.is_rest_day(date(2027, 2, 20))  # the make-up Saturday
    assert after.is_rest_day(date(2026, 2, 16))  # the bundled year is still there
    assert [a.data["year"] for a in audit] == [2027]


async def test_reloading_a_year_replaces_it_even_a_bundled_one_L36(services: Services) -> None:
    changed = {
        "year": 2026, "source": "corrected arrangement (test)",
        "holidays": [{"name": "春节", "from": "2026-02-16", "to": "2026-02-20"}],
        "makeup_workdays": [],
    }
    for _ in range(2):  # twice: the second load replaces the first
        async with services.db.uow() as uow:
            await store_year(uow, services.clock, parse_arrangement(changed))
    async with services.db.reader() as uow:
        cal = await load_rest_calendar(uow.session)
        rows = (await uow.session.execute(select(CalendarDay))).scalars().all()
    assert len(rows) == 5
    assert not cal.is_rest_day(date(2026, 10, 1))  # National Day is not in this version
    assert cal.is_rest_day(date(2026, 2, 14))  # no longer a make-up day: a plain Saturday


async def test_rows_written_by_another_process_are_seen_without_restart_L36(
    services: Services,
) -> None:
    async with services.db.reader() as uow:
        await load_rest_calendar(uow.session)  # cached now
    async with services.db.uow() as uow:  # as the CLI would, but with no in-process invalidation
        uow.session.add(CalendarYear(year=2028, source="test", loaded_at=services.clock.now()))
        uow.session.add(CalendarDay(day=date(2028, 1, 3), kind="holiday", name="test"))
    async with services.db.reader() as uow:
        cal = await load_rest_calendar(uow.session)
    assert cal.knows(date(2028, 1, 3)) and cal.is_rest_day(date(2028, 1, 3))


async def test_calendar_api_shows_bundled_unknown_and_loaded_years_L36(
    client: httpx.AsyncClient, services: Services
) -> None:
    known = (await client.get("/api/v1/calendar/2026")).json()
    assert known["loaded"] is True and known["origin"] == "bundled"
    assert {"name": "春节 Spring Festival", "from": "2026-02-15", "to": "2026-02-23"} in known["holidays"]
    assert "2026-10-10" in known["makeup_workdays"]

    unknown = await client.get("/api/v1/calendar/2027")
    assert unknown.status_code == 200
    assert unknown.json()["loaded"] is False and unknown.json()["holidays"] == []

    async with services.db.uow() as uow:
        await store_year(uow, services.clock, parse_arrangement(VALID_2027))
    loaded = (await client.get("/api/v1/calendar/2027")).json()
    assert loaded["loaded"] is True and loaded["origin"] == "loaded"
    assert loaded["holidays"][1] == {"name": "春节", "from": "2027-02-06", "to": "2027-02-14"}
    assert loaded["makeup_workdays"] == ["2027-02-20"]
    assert (await client.get("/api/v1/calendar/1800")).status_code == 404
