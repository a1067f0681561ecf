"""Extension requests of a mediation period (L13: all parties may agree to extend).

The mediator proposes a number of days; each party answers (itself or
through its agent). Only when every party of the case agreed is the period
extended; one refusal refuses the request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # every party agreed; the period was extended
    REFUSED = "refused"  # a party refused
    LAPSED = "lapsed"  # the period closed before every party answered


class DeadlineExtension(Base):
    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    days: Mapped[int]
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class DeadlineExtensionAnswer(Base):
    """One party's answer to one extension request (one per party)."""

    __tablename__ = "deadline_extension_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("deadline_extensions.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    agree: Mapped[bool]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("extension_id", "party_id"),)
