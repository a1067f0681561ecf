"""Counting legal periods (L36), pure: no database, no clock.

A period of N days starts the day after the event; when its last day is a
rest day (a holiday, or a weekend day that is not a make-up working day) it
ends on the next working day. A period of N working days skips rest days and
counts make-up days. Every deadline ends at 24:00 Asia/Shanghai of its last
day, i.e. 00:00 local of the following day. A period that touches a year with
no loaded arrangement is computed on weekends alone and marked provisional.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from odr.clock import SHANGHAI, to_local

HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class RestCalendar:
    """The loaded arrangement: holidays, make-up working days, and which years are known."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_days(cls, days: Iterable[tuple[date, str]], years: Iterable[int]) -> RestCalendar:
        holidays = {d for d, kind in days if kind == HOLIDAY}
        makeup = {d for d, kind in days if kind == WORKDAY}
        return cls(frozenset(holidays), frozenset(makeup), frozenset(years))

    def knows(self, day: date) -> bool:
        return day.year in self.years

    def is_rest_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return False
        if day in self.holidays:
            return True
        return day.weekday() >= 5


@dataclass(frozen=True)
class Due:
    """When a period ends: its last local day, the UTC instant it closes, and whether it is sure."""

    last_day: date
    due_at: datetime
    provisional: bool


def end_of_day(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day`` as an aware UTC datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def _next_working_day(calendar: RestCalendar, day: date, seen: set[int]) -> date:
    while calendar.is_rest_day(day):
        seen.add(day.year)
        day += timedelta(days=1)
    seen.add(day.year)
    return day


def days_after(calendar: RestCalendar, event_day: date, days: int) -> Due:
    """A period of ``days`` calendar days after ``event_day`` (CPL 85, INT 125)."""
    if days < 1:
        raise ValueError("a period is at least one day")
    last = event_day + timedelta(days=days)
    seen = {last.year}
    last = _next_working_day(calendar, last, seen)
    return Due(last, end_of_day(last), not all(calendar.knows(date(y, 1, 1)) for y in seen))


def working_days_after(calendar: RestCalendar, event_day: date, days: int) -> Due:
    """A period of ``days`` working days after ``event_day`` (OMR 10, 12, 15)."""
    if days < 1:
        raise ValueError("a period is at least one day")
    day = event_day
    seen: set[int] = set()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        seen.add(day.year)
        if not calendar.is_rest_day(day):
            counted += 1
    return Due(day, end_of_day(day), not all(calendar.knows(date(y, 1, 1)) for y in seen))


def period_after(calendar: RestCalendar, event: datetime, days: int, *, working: bool) -> Due:
    """The period of ``days`` (working) days after the event at ``event`` (UTC), in local time."""
    day = local_day(event)
    return working_days_after(calendar, day, days) if working else days_after(calendar, day, days)
