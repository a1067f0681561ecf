"""Progress-query attempts, counted like sign-in attempts (``odr.accounts.throttle``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class ProgressQueryAttempt(Base):
    """One public progress query: the case number as typed (normalised) and the client address.

    Unknown case numbers are counted exactly like known ones, so the throttle
    itself does not tell an attacker which numbers exist.
    """

    __tablename__ = "progress_query_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number_key: Mapped[str] = mapped_column(String(60), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(index=True)
