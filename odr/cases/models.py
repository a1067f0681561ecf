"""The case, its parties, who takes part in it, consents, agent authorizations and its timeline.

Other parts of issue 3 keep their own tables beside their code (documents,
messages, electronic service, deadlines, the calendar); these are the rows
every one of them points at.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class CaseChannel(StrEnum):
    SELF_FILED = "self_filed"  # 自行申请, online by a party or agent
    DELEGATED = "delegated"  # 委派, referred by a court before filing
    ENTRUSTED = "entrusted"  # 委托, referred by a court after filing
    WALK_IN = "walk_in"  # registered at the institution's desk


class Procedure(StrEnum):
    """The court procedure of an entrusted case (L13: 15 or 7 days)."""

    ORDINARY = "ordinary"
    SUMMARY = "summary"


class CaseRole(StrEnum):
    """A user's relationship to a case (``CaseParticipant.role``)."""

    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    AGENT = "agent"
    MEDIATOR = "mediator"


class Side(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"


class PartyKind(StrEnum):
    PERSON = "person"  # 自然人
    ORGANISATION = "organisation"  # 法人或非法人组织


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    procedure: Mapped[str | None] = mapped_column(String(20))  # entrusted cases only
    court_case_number: Mapped[str | None] = mapped_column(String(80))  # entrusted cases only
    status: Mapped[str] = mapped_column(String(40), index=True)
    claim_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    claims: Mapped[str] = mapped_column(Text, default="", server_default="")
    facts: Mapped[str] = mapped_column(Text, default="", server_default="")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    preferred_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    # A self-filed case with no preference: the institution the routing rule proposed, whose
    # admins review it (odr.cases.intake.routing); the applicant's choice always wins.
    proposed_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id"), index=True
    )
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # Online or offline handling (L1: a party withdrawing consent moves the case offline).
    online: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    offline_reason: Mapped[str | None] = mapped_column(String(500))
    rejection_reason: Mapped[str | None] = mapped_column(String(1000))
    end_ground: Mapped[str | None] = mapped_column(String(40))  # L14 grounds, see lifecycle.EndGround
    end_reasons: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    mediation_started_at: Mapped[datetime | None]  # the mediator accepted (L13 clock starts)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("created_by_id", "idempotency_key"),)


class CaseParty(Base):
    """An applicant or respondent as the filing names them; linked to a user once known.

    The identity document number is encrypted (context ``case_party.id_doc``)
    with a keyed look-up hash, like ``User``'s.
    """

    __tablename__ = "case_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    id_doc_type: Mapped[str] = mapped_column(String(32))
    id_doc_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_doc_lookup: Mapped[str] = mapped_column(String(64), index=True)
    id_doc_last4: Mapped[str] = mapped_column(String(4))
    legal_representative: Mapped[str | None] = mapped_column(String(100))  # organisations
    mobile: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")  # domicile / registered address
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    query_password_hash: Mapped[str | None] = mapped_column(String(200))  # L3, issued at acceptance
    created_at: Mapped[datetime]


class CaseParticipant(Base):
    """A user's role in a case; the policy reads these. ``ends_at`` closes it (revoked, replaced)."""

    __tablename__ = "case_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id"))  # whose side
    created_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("case_id", "user_id", "role"),)


class AgentScope(StrEnum):
    """What an authorization lets an agent do (授权范围)."""

    GENERAL = "general"  # 一般授权: file, upload, message, attend sessions
    SIGN_AGREEMENT = "sign_agreement"  # 特别授权: agree and sign the mediation agreement
    APPLY_CONFIRMATION = "apply_confirmation"  # 特别授权: apply for judicial confirmation
    READ_FILE = "read_file"  # apply for online file reading (网上阅卷)


class AgentAuthorization(Base):
    """An agent acts for a party only under this record (principal, case, scope, validity)."""

    __tablename__ = "agent_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    agent_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_blobs.sha256"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class ConsentStage(StrEnum):
    """L1: consent is per stage."""

    MEDIATION_ONLINE = "mediation_online"
    HEARING_ONLINE = "hearing_online"
    ELECTRONIC_SERVICE = "electronic_service"  # L33, the address-confirmation form
    SEPARATE_SESSIONS = "separate_sessions"  # L10: mediation sessions with each side apart


class ConsentDecision(StrEnum):
    AGREE = "agree"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"


class Consent(Base):
    """One party's answer for one stage, with time and channel; the latest row counts."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    stage: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))  # web, sms_link, in_person, filing
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    notice_version: Mapped[str | None] = mapped_column(String(40))  # the notice the party read
    at: Mapped[datetime]

    __table_args__ = (Index("ix_consents_case_party_stage", "case_id", "party_id", "stage"),)


class EventVisibility(StrEnum):
    ALL = "all"  # every participant and staff of the case
    STAFF = "staff"  # mediator, institution and court staff only


class CaseEvent(Base):
    """One line of a case's timeline, written in the transaction of the change it reports."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    visibility: Mapped[str] = mapped_column(String(16), default=EventVisibility.ALL)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)


class CaseNumberSequence(Base):
    """The last number given per scope (institution or court code) and year."""

    __tablename__ = "case_number_sequences"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class DocumentVisibility(StrEnum):
    ALL = "all"  # both sides and staff
    MEDIATOR_ONLY = "mediator_only"  # the mediator and staff: never the other side (or any party)
    OWN_SIDE = "own_side"  # the uploading side and staff


class DocumentKind(StrEnum):
    APPLICATION = "application"
    EVIDENCE = "evidence"
    IDENTITY = "identity"
    POWER_OF_ATTORNEY = "power_of_attorney"
    SESSION_RECORD = "session_record"
    AGREEMENT = "agreement"
    RULING = "ruling"
    NOTICE = "notice"
    SERVICE_RECEIPT = "service_receipt"
    TRANSFER_PACKAGE = "transfer_package"
    MESSAGE_ATTACHMENT = "message_attachment"  # a file sent with a thread message
    OTHER = "other"


class CaseDocument(Base):
    """A file in a case. Never overwritten: a new version is a new row in the same ``lineage_id``.

    ``confidential`` marks what L11 keeps out of anything sent to a court
    (caucus content, concessions); ``side`` is the uploader's side, if a party's.
    """

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    lineage_id: Mapped[int | None] = mapped_column(index=True)  # id of the first version
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("stored_blobs.sha256"))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    visibility: Mapped[str] = mapped_column(String(20), default=DocumentVisibility.ALL)
    side: Mapped[str | None] = mapped_column(String(20))
    confidential: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class DeadlineStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"  # L13: appraisal time does not count
    MET = "met"  # the awaited act happened in time
    MISSED = "missed"  # passed; the sweep applied its consequence
    CANCELLED = "cancelled"  # no longer relevant (case moved on another way)


class Deadline(Base):
    """A legal or procedural time limit of a case, counted by L36 (``odr.calendar.periods``).

    ``kind`` names the clock (e.g. ``respondent_reply`` L8, ``choose_mediator`` L5,
    ``mediator_acceptance`` L6, ``mediation_period`` L13, ``message_reply``); a
    deadline about one object (an invitation, a message thread) names it in
    ``subject_type``/``subject_id``. ``provisional`` when a year without a loaded
    calendar was counted on weekends alone.
    """

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    rule: Mapped[str | None] = mapped_column(String(8))  # the LEGAL.md rule id, e.g. "L13"
    length_days: Mapped[int]
    working_days: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    last_day: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=DeadlineStatus.OPEN, index=True)
    paused_at: Mapped[datetime | None]
    paused_days: Mapped[int] = mapped_column(default=0)  # days excluded so far (L13 appraisal)
    extended_days: Mapped[int] = mapped_column(default=0)  # agreed extensions (L13)
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
