"""``odr calendar load FILE`` as an admin runs it, against each database backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.calendar.models import CalendarDay, CalendarYear
from odr.calendar.store import load_rest_calendar
from odr.services import Services
from tests.calendar.test_arrangement import VALID_2027


def odr(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODR_VAR_DIR": str(tmp_path / "var"), "ODR_DATABASE_URL": db_url,
           "ODR_ENVIRONMENT": "development", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "odr.cli", *args], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )


async def test_calendar_load_validates_stores_and_audits_a_year_L36(
    tmp_path: Path, db_url: str, services: Services
) -> None:
    bad = tmp_path / "cn-2027-bad.json"
    bad.write_text(json.dumps({**VALID_2027, "makeup_workdays": ["2027-02-22", "2027-01-02"]},
                              ensure_ascii=False), "utf-8")
    refused = odr(tmp_path, db_url, "calendar", "load", str(bad))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "is a Monday" in refused.stdout and "both a holiday" in refused.stdout

    good = tmp_path / "cn-2027.json"
    good.write_text(json.dumps(VALID_2027, ensure_ascii=False), "utf-8")
    loaded = odr(tmp_path, db_url, "calendar", "load", str(good))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "calendar 2027 loaded: 2 holidays (12 days off), 1 make-up working days" in loaded.stdout
    again = odr(tmp_path, db_url, "calendar", "load", str(good))  # replaces, never duplicates
    assert again.returncode == 0, again.stdout + again.stderr

    async with services.db.reader() as uow:
        years = (await uow.session.execute(select(CalendarYear.year))).scalars().all()
        days = (await uow.session.execute(select(CalendarDay))).scalars().all()
        audit = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "calendar.load"))).scalars().all()
        cal = await load_rest_calendar(uow.session)  # this process sees the other's load
    assert years == [2027] and len(days) == 13
    assert [a.data["replaced"] for a in audit] == [False, True]
    assert cal.is_rest_day(date(2027, 2, 10)) and not cal.is_rest_day(date(2027, 2, 20))

    shown = odr(tmp_path, db_url, "calendar", "show", "2027")
    assert shown.returncode == 0 and "2027-02-20" in shown.stdout
    missing = odr(tmp_path, db_url, "calendar", "load", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stdout
