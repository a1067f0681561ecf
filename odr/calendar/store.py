"""The rest-day calendar in force: the bundled years merged with the years an admin loaded.

Bundled years (``odr/calendar/data/*.json``) are always known, even on a
fresh database; a year loaded with ``odr calendar load`` (rows in
``calendar_years``/``calendar_days``) replaces the bundled arrangement of
that year. Each process caches the merged calendar per database and checks a
one-row fingerprint of the calendar tables on every read, so a year loaded by
another process (the CLI) is seen on the next read; ``invalidate_calendar_cache``
drops the cache at once in the loading process.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from odr.audit.chain import record
from odr.calendar.arrangement import HolidayRange, YearArrangement, parse_arrangement
from odr.calendar.models import CalendarDay, CalendarYear
from odr.calendar.periods import HOLIDAY, WORKDAY, RestCalendar
from odr.clock import Clock
from odr.db.uow import UnitOfWork


@functools.cache
def bundled_years() -> dict[int, YearArrangement]:
    """The arrangements shipped with odr, by year (validated like a loaded file)."""
    out: dict[int, YearArrangement] = {}
    for entry in resources.files("odr.calendar").joinpath("data").iterdir():
        if entry.name.endswith(".json"):
            arrangement = parse_arrangement(json.loads(entry.read_text("utf-8")))
            out[arrangement.year] = arrangement
    return out


Fingerprint = tuple[Any, ...]
_cache: dict[str, tuple[Fingerprint, RestCalendar]] = {}


def invalidate_calendar_cache() -> None:
    """Forget every cached calendar (called when a year is loaded)."""
    _cache.clear()


async def _fingerprint(session: AsyncSession) -> Fingerprint:
    years = select(func.count()).select_from(CalendarYear).scalar_subquery()
    latest = select(func.max(CalendarYear.loaded_at)).scalar_subquery()
    days = select(func.count()).select_from(CalendarDay).scalar_subquery()
    row = (await session.execute(select(years, latest, days))).one()
    return tuple(row)


async def load_rest_calendar(session: AsyncSession) -> RestCalendar:
    """The calendar in force: bundled years, overridden per year by loaded ones (cached)."""
    bind = session.bind
    key = "" if bind is None else str(bind.engine.url if isinstance(bind, AsyncConnection) else bind.url)
    fingerprint = await _fingerprint(session)
    cached = _cache.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    loaded_years = set((await session.execute(select(CalendarYear.year))).scalars())
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.kind))).all()
    days: list[tuple[date, str]] = [(d, k) for d, k in rows if d.year in loaded_years]
    for year, arrangement in bundled_years().items():
        if year not in loaded_years:
            days += [(d, kind) for d, kind, _name in arrangement.days()]
    calendar = RestCalendar.from_days(days, loaded_years | set(bundled_years()))
    _cache[key] = (fingerprint, calendar)
    return calendar


@dataclass(frozen=True)
class YearView:
    """One year as the calendar API shows it."""

    year: int
    loaded: bool  # an arrangement is known (bundled or loaded); False: weekends only
    origin: str | None  # "loaded" (an admin loaded it), "bundled", or None
    arrangement: YearArrangement | None
    loaded_at: Any = None


async def year_view(session: AsyncSession, year: int) -> YearView:
    """The arrangement of ``year`` in force, and where it comes from."""
    stored = await session.get(CalendarYear, year)
    if stored is not None:
        rows = (
            await session.execute(
                select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
                .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
                .order_by(CalendarDay.day)
            )
        ).all()
        arrangement = _from_rows(year, stored.source, rows)
        return YearView(year, True, "loaded", arrangement, stored.loaded_at)
    bundled = bundled_years().get(year)
    if bundled is not None:
        return YearView(year, True, "bundled", bundled)
    return YearView(year, False, None, None)


def _from_rows(year: int, source: str, rows: Any) -> YearArrangement:
    """Rebuild the ranges of holidays from day rows (consecutive days of one name)."""
    ranges: list[HolidayRange] = []
    makeup: list[date] = []
    for day, kind, name in rows:
        if kind == WORKDAY:
            makeup.append(day)
        elif kind == HOLIDAY:
            last = ranges[-1] if ranges else None
            if last is not None and last.name == name and (day - last.end).days == 1:
                ranges[-1] = HolidayRange(name, last.start, day)
            else:
                ranges.append(HolidayRange(name, day, day))
    return YearArrangement(year, source, tuple(ranges), tuple(makeup))


async def store_year(
    uow: UnitOfWork,
    clock: Clock,
    arrangement: YearArrangement,
    *,
    source_file: str = "",
    actor_id: int | None = None,
    actor_label: str = "",
) -> int:
    """Replace ``arrangement.year``'s rows with ``arrangement`` and audit it; returns days stored."""
    year = arrangement.year
    session = uow.session
    replaced = await session.get(CalendarYear, year)
    await session.execute(
        delete(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    )
    if replaced is not None:
        await session.delete(replaced)
        await session.flush()
    session.add(CalendarYear(year=year, source=arrangement.source[:500], loaded_at=clock.now()))
    days = arrangement.days()
    session.add_all(CalendarDay(day=d, kind=kind, name=name[:100]) for d, kind, name in days)
    await session.flush()
    await record(
        uow, clock, action="calendar.load", actor_id=actor_id, actor_label=actor_label,
        subject_type="calendar_year", subject_id=year,
        data={
            "year": year, "source": arrangement.source, "file": source_file,
            "holidays": sum(1 for _d, k, _n in days if k == HOLIDAY),
            "makeup_workdays": len(arrangement.makeup_workdays),
            "replaced": replaced is not None,
        },
    )
    uow.after_commit(invalidate_calendar_cache)
    return len(days)
