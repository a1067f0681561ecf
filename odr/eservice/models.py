"""Tables of electronic service: confirmed addresses, services, per-channel records, paper copies.

A *service* (``DocumentService``) is one document served on one party; it has
one ``ServiceRecord`` per channel it was sent on (SMS, e-mail, in-app). Each
record keeps its own trail (sent, delivered, opened, completed); the service
is complete at the earliest valid completion of any of its records (L34).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class ServiceChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    INAPP = "inapp"


class ConsentBasis(StrEnum):
    """Why a party counts as consenting to electronic service (L33)."""

    CONFIRMED = "confirmed"  # the address-confirmation form, agreed
    PRESUMED_FROM_FILING = "presumed_from_filing"  # gave its mobile in its own online filing
    PRESUMED_FROM_PRIOR_SERVICE = "presumed_from_prior_service"  # accepted an earlier e-service


class CompletionBasis(StrEnum):
    """Why a service counts as complete (L34; OLR 31)."""

    # The message reached an address the recipient provided or confirmed.
    REACHED_CONFIRMED_ADDRESS = "reached_confirmed_address"
    # Any other address: the signed-in recipient opened the link (a read receipt).
    OPENED_BY_RECIPIENT = "opened_by_recipient"


class ServiceAddress(Base):
    """One address of one address-confirmation form (the ``Consent`` row it belongs to)."""

    __tablename__ = "service_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))  # mobile, e-mail, or user id for in-app
    created_at: Mapped[datetime]


class DocumentService(Base):
    """One document served on one party; complete at its earliest valid record."""

    __tablename__ = "document_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"), index=True)
    consent_basis: Mapped[str] = mapped_column(String(40))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    served_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completion_basis: Mapped[str | None] = mapped_column(String(40))
    completed_record_id: Mapped[int | None]  # the record whose completion counts
    receipt_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    receipt_completed_at: Mapped[datetime | None]  # the completion the stored receipt shows

    __table_args__ = (UniqueConstraint("document_id", "party_id"),)


class ServiceRecord(Base):
    """One channel of one service: where it went and when it was sent, delivered, opened.

    The link in the message carries a one-time token derived from a secret key
    and ``token_nonce``; only its SHA-256 is stored, so the table alone cannot
    open a document (and opening also needs the recipient signed in).
    """

    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("document_services.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))
    # Provided or confirmed by the recipient: reaching it completes the service (OLR 31).
    address_confirmed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    token_nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    notification_key: Mapped[str] = mapped_column(String(200))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    completion_basis: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_service_records_case_id_id", "case_id", "id"),)


class PaperCopyStatus(StrEnum):
    REQUESTED = "requested"
    SENT = "sent"


class PaperCopyRequest(Base):
    """A party's request for a paper copy of an electronically served judgment or ruling (L35)."""

    __tablename__ = "paper_copy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))
    address: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=PaperCopyStatus.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
