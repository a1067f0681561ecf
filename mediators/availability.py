"""Is a mediator available before a deadline? Weekly hours minus leave, pure.

Hours are Asia/Shanghai local times. A mediator with no weekly hours at all
counts as available every day (the institution has not restricted them);
leave always counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from odr.clock import SHANGHAI, to_local

MAX_SCAN_DAYS = 366


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 Monday ... 6 Sunday
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("a window starts before it ends, within one day")


@dataclass(frozen=True)
class Leave:
    starts_on: date
    ends_on: date  # inclusive

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI) + timedelta(minutes=minute)


def available_between(
    windows: Iterable[Window], leaves: Iterable[Leave], start: datetime, end: datetime
) -> bool:
    """True when some working time of the mediator falls in ``[start, end)`` outside leave."""
    if end <= start:
        return False
    windows = list(windows)
    leaves = list(leaves)
    day = to_local(start).date()
    last = to_local(end).date()
    for _ in range(MAX_SCAN_DAYS):
        if day > last:
            return False
        if not any(leave.covers(day) for leave in leaves):
            if not windows:
                return True
            for w in windows:
                if w.weekday != day.weekday():
                    continue
                if _at(day, w.start_minute) < end and _at(day, w.end_minute) > start:
                    return True
        day += timedelta(days=1)
    return False


def on_leave(leaves: Iterable[Leave], day: date) -> bool:
    return any(leave.covers(day) for leave in leaves)
