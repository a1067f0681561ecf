"""Agreements: drafts in versions, signatures bound to one version's hash, the
signed PDF, what goes to a court afterwards (judicial confirmation, L20-L27;
return or record filing, L37) and the performance of the agreed terms.

An agreement's *content* is structured data (``agreements.content.AgreementContent``)
kept per version as JSON with its SHA-256 over a canonical encoding. A
signature names the version number and carries that hash: an edit makes a new
version and voids every signature of the earlier ones (their signers are told).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class AgreementKind(StrEnum):
    WRITTEN = "written"  # L16: effective at the last signature / seal
    ORAL = "oral"  # L18: effective when reached; the mediator records its content


class AgreementStatus(StrEnum):
    DRAFT = "draft"  # the mediator edits; no valid signature on the current version
    SIGNING = "signing"  # at least one valid signature on the current version
    EFFECTIVE = "effective"  # L16 / L18: every required signature and the seal
    ABANDONED = "abandoned"  # the mediation ended without it, or the mediator discarded it


class SignerRole(StrEnum):
    PARTY = "party"  # a party itself, or its agent with the sign_agreement scope
    MEDIATOR = "mediator"
    SEAL = "seal"  # the institution admin applies the institution's e-seal


class PdfState(StrEnum):
    NONE = "none"  # not effective yet
    PENDING = "pending"  # effective; the worker renders, signs and stores the PDF (idempotent)
    STORED = "stored"


class Agreement(Base):
    """One mediation agreement of a case (a case may have several over time,
    e.g. after a rejected confirmation the parties mediate again; at most one
    is not abandoned and not effective at a time)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=AgreementKind.WRITTEN)
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.DRAFT)
    category: Mapped[str] = mapped_column(String(40))  # the dispute category (templates, L19)
    language: Mapped[str] = mapped_column(String(10), default="zh-CN")
    current_version: Mapped[int] = mapped_column(default=1)
    # Public code printed on the PDF and its QR code; the verification page looks it up.
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))  # drafted in
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    effective_at: Mapped[datetime | None]  # L16: the last signature or seal; L18: when recorded
    effective_version: Mapped[int | None]
    abandoned_at: Mapped[datetime | None]
    abandon_reason: Mapped[str] = mapped_column(String(500), default="")
    pdf_state: Mapped[str] = mapped_column(String(10), default=PdfState.NONE)
    pdf_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class AgreementVersion(Base):
    """One version of the content. Never updated; an edit adds the next number."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_sha256: Mapped[str] = mapped_column(String(64))
    changed_fields: Mapped[list[str]] = mapped_column(JSONType, default=list)  # vs the previous
    change_note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class AgreementSignature(Base):
    """One signature (or the seal) on one exact version.

    ``content_sha256`` is the hash the signer reviewed; a signature counts only
    while it is not voided and names the agreement's current version. The
    client facts (address, device) feed the sham-mediation warnings (OMR 23).
    """

    __tablename__ = "agreement_signatures"
    __table_args__ = (Index("ix_agreement_signatures_agreement_valid", "agreement_id", "voided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    version_number: Mapped[int]
    content_sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(10))  # SignerRole
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))  # role party
    signer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("agent_authorizations.id")
    )  # an agent signing with the sign_agreement scope
    image_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_blobs.sha256"))
    signed_at: Mapped[datetime]
    reauthenticated_at: Mapped[datetime | None]
    code_verified_at: Mapped[datetime | None]  # the one-time code to the verified mobile
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    device_hash: Mapped[str] = mapped_column(String(64), default="")  # keyed hash of the UA + device id
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(String(300), default="")


class ConfirmationStatus(StrEnum):
    """A judicial confirmation application (L20-L27)."""

    GATHERING = "gathering"  # started by one side; waits for every party to join (L20)
    APPLIED = "applied"  # every party joined; the court decides acceptance (L25: 3 days)
    SUPPLEMENT_REQUESTED = "supplement_requested"  # L23: missing materials, a deadline
    ACCEPTED = "accepted"  # a designated judge reviews; ruling due in 15 (+10) days (L25)
    NOT_ACCEPTED = "not_accepted"  # the court refused to accept it (e.g. L24)
    WITHDRAWN = "withdrawn"  # L27
    DEEMED_WITHDRAWN = "deemed_withdrawn"  # L27: the supplement deadline passed
    CONFIRMED = "confirmed"  # L26: ruled valid
    REJECTED = "rejected"  # L26: application rejected on an INT 358 ground
    LAPSED = "lapsed"  # L21: not every party joined within the 30-day window


class ConfirmationApplication(Base):
    __tablename__ = "confirmation_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default=ConfirmationStatus.GATHERING)
    competence_basis: Mapped[str] = mapped_column(String(40))  # why this court is competent (L22)
    # What the agreement is about, as the applicants state it (L24 refuses some kinds),
    # and where the property in dispute is, if any (a basis of competence, L22).
    subject_kind: Mapped[str] = mapped_column(String(40), default="", server_default="")
    property_location: Mapped[str] = mapped_column(String(300), default="", server_default="")
    materials: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # L23 checklist
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]  # the last party joined
    application_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    accepted_at: Mapped[datetime | None]
    judge_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    extended_at: Mapped[datetime | None]  # L25: +10 days with approval
    extension_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supplement_note: Mapped[str] = mapped_column(String(1000), default="")
    questioning_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    ruled_at: Mapped[datetime | None]
    rejection_ground: Mapped[str | None] = mapped_column(String(40))  # INT 358 ground
    ruling_reason: Mapped[str] = mapped_column(Text, default="")
    ruling_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    ruling_code: Mapped[str | None] = mapped_column(String(32), unique=True)  # printed on the ruling
    closed_at: Mapped[datetime | None]  # withdrawn, deemed withdrawn, not accepted, lapsed
    close_reason: Mapped[str] = mapped_column(String(500), default="")


class ConfirmationJoin(Base):
    """One party's joining of the joint application (L20), by itself or its agent."""

    __tablename__ = "confirmation_joins"
    __table_args__ = (UniqueConstraint("application_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("confirmation_applications.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    authorization_id: Mapped[int | None] = mapped_column(ForeignKey("agent_authorizations.id"))
    joined_at: Mapped[datetime]
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    device_hash: Mapped[str] = mapped_column(String(64), default="")


class CourtFilingKind(StrEnum):
    RETURN = "return"  # L37: an entrusted (委托) case's agreement goes back to the court
    RECORD = "record"  # L37: a delegated (委派) agreement is filed for record (备案)


class CourtFilingStatus(StrEnum):
    SUBMITTED = "submitted"
    RECORDED = "recorded"  # record filing acknowledged by the court
    STATEMENT_ISSUED = "statement_issued"  # 调解书
    WITHDRAWAL_RULED = "withdrawal_ruled"  # the plaintiff's withdrawal allowed


class CourtFiling(Base):
    """An effective agreement sent to a court outside judicial confirmation (L37)."""

    __tablename__ = "court_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), unique=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=CourtFilingStatus.SUBMITTED)
    submitted_at: Mapped[datetime]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None]
    outcome_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    outcome_code: Mapped[str | None] = mapped_column(String(32), unique=True)  # on the statement
    note: Mapped[str] = mapped_column(String(1000), default="")


class PerformanceStatus(StrEnum):
    PENDING = "pending"
    PERFORMED = "performed"  # both sides confirmed
    DEFAULTED = "defaulted"


class PerformanceItem(Base):
    """One agreed term with a due date, tracked after the agreement takes effect."""

    __tablename__ = "performance_items"
    __table_args__ = (UniqueConstraint("agreement_id", "term_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    term_key: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(1000))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    due_on: Mapped[date]
    obligor_party_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    obligee_party_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(12), default=PerformanceStatus.PENDING)
    obligor_confirmed_at: Mapped[datetime | None]
    obligor_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    obligee_confirmed_at: Mapped[datetime | None]
    obligee_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None]
    defaulted_at: Mapped[datetime | None]
    default_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    default_note: Mapped[str] = mapped_column(String(1000), default="")
