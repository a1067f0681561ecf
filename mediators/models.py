"""Mediators, their availability and conflicts, and every assignment of a case to one.

A mediator is a user (role ``mediator``) with a membership of an institution;
``MediatorProfile`` adds what the roster publishes (L4) and what assignment
needs. ``open_cases`` is the load counter: it only moves by one conditional
UPDATE (``mediators.capacity``), and CHECK constraints keep it within
``0..max_concurrent_cases``, so no two writers can give a mediator more cases
than its capacity.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class MediatorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"  # no longer with the institution; hidden from the roster


class MediatorProfile(Base):
    __tablename__ = "mediator_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="", server_default="")
    bio_zh: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    bio_en: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    specialties: Mapped[list[str]] = mapped_column(JSONType, default=list)  # first = main
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_concurrent_cases: Mapped[int]
    open_cases: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(16), default=MediatorStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # The keyed hash of the mediator's own ID number in the ``case_party.id_doc``
    # context, so a case party with the same number is found without decrypting.
    party_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("open_cases >= 0", name="open_cases_not_negative"),
        CheckConstraint("open_cases <= max_concurrent_cases", name="open_cases_within_capacity"),
        CheckConstraint("max_concurrent_cases > 0", name="capacity_positive"),
    )


class WeeklyAvailability(Base):
    """A weekly window (Asia/Shanghai) in which the mediator works; none at all means every day."""

    __tablename__ = "mediator_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]  # 0 Monday ... 6 Sunday
    start_minute: Mapped[int]  # minutes after local midnight
    end_minute: Mapped[int]


class MediatorLeave(Base):
    """An exception to the weekly hours: the mediator is away from ``starts_on`` to ``ends_on``."""

    __tablename__ = "mediator_leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class ConflictKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class ConflictDeclaration(Base):
    """A person or organisation the mediator must not mediate for or against (L7).

    Matched against case parties by the keyed hash of the ID number (context
    ``case_party.id_doc``) when one was given, else by normalised name.
    """

    __tablename__ = "mediator_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    id_doc_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    id_doc_last4: Mapped[str | None] = mapped_column(String(4))
    note: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class AssignmentMethod(StrEnum):
    JOINT_CHOICE = "joint_choice"  # L5: every party chose this mediator
    DESIGNATED = "designated"  # staff designated (with or without the engine's proposal)
    REASSIGNED = "reassigned"  # automatically after a decline, silence, replacement, suspension
    BATCH = "batch"  # a day's intake at once
    OVERRIDE = "override"  # the institution admin overrode the engine, with a reason


class AssignmentStatus(StrEnum):
    PENDING = "pending"  # waiting for the mediator's answer (L6)
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"  # no answer within L6
    REPLACED = "replaced"  # L7 replacement, admin override, suspension
    RELEASED = "released"  # the case ended


LIVE_ASSIGNMENT = (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)


class Assignment(Base):
    """One mediator given one case, with why (``explanation``) and how it ended."""

    __tablename__ = "mediator_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.PENDING)
    holds_slot: Mapped[bool] = mapped_column(default=True)  # counted in the mediator's open_cases
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    reason: Mapped[str | None] = mapped_column(String(1000))  # override or designation note
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("mediator_assignments.id"))
    # L7: made because a party asked for another mediator (or refused a disclosed
    # conflict); refusing this one counts as refusing mediation.
    party_replacement: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    assigned_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (Index("ix_mediator_assignments_mediator_status", "mediator_id", "status"),)


class MediatorChoice(Base):
    """One party's choice of institution and mediator (L5); the latest row per party counts."""

    __tablename__ = "mediator_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class DisclosureStatus(StrEnum):
    OPEN = "open"  # waiting for every party's answer
    CONTINUED = "continued"  # every party agreed: the mediator stays
    REPLACED = "replaced"  # a party refused: the mediator was replaced


class ConflictDisclosure(Base):
    """A mediator's disclosure of a possible conflict in one case (L7)."""

    __tablename__ = "conflict_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("mediator_assignments.id"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DisclosureStatus.OPEN)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class DisclosureAnswer(Base):
    """One party's answer to a disclosure: may this mediator go on?"""

    __tablename__ = "conflict_disclosure_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(
        ForeignKey("conflict_disclosures.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id"))
    agree: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("disclosure_id", "party_id"),)


class QueueItem(Base):
    """A case no rule could assign, waiting in its institution admin's queue with the reason."""

    __tablename__ = "assignment_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(1000))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
