"""Message threads of a case: a party's side writes to the case's staff, staff reply.

A thread belongs to one side (the author's party and its agents) and one
addressee (``to``): the mediator, the court's judges, the institution or the
court. Nobody else reads it — in particular never the other side (L11: like a
caucus, what one side tells the mediator stays with the mediator).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class ThreadKind(StrEnum):
    MESSAGE = "message"
    COMPLAINT = "complaint"  # about a mediator or the service, to the institution or court


class Addressee(StrEnum):
    MEDIATOR = "mediator"  # the case's mediator
    JUDGE = "judge"  # the judges and clerks of the case's court
    INSTITUTION = "institution"  # the admins of the case's institution
    COURT = "court"  # the judges and clerks of the case's court


class ComplaintAbout(StrEnum):
    MEDIATOR = "mediator"  # the case's mediator at the time of the complaint
    SERVICE = "service"  # the institution's or the platform's service


class ThreadStatus(StrEnum):
    AWAITING_REPLY = "awaiting_reply"  # the party side wrote last; a reply deadline runs
    ANSWERED = "answered"  # staff wrote last


class MessageThread(Base):
    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    addressee: Mapped[str] = mapped_column(String(16))
    about: Mapped[str | None] = mapped_column(String(16))  # complaints only
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # mediator complained of
    subject: Mapped[str] = mapped_column(String(200))
    side: Mapped[str] = mapped_column(String(20))  # the author's side: applicant | respondent
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))  # the author's party
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=ThreadStatus.AWAITING_REPLY)
    # A repeated complaint on the same matter (same case, side and target) is flagged for supervision.
    supervision: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    supervision_of_id: Mapped[int | None] = mapped_column(ForeignKey("message_threads.id"))
    escalated_at: Mapped[datetime | None]
    escalated_to: Mapped[str | None] = mapped_column(String(16))  # institution | court
    last_message_at: Mapped[datetime]
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_message_threads_case_id_id", "case_id", "id"),
        Index("ix_message_threads_case_kind_side", "case_id", "kind", "side"),
    )


class ThreadMessage(Base):
    __tablename__ = "thread_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("message_threads.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(200))
    from_staff: Mapped[bool]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ThreadAttachment(Base):
    """A case document attached to a message (the document row itself, one exact version)."""

    __tablename__ = "thread_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("thread_messages.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))

    __table_args__ = (UniqueConstraint("message_id", "document_id"),)
