"""Giving a case to a mediator, taking it back, and the admin queue when no one can take it.

Every function runs in the caller's unit of work, on a case the caller loaded
for update (``odr.cases.transitions.load_case_for_update``). Assigning is the
``ASSIGN_MEDIATOR`` transition plus: one slot of the mediator's capacity
(``mediators.capacity.reserve_slot``, the database guarantee), an
``Assignment`` row with its explanation, ``Case.mediator_id`` and a running
``CaseParticipant`` of role mediator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mediators.capacity import release_slot, reserve_slot
from mediators.engine import Proposal, propose
from mediators.models import (
    LIVE_ASSIGNMENT,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    ConflictDisclosure,
    DisclosureStatus,
    MediatorProfile,
    QueueItem,
)
from mediators.notices import notify_institution_admins
from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import Case, CaseParticipant, CaseRole, EventVisibility
from odr.cases.transitions import Who, add_event, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from odr.services import Services

E = CaseEventKind


async def live_assignment(uow: UnitOfWork, case_id: int) -> Assignment | None:
    """The assignment waiting for an answer or accepted, if any."""
    return (
        await uow.session.execute(
            select(Assignment)
            .where(Assignment.case_id == case_id, Assignment.status.in_(LIVE_ASSIGNMENT))
            .order_by(Assignment.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def ensure_institution(
    uow: UnitOfWork, services: Services, case: Case, who: Who, *, institution_id: int | None,
    explanation: dict[str, Any] | None = None,
) -> None:
    """Move an accepted case to ``institution_assigned`` (with ``institution_id``, or its own)."""
    if case.status != CaseStatus.ACCEPTED:
        return
    target = institution_id or case.institution_id
    if target is None:
        raise Conflict("the case has no institution yet; choose one first", code="no_institution")
    case.institution_id = target
    await transition(uow, services, case, E.ASSIGN_INSTITUTION, who,
                     data={"institution_id": target, **({"rule": explanation.get("why")}
                                                        if explanation else {})})


async def try_assign(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    mediator_id: int,
    *,
    method: AssignmentMethod,
    who: Who,
    explanation: dict[str, Any],
    reason: str | None = None,
    replaces_id: int | None = None,
    party_replacement: bool = False,
) -> Assignment | None:
    """Assign if the mediator still has room (None if not: nothing was written)."""
    profile = (
        await uow.session.execute(select(MediatorProfile).where(MediatorProfile.user_id == mediator_id))
    ).scalar_one_or_none()
    if profile is None:
        raise ValidationFailed("no mediator profile for this user", code="unknown_mediator",
                               details=[{"field": "mediator_id"}])
    if case.institution_id is not None and profile.institution_id != case.institution_id:
        raise ValidationFailed("the mediator belongs to another institution than the case's",
                               code="mediator_institution_mismatch",
                               details=[{"field": "mediator_id"}])
    if case.status != CaseStatus.INSTITUTION_ASSIGNED or case.mediator_id is not None:
        raise Conflict(f"a case that is {case.status} cannot get a mediator now",
                       code="illegal_transition")
    if not await reserve_slot(uow, mediator_id):
        return None
    now = services.clock.now()
    user = await uow.session.get(User, mediator_id)
    assignment = Assignment(
        case_id=case.id, mediator_id=mediator_id, institution_id=profile.institution_id,
        method=method, status=AssignmentStatus.PENDING, holds_slot=True,
        explanation={**explanation, "method": str(method), "at": now.isoformat()},
        reason=reason, assigned_by_id=who.user_id, replaces_id=replaces_id,
        party_replacement=party_replacement, assigned_at=now,
    )
    uow.session.add(assignment)
    await uow.session.flush()
    case.mediator_id = mediator_id
    participation = (
        await uow.session.execute(
            select(CaseParticipant).where(
                CaseParticipant.case_id == case.id, CaseParticipant.user_id == mediator_id,
                CaseParticipant.role == CaseRole.MEDIATOR,
            )
        )
    ).scalar_one_or_none()
    if participation is None:
        uow.session.add(CaseParticipant(case_id=case.id, user_id=mediator_id,
                                        role=CaseRole.MEDIATOR, created_at=now))
    else:
        participation.ends_at = None
    await uow.session.flush()
    await transition(
        uow, services, case, E.ASSIGN_MEDIATOR, who, reason=reason,
        data={"mediator_id": mediator_id, "mediator_name": user.real_name if user else "",
              "institution_id": profile.institution_id, "method": str(method),
              "assignment_id": assignment.id},
    )
    await resolve_queue(uow, services, case.id, who)
    return assignment


async def assign(
    uow: UnitOfWork, services: Services, case: Case, mediator_id: int, **kwargs: Any
) -> Assignment:
    """Like ``try_assign``, but a full mediator is a 409 the caller shows."""
    assignment = await try_assign(uow, services, case, mediator_id, **kwargs)
    if assignment is None:
        raise Conflict("this mediator has no capacity left (or is no longer active); "
                       "choose another mediator", code="mediator_full")
    return assignment


async def end_assignment(
    uow: UnitOfWork, services: Services, case: Case, assignment: Assignment,
    status: AssignmentStatus, reason: str | None,
) -> None:
    """The mediator leaves the case: slot released, participation ended, case without mediator."""
    now = services.clock.now()
    assignment.status = status
    assignment.ended_at = now
    assignment.end_reason = reason
    if status in (AssignmentStatus.DECLINED, AssignmentStatus.TIMED_OUT):
        assignment.responded_at = assignment.responded_at or now
        assignment.decline_reason = reason
    if assignment.holds_slot:
        assignment.holds_slot = False
        await release_slot(uow, assignment.mediator_id)
    for participation in (
        await uow.session.execute(
            select(CaseParticipant).where(
                CaseParticipant.case_id == case.id,
                CaseParticipant.user_id == assignment.mediator_id,
                CaseParticipant.role == CaseRole.MEDIATOR,
            )
        )
    ).scalars():
        if participation.ends_at is None or participation.ends_at > now:
            participation.ends_at = now
    if case.mediator_id == assignment.mediator_id:
        case.mediator_id = None
    for disclosure in (
        await uow.session.execute(
            select(ConflictDisclosure).where(ConflictDisclosure.assignment_id == assignment.id,
                                             ConflictDisclosure.status == DisclosureStatus.OPEN)
        )
    ).scalars():  # the mediator left: nothing is left to agree to
        disclosure.status = DisclosureStatus.REPLACED
        disclosure.resolved_at = now


async def release_assignment(uow: UnitOfWork, services: Services, case: Case) -> None:
    """The case ended: the mediator keeps its place in the case but no longer its slot."""
    assignment = await live_assignment(uow, case.id)
    if assignment is None:
        return
    assignment.status = AssignmentStatus.RELEASED
    assignment.ended_at = services.clock.now()
    assignment.end_reason = f"the case is {case.status}"
    if assignment.holds_slot:
        assignment.holds_slot = False
        await release_slot(uow, assignment.mediator_id)


async def queue_for_admin(
    uow: UnitOfWork, services: Services, case: Case, *, code: str, reason: str,
    details: dict[str, Any] | None = None,
) -> QueueItem:
    """Put the case in its institution admins' queue with the reason (one open item per case)."""
    now = services.clock.now()
    item = (
        await uow.session.execute(
            select(QueueItem).where(QueueItem.case_id == case.id, QueueItem.resolved_at.is_(None))
        )
    ).scalar_one_or_none()
    if item is None:
        item = QueueItem(case_id=case.id, institution_id=case.institution_id, reason_code=code,
                         reason=reason, details=details or {}, created_at=now)
        uow.session.add(item)
        await uow.session.flush()
    else:
        item.reason_code, item.reason, item.details = code, reason, details or {}
        item.institution_id = case.institution_id
    await add_event(uow, services, case, "assignment_queued", Who.system("assignment engine"),
                    data={"reason_code": code, "reason": reason, "queue_item_id": item.id},
                    visibility=EventVisibility.STAFF)
    await notify_institution_admins(uow, services, case, template="assignment_queued",
                                    context={"reason": reason}, key=f"queue:{item.id}:{code}")
    return item


async def resolve_queue(uow: UnitOfWork, services: Services, case_id: int, who: Who) -> None:
    for item in (
        await uow.session.execute(
            select(QueueItem).where(QueueItem.case_id == case_id, QueueItem.resolved_at.is_(None))
        )
    ).scalars():
        item.resolved_at = services.clock.now()
        item.resolved_by_id = who.user_id


async def auto_assign(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    *,
    who: Who,
    method: AssignmentMethod,
    cause: str,
    replaces_id: int | None = None,
    party_replacement: bool = False,
    proposal: Proposal | None = None,
) -> Assignment | None:
    """Assign the engine's best mediator that still has room; else queue the case for its admins.

    Never a mediator who already held or declined this case (L6). Candidates
    are tried best first: another worker may have filled one since the ranking.
    """
    proposal = proposal or await propose(uow, services, case)
    if case.status == CaseStatus.ACCEPTED:
        if proposal.case.institution_id is None:
            await queue_for_admin(
                uow, services, case, code="no_institution",
                reason="no active institution with a mediator takes this dispute category",
                details=proposal.institution.explanation if proposal.institution else {},
            )
            return None
        await ensure_institution(
            uow, services, case, who, institution_id=proposal.case.institution_id,
            explanation=proposal.institution.explanation if proposal.institution else None,
        )
    for scored in proposal.ranking.candidates:
        explanation = proposal.explain(scored.mediator.user_id, rule=f"engine ({cause})")
        assignment = await try_assign(
            uow, services, case, scored.mediator.user_id, method=method, who=who,
            explanation=explanation, reason=cause, replaces_id=replaces_id,
            party_replacement=party_replacement,
        )
        if assignment is not None:
            return assignment
    reason = (proposal.ranking.why_none() if not proposal.ranking.candidates
              else "every eligible mediator reached capacity while assigning")
    await queue_for_admin(uow, services, case, code="no_eligible_mediator", reason=reason,
                          details={"refused": proposal.ranking.refusal_counts(), "cause": cause})
    return None


async def audit_override(
    uow: UnitOfWork, services: Services, case: Case, who: Who, *, mediator_id: int, reason: str,
    previous_id: int | None,
) -> None:
    await record(
        uow, services.clock, action="mediator.override", actor_id=who.user_id,
        actor_label=who.label, subject_type="case", subject_id=case.id,
        data={"number": case.number, "mediator_id": mediator_id, "previous_mediator_id": previous_id,
              "reason": reason},
    )
