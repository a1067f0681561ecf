"""The official holiday arrangement, per year, as data an admin loads (``odr calendar load``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class CalendarYear(Base):
    """A year whose arrangement is loaded; dates in other years count weekends only (provisional)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime]


class CalendarDay(Base):
    """A day that differs from the plain weekday/weekend rule."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "holiday" (rest) or "workday" (make-up)
    name: Mapped[str] = mapped_column(String(100), default="")
