"""The institution admin's side: mediator profiles, hours, leave, conflicts and status.

Only an admin of the mediator's institution manages it; the mediator itself
keeps its own hours, leave and conflict declarations (``odr.policy``
``MEDIATOR_*``). Every change is audited. Suspending a mediator, or recording
that it left, hands each of its open cases to another mediator with notice to
the parties; the cases' deadlines stay as they are.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from mediators.assignment import live_assignment
from mediators.facts import name_key
from mediators.models import (
    LIVE_ASSIGNMENT,
    Assignment,
    ConflictDeclaration,
    MediatorLeave,
    MediatorProfile,
    MediatorStatus,
    WeeklyAvailability,
)
from odr.accounts.models import Membership, Role, User
from odr.accounts.service import DOC_CONTEXT
from odr.audit.chain import record
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound, ValidationFailed
from odr.orgs.models import Institution
from odr.policy import Actor, MediatorView, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

PARTY_DOC_CONTEXT = "case_party.id_doc"  # the context case parties' ID numbers are hashed in


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


async def load_profile(uow: UnitOfWork, user_id: int, *, lock: bool = False) -> MediatorProfile:
    stmt = select(MediatorProfile).where(MediatorProfile.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    profile = (await uow.session.execute(stmt)).scalar_one_or_none()
    if profile is None:
        raise NotFound("no mediator profile for this user")
    return profile


async def authorized_profile(
    uow: UnitOfWork, actor: Actor, user_id: int, permission: Permission, *, lock: bool = False
) -> MediatorProfile:
    profile = await load_profile(uow, user_id, lock=lock)
    authorize(actor, permission, MediatorView(institution_id=profile.institution_id, user_id=user_id))
    return profile


async def _audit(uow: UnitOfWork, services: Services, actor: Actor, action: str, user_id: int,
                 data: dict[str, Any]) -> None:
    await record(uow, services.clock, action=f"mediator.{action}", actor_id=actor.user_id,
                 actor_label=f"{actor.role}#{actor.user_id}", subject_type="mediator",
                 subject_id=user_id, data=data)


def check_specialties(specialties: list[str], institution: Institution) -> None:
    allowed = set(institution.categories or [])
    if not specialties:
        raise _invalid("specialties", "give at least one specialty")
    if len(set(specialties)) != len(specialties):
        raise _invalid("specialties", "a specialty is listed twice")
    outside = [s for s in specialties if s not in allowed]
    if outside:
        raise _invalid("specialties", f"{institution.name_zh} does not take {', '.join(outside)} "
                       "disputes; a mediator's specialties are among its institution's categories")


async def create_profile(
    services: Services, actor: Actor, institution_id: int, values: dict[str, Any]
) -> MediatorProfile:
    """A profile for a mediator account of the institution (the platform admin creates accounts)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        authorize(actor, Permission.MEDIATOR_MANAGE, MediatorView(institution_id=institution_id))
        institution = await uow.session.get(Institution, institution_id)
        if institution is None:
            raise NotFound("no such institution")
        user_id = int(values.pop("user_id"))
        user = await uow.session.get(User, user_id)
        member = (
            await uow.session.execute(
                select(Membership.id).where(Membership.user_id == user_id,
                                            Membership.institution_id == institution_id)
            )
        ).first()
        if user is None or user.role != Role.MEDIATOR or member is None:
            raise _invalid("user_id", "no mediator account of this institution has this id")
        if (await uow.session.execute(
                select(MediatorProfile.id).where(MediatorProfile.user_id == user_id))).first():
            raise Conflict("this mediator already has a profile", code="profile_exists")
        check_specialties(values["specialties"], institution)
        profile = MediatorProfile(user_id=user_id, institution_id=institution_id, open_cases=0,
                                  status=MediatorStatus.ACTIVE, party_lookup=_party_lookup(services, user),
                                  created_at=now, updated_at=now, **values)
        uow.session.add(profile)
        await uow.session.flush()
        await _audit(uow, services, actor, "profile_created", user_id,
                     {"institution_id": institution_id, **values})
        return profile


def _party_lookup(services: Services, user: User) -> str | None:
    """The mediator's ID number hashed as case parties' are, for automatic conflicts (L7)."""
    if user.id_doc_number_enc is None:
        return None
    number = services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT)
    return services.crypto.lookup_hash(number, context=PARTY_DOC_CONTEXT)


async def update_profile(
    services: Services, actor: Actor, user_id: int, values: dict[str, Any]
) -> MediatorProfile:
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_MANAGE, lock=True)
        if "specialties" in values:
            institution = await uow.session.get(Institution, profile.institution_id)
            assert institution is not None
            check_specialties(values["specialties"], institution)
        capacity = values.get("max_concurrent_cases")
        if capacity is not None and capacity < profile.open_cases:
            raise Conflict(f"the mediator has {profile.open_cases} open cases; the maximum cannot "
                           "be lower (reassign cases first)", code="below_load")
        for key, value in values.items():
            setattr(profile, key, value)
        profile.updated_at = services.clock.now()
        await _audit(uow, services, actor, "profile_updated", user_id, values)
        return profile


async def set_availability(
    services: Services, actor: Actor, user_id: int, windows: list[tuple[int, int, int]]
) -> None:
    """Replace the weekly hours (weekday, start minute, end minute), local time."""
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_SELF_UPDATE)
        await uow.session.execute(
            delete(WeeklyAvailability).where(WeeklyAvailability.profile_id == profile.id)
        )
        for weekday, start, end in windows:
            uow.session.add(WeeklyAvailability(profile_id=profile.id, weekday=weekday,
                                               start_minute=start, end_minute=end))
        await _audit(uow, services, actor, "availability_set", user_id,
                     {"windows": [list(w) for w in windows]})


async def add_leave(
    services: Services, actor: Actor, user_id: int, *, starts_on: date, ends_on: date, reason: str
) -> MediatorLeave:
    if ends_on < starts_on:
        raise _invalid("ends_on", "the leave ends before it starts")
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_SELF_UPDATE)
        leave = MediatorLeave(profile_id=profile.id, starts_on=starts_on, ends_on=ends_on,
                              reason=reason, created_at=services.clock.now())
        uow.session.add(leave)
        await uow.session.flush()
        await _audit(uow, services, actor, "leave_added", user_id,
                     {"leave_id": leave.id, "starts_on": starts_on.isoformat(),
                      "ends_on": ends_on.isoformat()})
        return leave


async def cancel_leave(services: Services, actor: Actor, user_id: int, leave_id: int) -> None:
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_SELF_UPDATE)
        leave = await uow.session.get(MediatorLeave, leave_id)
        if leave is None or leave.profile_id != profile.id or leave.cancelled_at is not None:
            raise NotFound("no such leave")
        leave.cancelled_at = services.clock.now()
        await _audit(uow, services, actor, "leave_cancelled", user_id, {"leave_id": leave_id})


async def declare_conflict(
    services: Services, actor: Actor, user_id: int, *, kind: str, name: str,
    id_doc_number: str | None, note: str,
) -> ConflictDeclaration:
    """A person or organisation the mediator must not mediate for or against (L7)."""
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_SELF_UPDATE)
        number = (id_doc_number or "").strip().upper() or None
        declaration = ConflictDeclaration(
            profile_id=profile.id, kind=kind, name=name, name_key=name_key(name),
            id_doc_lookup=services.crypto.lookup_hash(number, context=PARTY_DOC_CONTEXT) if number else None,
            id_doc_last4=number[-4:] if number else None, note=note,
            declared_by_id=actor.user_id, declared_at=services.clock.now(),
        )
        uow.session.add(declaration)
        await uow.session.flush()
        await _audit(uow, services, actor, "conflict_declared", user_id,
                     {"declaration_id": declaration.id, "kind": kind, "name": name,
                      "id_doc_last4": declaration.id_doc_last4})
        return declaration


async def withdraw_conflict(services: Services, actor: Actor, user_id: int, declaration_id: int) -> None:
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_SELF_UPDATE)
        found = await uow.session.get(ConflictDeclaration, declaration_id)
        if found is None or found.profile_id != profile.id or found.withdrawn_at is not None:
            raise NotFound("no such conflict declaration")
        found.withdrawn_at = services.clock.now()
        await _audit(uow, services, actor, "conflict_withdrawn", user_id,
                     {"declaration_id": declaration_id})


async def set_status(
    services: Services, actor: Actor, user_id: int, *, status: MediatorStatus, reason: str
) -> list[int]:
    """Activate, suspend or record that a mediator left; returns the cases handed on.

    The status changes first (so no new case can reach the mediator: its slot
    reservation requires ``active``), then each open case is replaced in its
    own transaction: the parties are told, a worker assigns another mediator,
    the deadlines stay. Calling it again finishes what a crash left undone.
    """
    async with services.db.uow() as uow:
        profile = await authorized_profile(uow, actor, user_id, Permission.MEDIATOR_MANAGE, lock=True)
        previous = profile.status
        profile.status = status
        profile.status_reason = reason
        profile.updated_at = services.clock.now()
        await _audit(uow, services, actor, "status_changed", user_id,
                     {"from": previous, "to": str(status), "reason": reason})
    if status == MediatorStatus.ACTIVE:
        return []
    cause = "mediator_suspended" if status == MediatorStatus.SUSPENDED else "mediator_left"
    async with services.db.reader() as uow:
        case_ids = list((await uow.session.execute(
            select(Assignment.case_id).where(Assignment.mediator_id == user_id,
                                             Assignment.status.in_(LIVE_ASSIGNMENT))
            .order_by(Assignment.case_id)
        )).scalars())
    handed_on = []
    for case_id in case_ids:
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, case_id)
            current = await live_assignment(uow, case.id)
            if current is None or current.mediator_id != user_id:
                continue
            if case.status not in (CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION):
                continue
            await transition(uow, services, case, CaseEventKind.REPLACE_MEDIATOR, Who.of(actor),
                             reason=reason, data={"cause": cause, "mediator_id": user_id})
            handed_on.append(case_id)
    return handed_on
