"""Online file-reading requests (网上阅卷). Documents themselves are ``odr.cases.models.CaseDocument``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class FileReadingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class FileReadingRequest(Base):
    """A lawyer's or agent's application to read a case's file, and its decision.

    Approved access runs from ``valid_from`` to ``valid_until`` (exclusive) and
    covers what the reader's side may see, less anything confidential (L11).
    """

    __tablename__ = "file_reading_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))  # the principal
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=FileReadingStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(1000))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
