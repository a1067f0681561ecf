"""Reading the roster (public, L4) and a mediator's full profile (its admins and itself)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mediators.facts import outcome_counts, summarise_outcomes
from mediators.models import (
    ConflictDeclaration,
    MediatorLeave,
    MediatorProfile,
    MediatorStatus,
    WeeklyAvailability,
)
from odr.accounts.models import User
from odr.calendar.periods import local_day
from odr.orgs.models import Court, Institution

PUBLIC_STATUSES = (MediatorStatus.ACTIVE, MediatorStatus.SUSPENDED)


def public_mediator(profile: MediatorProfile, name: str) -> dict[str, Any]:
    """What the roster publishes of a mediator (L4): no contact, no ID, no load."""
    return {
        "id": profile.user_id, "name": name, "title": profile.title,
        "bio_zh": profile.bio_zh, "bio_en": profile.bio_en,
        "specialties": list(profile.specialties), "languages": list(profile.languages),
        "institution_id": profile.institution_id, "status": profile.status,
    }


async def roster(
    session: AsyncSession, *, category: str | None = None, institution_id: int | None = None
) -> list[dict[str, Any]]:
    """Active institutions with their inviting court and their mediators' public profiles."""
    stmt = (
        select(Institution, Court)
        .outerjoin(Court, Court.id == Institution.inviting_court_id)
        .where(Institution.active.is_(True))
        .order_by(Institution.id)
    )
    if institution_id is not None:
        stmt = stmt.where(Institution.id == institution_id)
    institutions = [
        (inst, court) for inst, court in (await session.execute(stmt)).all()
        if category is None or category in (inst.categories or [])
    ]
    people = (
        await session.execute(
            select(MediatorProfile, User.real_name)
            .join(User, User.id == MediatorProfile.user_id)
            .where(MediatorProfile.status.in_(PUBLIC_STATUSES), User.is_active.is_(True),
                   MediatorProfile.institution_id.in_([i.id for i, _ in institutions]))
            .order_by(MediatorProfile.institution_id, User.real_name, MediatorProfile.user_id)
        )
    ).all()
    by_institution: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for profile, name in people:
        if category is None or category in profile.specialties:
            by_institution[profile.institution_id].append(public_mediator(profile, name))
    return [
        {
            "id": inst.id, "code": inst.code, "name_zh": inst.name_zh, "name_en": inst.name_en,
            "kind": inst.kind, "categories": list(inst.categories or []), "district": inst.district,
            "address": inst.address, "phone": inst.phone, "charges_fees": inst.charges_fees,
            "description_zh": inst.description_zh, "description_en": inst.description_en,
            "inviting_court": (
                {"id": court.id, "code": court.code, "name_zh": court.name_zh,
                 "name_en": court.name_en} if court is not None else None
            ),
            "mediators": by_institution.get(inst.id, []),
        }
        for inst, court in institutions
    ]


async def public_profile(session: AsyncSession, user_id: int) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(MediatorProfile, User.real_name)
            .join(User, User.id == MediatorProfile.user_id)
            .where(MediatorProfile.user_id == user_id, MediatorProfile.status.in_(PUBLIC_STATUSES),
                   User.is_active.is_(True))
        )
    ).first()
    return public_mediator(row[0], row[1]) if row else None


async def full_profile(session: AsyncSession, profile: MediatorProfile, now: datetime) -> dict[str, Any]:
    """Everything the institution admin manages, and the mediator itself sees."""
    name = (await session.execute(select(User.real_name).where(User.id == profile.user_id))).scalar_one()
    windows = (
        await session.execute(
            select(WeeklyAvailability).where(WeeklyAvailability.profile_id == profile.id)
            .order_by(WeeklyAvailability.weekday, WeeklyAvailability.start_minute)
        )
    ).scalars()
    leaves = (
        await session.execute(
            select(MediatorLeave).where(MediatorLeave.profile_id == profile.id,
                                        MediatorLeave.cancelled_at.is_(None))
            .order_by(MediatorLeave.starts_on)
        )
    ).scalars()
    conflicts = (
        await session.execute(
            select(ConflictDeclaration).where(ConflictDeclaration.profile_id == profile.id,
                                              ConflictDeclaration.withdrawn_at.is_(None))
            .order_by(ConflictDeclaration.id)
        )
    ).scalars()
    stats = summarise_outcomes((await outcome_counts(session, [profile.user_id]))[profile.user_id])
    return {
        **public_mediator(profile, name),
        "max_concurrent_cases": profile.max_concurrent_cases,
        "open_cases": profile.open_cases,
        "status_reason": profile.status_reason,
        "availability": [{"weekday": w.weekday, "start_minute": w.start_minute,
                          "end_minute": w.end_minute} for w in windows],
        "leaves": [{"id": lv.id, "starts_on": lv.starts_on, "ends_on": lv.ends_on,
                    "reason": lv.reason, "current": lv.starts_on <= local_day(now) <= lv.ends_on}
                   for lv in leaves],
        "conflicts": [{"id": c.id, "kind": c.kind, "name": c.name, "id_doc_last4": c.id_doc_last4,
                       "note": c.note, "declared_at": c.declared_at} for c in conflicts],
        "statistics": stats,
    }
