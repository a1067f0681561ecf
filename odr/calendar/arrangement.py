"""One year's official holiday arrangement as data: parsing and validating the file format.

The format is that of ``odr/calendar/data/cn-2026.json`` (the State Council's
yearly notice)::

    {"year": 2026, "source": "...", "note": "...",
     "holidays": [{"name": "春节", "from": "2026-02-15", "to": "2026-02-23"}, ...],
     "makeup_workdays": ["2026-02-14", "2026-02-28", ...]}

Pure: no database. ``parse_arrangement`` refuses a file that cannot be right
(a range outside its year, overlapping holidays, a make-up working day that is
not a weekend day or that is also a holiday) with every problem named.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from odr.calendar.periods import HOLIDAY, WORKDAY


class CalendarError(ValueError):
    """The arrangement is invalid; ``problems`` lists each reason in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class HolidayRange:
    name: str
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class YearArrangement:
    year: int
    source: str
    holidays: tuple[HolidayRange, ...]
    makeup_workdays: tuple[date, ...]
    note: str = ""

    def days(self) -> list[tuple[date, str, str]]:
        """Every day that differs from the weekday/weekend rule: (day, kind, name)."""
        out = [(d, HOLIDAY, h.name) for h in self.holidays for d in h.days()]
        out += [(d, WORKDAY, "调休上班 make-up working day") for d in self.makeup_workdays]
        return sorted(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "source": self.source,
            "note": self.note,
            "holidays": [
                {"name": h.name, "from": h.start.isoformat(), "to": h.end.isoformat()}
                for h in self.holidays
            ],
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
        }


def _day(value: object, where: str, problems: list[str]) -> date | None:
    if not isinstance(value, str):
        problems.append(f"{where}: expected a date as YYYY-MM-DD, got {value!r}")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def parse_arrangement(data: object) -> YearArrangement:
    """Validate one year's arrangement; raise ``CalendarError`` listing every problem."""
    if not isinstance(data, dict):
        raise CalendarError(["the file must hold one JSON object"])
    problems: list[str] = []
    unknown = sorted(set(data) - {"year", "source", "note", "holidays", "makeup_workdays"})
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 <= year <= 2200:
        raise CalendarError([*problems, f"year: expected a year such as 2027, got {year!r}"])
    source = data.get("source", "")
    if not isinstance(source, str) or not source.strip():
        problems.append("source: name the official notice this arrangement comes from")
        source = ""
    holidays: list[HolidayRange] = []
    raw_holidays = data.get("holidays")
    if not isinstance(raw_holidays, list):
        problems.append("holidays: expected a list of {name, from, to}")
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        where = f"holidays[{i}]"
        if not isinstance(item, dict) or set(item) - {"name", "from", "to"}:
            problems.append(f"{where}: expected an object with name, from and to")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name is missing")
            name = ""
        start = _day(item.get("from"), f"{where}.from", problems)
        end = _day(item.get("to"), f"{where}.to", problems)
        if start is None or end is None:
            continue
        where = f"{where} ({name} {start}..{end})"
        if end < start:
            problems.append(f"{where}: ends before it starts")
            continue
        if start.year != year or end.year != year:
            problems.append(f"{where}: lies outside {year}")
            continue
        holidays.append(HolidayRange(name.strip(), start, end))
    ordered = sorted(holidays, key=lambda h: h.start)
    for before, after in itertools.pairwise(ordered):
        if after.start <= before.end:
            problems.append(
                f"holidays {before.name} ({before.start}..{before.end}) and "
                f"{after.name} ({after.start}..{after.end}) overlap"
            )
    holiday_days = {d: h.name for h in holidays for d in h.days()}
    makeup: list[date] = []
    raw_makeup = data.get("makeup_workdays", [])
    if not isinstance(raw_makeup, list):
        problems.append("makeup_workdays: expected a list of dates")
        raw_makeup = []
    for i, value in enumerate(raw_makeup):
        day = _day(value, f"makeup_workdays[{i}]", problems)
        if day is None:
            continue
        if day.year != year:
            problems.append(f"make-up working day {day} lies outside {year}")
        elif day.weekday() < 5:
            problems.append(
                f"make-up working day {day} is a {day:%A}: only a Saturday or Sunday "
                "can be made a working day"
            )
        elif day in holiday_days:
            problems.append(
                f"{day} is both a holiday ({holiday_days[day]}) and a make-up working day"
            )
        elif day in makeup:
            problems.append(f"make-up working day {day} is listed twice")
        else:
            makeup.append(day)
    if problems:
        raise CalendarError(problems)
    note = data.get("note", "")
    return YearArrangement(
        year=year, source=source.strip(), holidays=tuple(ordered),
        makeup_workdays=tuple(sorted(makeup)), note=note if isinstance(note, str) else "",
    )


def read_arrangement(path: Path) -> YearArrangement:
    """Read and validate a calendar file; unreadable or non-JSON files are ``CalendarError`` too."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise CalendarError([f"cannot read {path}: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise CalendarError([f"{path} is not UTF-8 text"]) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CalendarError([f"{path} is not valid JSON: {exc}"]) from exc
    return parse_arrangement(data)
