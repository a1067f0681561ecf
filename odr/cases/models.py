"""The case and who takes part in it. Issue 3 extends this into the full lifecycle."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class CaseChannel(StrEnum):
    SELF_FILED = "self_filed"  # 自行申请
    DELEGATED = "delegated"  # 委派, before filing
    ENTRUSTED = "entrusted"  # 委托, after filing
    WALK_IN = "walk_in"


class CaseRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    AGENT = "agent"
    MEDIATOR = "mediator"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(40), index=True)
    claim_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseParticipant(Base):
    __tablename__ = "case_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("case_id", "user_id", "role"),)
