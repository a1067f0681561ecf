"""Tables of the parties part: respondent invitations and the throttle on guessing their links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class InvitationChannel(StrEnum):
    SMS = "sms"  # a respondent without an account: a one-time link by SMS
    INAPP = "inapp"  # a respondent already linked to a user: asked in the workspace


class InvitationAnswer(StrEnum):
    AGREE = "agree"
    REFUSE = "refuse"
    NO_REPLY = "no_reply"  # the respondent_reply deadline passed (L8)


class RespondentInvitation(Base):
    """The question put to one respondent party when its case is accepted (L8).

    An SMS invitation carries a random one-time token; only its SHA-256 is
    kept. The token links a verified user to the party once (``claimed_at``);
    the invitation stays open until the respondent answers or the case ends.
    """

    __tablename__ = "respondent_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # the respondent_reply deadline's due_at
    claimed_at: Mapped[datetime | None]
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # answered, or the case ended another way
    link_scrubbed_at: Mapped[datetime | None]  # the sent SMS no longer shows the link (scrub.py)


class InvitationLookupFailure(Base):
    """A request with an unknown invitation token, counted per address against guessing."""

    __tablename__ = "invitation_lookup_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
