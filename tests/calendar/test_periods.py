"""L36 period arithmetic on the official 2026 arrangement: pure, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from odr.calendar.periods import (
    RestCalendar,
    days_after,
    end_of_day,
    period_after,
    working_days_after,
)
from odr.calendar.store import bundled_years


@pytest.fixture(scope="module")
def cal() -> RestCalendar:
    """The bundled 2026 arrangement, as the platform uses it on a fresh database."""
    y2026 = bundled_years()[2026]
    return RestCalendar.from_days([(d, k) for d, k, _ in y2026.days()], {2026})


def test_the_2026_arrangement_is_bundled_with_its_makeup_days_L36(cal: RestCalendar) -> None:
    assert all(cal.is_rest_day(date(2026, 2, d)) for d in range(15, 24))
    assert not cal.is_rest_day(date(2026, 2, 14)) and not cal.is_rest_day(date(2026, 2, 28))
    assert not cal.is_rest_day(date(2026, 10, 10))  # a Saturday, made a working day
    assert cal.is_rest_day(date(2026, 10, 17))  # an ordinary Saturday


@pytest.mark.parametrize(("event", "n", "last"), [
    (date(2026, 2, 12), 2, date(2026, 2, 14)),  # Fri, then Saturday 14 Feb is a make-up day
    (date(2026, 2, 13), 2, date(2026, 2, 24)),  # 14 Feb, then nine days off, then Tue 24 Feb
    (date(2026, 2, 13), 3, date(2026, 2, 25)),
    (date(2026, 2, 26), 2, date(2026, 2, 28)),  # Fri 27, then Saturday 28 Feb (make-up)
    (date(2026, 2, 27), 1, date(2026, 2, 28)),
    (date(2026, 2, 28), 1, date(2026, 3, 2)),  # 1 Mar is an ordinary Sunday
])
def test_working_days_across_the_spring_festival_L36(
    cal: RestCalendar, event: date, n: int, last: date
) -> None:
    due = working_days_after(cal, event, n)
    assert due.last_day == last
    assert not due.provisional


@pytest.mark.parametrize(("event", "n", "last"), [
    (date(2026, 9, 30), 1, date(2026, 10, 8)),  # 1-7 Oct off
    (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Thu 8, Fri 9, Saturday 10 Oct (make-up)
    (date(2026, 10, 9), 1, date(2026, 10, 10)),
    (date(2026, 10, 10), 1, date(2026, 10, 12)),
    (date(2026, 9, 18), 2, date(2026, 9, 21)),  # Saturday 19 Sep is not a make-up day; 20 Sep is
])
def test_working_days_across_national_day_L36(
    cal: RestCalendar, event: date, n: int, last: date
) -> None:
    assert working_days_after(cal, event, n).last_day == last


@pytest.mark.parametrize(("event", "n", "last"), [
    (date(2026, 2, 10), 7, date(2026, 2, 24)),  # ends 17 Feb, a holiday: next working day
    (date(2026, 2, 14), 1, date(2026, 2, 24)),
    (date(2026, 9, 30), 3, date(2026, 10, 8)),  # ends 3 Oct (National Day)
    (date(2026, 10, 3), 7, date(2026, 10, 10)),  # ends on the make-up Saturday: it stands
    (date(2026, 10, 10), 7, date(2026, 10, 19)),  # ends on an ordinary Saturday: Monday
    (date(2026, 3, 2), 30, date(2026, 4, 1)),  # a plain weekday: no roll-over
])
def test_a_period_ending_on_a_rest_day_rolls_to_the_next_working_day_L36(
    cal: RestCalendar, event: date, n: int, last: date
) -> None:
    assert days_after(cal, event, n).last_day == last


def test_the_event_day_is_not_counted_L36(cal: RestCalendar) -> None:
    assert days_after(cal, date(2026, 3, 2), 1).last_day == date(2026, 3, 3)
    assert working_days_after(cal, date(2026, 3, 2), 1).last_day == date(2026, 3, 3)


def test_a_period_crossing_into_a_year_without_calendar_is_provisional_L36(
    cal: RestCalendar,
) -> None:
    inside = days_after(cal, date(2026, 11, 2), 30)
    crossing = days_after(cal, date(2026, 12, 20), 30)
    assert not inside.provisional
    assert crossing.last_day == date(2027, 1, 19) and crossing.provisional
    # Weekends only in 2027: 1 Jan 2027 (a Friday) counts as a working day for now.
    working = working_days_after(cal, date(2026, 12, 30), 3)
    assert working.last_day == date(2027, 1, 4) and working.provisional


def test_an_event_on_the_last_day_of_the_year_L36(cal: RestCalendar) -> None:
    due = days_after(cal, date(2026, 12, 31), 1)
    assert due.last_day == date(2027, 1, 1) and due.provisional
    # Once 2027 is known (a test arrangement), 1 Jan is a holiday and the period rolls on.
    known = RestCalendar.from_days(
        [(date(2027, 1, 1), "holiday"), *[(d, k) for d, k, _ in bundled_years()[2026].days()]],
        {2026, 2027},
    )
    rolled = days_after(known, date(2026, 12, 31), 1)
    assert rolled.last_day == date(2027, 1, 4) and not rolled.provisional  # Fri off, weekend
    assert working_days_after(known, date(2026, 12, 31), 1).last_day == date(2027, 1, 4)


def test_deadlines_end_at_24_00_shanghai_and_count_from_the_local_day_L36(
    cal: RestCalendar,
) -> None:
    assert end_of_day(date(2026, 3, 3)) == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    # 17:30 UTC on 12 Feb is 01:30 on 13 Feb in Shanghai: the event's day is the 13th.
    late = period_after(cal, datetime(2026, 2, 12, 17, 30, tzinfo=UTC), 2, working=True)
    assert late.last_day == date(2026, 2, 24)
    early = period_after(cal, datetime(2026, 2, 12, 15, 59, tzinfo=UTC), 2, working=True)
    assert early.last_day == date(2026, 2, 14)
    assert early.due_at == datetime(2026, 2, 14, 16, 0, tzinfo=UTC)


def test_a_period_is_at_least_one_day() -> None:
    with pytest.raises(ValueError):
        days_after(RestCalendar(), date(2026, 1, 5), 0)
    with pytest.raises(ValueError):
        working_days_after(RestCalendar(), date(2026, 1, 5), 0)
