"""Users, memberships, login sessions, one-time codes and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base


class Role(StrEnum):
    PARTY = "party"
    AGENT = "agent"
    MEDIATOR = "mediator"
    INSTITUTION_ADMIN = "institution_admin"
    JUDGE = "judge"
    CLERK = "clerk"
    ADMIN = "admin"


class IdDocType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证, 18 characters with ISO 7064 check
    LAWYER_LICENCE = "lawyer_licence"  # 律师执业证号, 17 digits
    USCC = "uscc"  # 统一社会信用代码, 18 characters with GB 32100 check
    PASSPORT = "passport"


class IdentityLevel(StrEnum):
    NONE = "none"  # registered, nothing checked
    BASIC = "basic"  # document format/checksum + mobile by one-time code
    STRONG = "strong"  # confirmed by an identity-authentication service


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    real_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    id_doc_type: Mapped[str | None] = mapped_column(String(32))
    id_doc_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_doc_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    id_doc_last4: Mapped[str | None] = mapped_column(String(4))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    mobile_verified_at: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    identity_level: Mapped[str] = mapped_column(String(16), default=IdentityLevel.NONE)
    identity_verified_at: Mapped[datetime | None]
    identity_verifier: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("id_doc_type", "id_doc_lookup"),)


class Membership(Base):
    """A user's place in an organisation: mediator/admin of an institution, judge/clerk of a court."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class LoginSession(Base):
    """Server-side session: the cookie carries a random token, the database its hash."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    reauthenticated_at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    revoked_at: Mapped[datetime | None]


class OneTimeCode(Base):
    """A one-time code sent to a mobile number; only its hash is kept."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    mobile: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_one_time_codes_mobile_purpose", "mobile", "purpose"),)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(index=True)
