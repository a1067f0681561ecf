"""Validating a year's arrangement before it is loaded (``odr calendar load``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from odr.calendar.arrangement import CalendarError, parse_arrangement, read_arrangement

VALID_2027: dict[str, Any] = {
    "year": 2027,
    "source": "test arrangement (not the official 2027 notice)",
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-14"},
    ],
    "makeup_workdays": ["2027-02-20"],
}


def test_the_bundled_2026_file_is_valid() -> None:
    path = Path(__file__).parents[2] / "odr" / "calendar" / "data" / "cn-2026.json"
    arrangement = read_arrangement(path)
    assert arrangement.year == 2026 and len(arrangement.holidays) == 7
    assert len(arrangement.makeup_workdays) == 6


def test_a_valid_year_parses_into_days() -> None:
    arrangement = parse_arrangement(VALID_2027)
    kinds = {d.isoformat(): k for d, k, _ in arrangement.days()}
    assert kinds["2027-01-02"] == "holiday" and kinds["2027-02-20"] == "workday"
    assert len(kinds) == 3 + 9 + 1


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID_2027)
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "message"), [
    (_with(year="2027"), "year: expected a year"),
    (_with(year=None), "year: expected a year"),
    (_with(holidays=[{"name": "跨年", "from": "2026-12-31", "to": "2027-01-02"}]), "outside 2027"),
    (_with(makeup_workdays=["2028-01-08"]), "outside 2027"),
    (_with(holidays=[{"name": "A", "from": "2027-05-01", "to": "2027-05-05"},
                     {"name": "B", "from": "2027-05-05", "to": "2027-05-06"}]), "overlap"),
    (_with(holidays=[{"name": "A", "from": "2027-05-05", "to": "2027-05-01"}]), "ends before"),
    (_with(makeup_workdays=["2027-02-22"]), "is a Monday"),
    (_with(makeup_workdays=["2027-01-02"]), "both a holiday"),
    (_with(makeup_workdays=["2027-02-20", "2027-02-20"]), "listed twice"),
    (_with(makeup_workdays=["20 Feb 2027"]), "is not a date"),
    (_with(holidays=[{"name": "A", "from": "2027-05-01"}]), "expected a date"),
    (_with(source=""), "source"),
    (_with(extra=1), "unknown field"),
    ([], "one JSON object"),
])
def test_bad_arrangements_are_refused_with_a_clear_reason(data: Any, message: str) -> None:
    with pytest.raises(CalendarError) as info:
        parse_arrangement(data)
    assert message in str(info.value)


def test_every_problem_is_named_at_once() -> None:
    bad = _with(makeup_workdays=["2027-02-22", "2027-01-02"])
    with pytest.raises(CalendarError) as info:
        parse_arrangement(bad)
    assert len(info.value.problems) == 2


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        read_arrangement(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", "utf-8")
    with pytest.raises(CalendarError, match="not valid JSON"):
        read_arrangement(broken)
    good = tmp_path / "cn-2027.json"
    good.write_text(json.dumps(VALID_2027, ensure_ascii=False), "utf-8")
    assert read_arrangement(good).year == 2027
