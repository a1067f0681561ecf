"""Review of a new case: the queue, start/accept/reject, and the applicant's fix and resubmission.

Who reviews (``odr.policy.reviews_case``): admins of the case's institution,
or, while a self-filed case has none, of the institution its applicant
preferred; and judges and clerks of the case's court (court-side review of a
referral). Every status change goes through ``odr.cases.transitions.transition``
(timeline, audit, hooks; 409 when the state machine forbids it).

An institution admin's acceptance also assigns the case to that institution
(ACCEPT, then ASSIGN_INSTITUTION), so the case ends ``institution_assigned``;
a court's acceptance leaves it ``accepted``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from odr.accounts.models import Role
from odr.cases.intake.filing import party_row
from odr.cases.intake.money import cny_to_fen, fen_to_cny
from odr.cases.intake.routing import reviewing_institution, route_application
from odr.cases.intake.schemas import AmendIn, QueueItem, QueueQuery, ReviewQueue
from odr.cases.intake.service import institution_for
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import Case, CaseParticipant, CaseParty, CaseRole, Consent, Side
from odr.cases.queries import case_view
from odr.cases.transitions import Who, add_event, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden
from odr.policy import Actor, CaseView, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

AWAITING_REVIEW = (CaseStatus.SUBMITTED, CaseStatus.UNDER_REVIEW)


async def review_view(uow: UnitOfWork, case: Case, now: datetime) -> CaseView:
    """The policy view of ``case`` with the institution that reviews it while it has none:
    the one its applicant preferred, else the one routing proposed."""
    view = await case_view(uow.session, case, now)
    reviewer = case.preferred_institution_id or case.proposed_institution_id
    return replace(view, preferred_institution_id=reviewer)


async def _load(
    uow: UnitOfWork, services: Services, actor: Actor, case_id: int, permission: Permission
) -> Case:
    case = await load_case_for_update(uow, case_id)
    authorize(actor, permission, await review_view(uow, case, services.clock.now()))
    return case


# ---------------------------------------------------------------- queue


def queue_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Cases awaiting this actor's review (None: the actor reviews nothing)."""
    conditions: list[ColumnElement[bool]] = []
    if actor.role == Role.INSTITUTION_ADMIN and actor.institution_ids:
        mine = sorted(actor.institution_ids)
        conditions.append(Case.institution_id.in_(mine))
        conditions.append(and_(Case.institution_id.is_(None),
                               Case.preferred_institution_id.in_(mine)))
        # No preference: the institution routing proposed reviews it (odr.cases.intake.routing).
        conditions.append(and_(Case.institution_id.is_(None),
                               Case.preferred_institution_id.is_(None),
                               Case.proposed_institution_id.in_(mine)))
    if actor.role in (Role.JUDGE, Role.CLERK) and actor.court_ids:
        conditions.append(Case.court_id.in_(sorted(actor.court_ids)))
    if not conditions:
        return None
    return and_(Case.status.in_([str(s) for s in AWAITING_REVIEW]), or_(*conditions))


async def review_queue(services: Services, actor: Actor, query: QueueQuery) -> ReviewQueue:
    """Oldest submission first, with the parties' names."""
    scope = queue_scope(actor)
    if scope is None:
        return ReviewQueue(items=[], total=0)
    async with services.db.reader() as uow:
        total = (await uow.session.execute(
            select(func.count()).select_from(Case).where(scope))).scalar_one()
        cases = list((await uow.session.execute(
            select(Case).where(scope).order_by(Case.submitted_at, Case.id)
            .limit(query.limit).offset(query.offset))).scalars())
        names: dict[tuple[int, str], list[str]] = {}
        if cases:
            rows = (await uow.session.execute(
                select(CaseParty.case_id, CaseParty.side, CaseParty.name)
                .where(CaseParty.case_id.in_([c.id for c in cases])).order_by(CaseParty.id)
            )).all()
            for case_id, side, name in rows:
                names.setdefault((case_id, side), []).append(name)
    items = [
        QueueItem(
            id=c.id, number=c.number, title=c.title, category=c.category, channel=c.channel,
            status=c.status, claim_amount=fen_to_cny(c.claim_amount_fen),
            claim_amount_fen=c.claim_amount_fen,
            applicants=names.get((c.id, Side.APPLICANT), []),
            respondents=names.get((c.id, Side.RESPONDENT), []),
            institution_id=c.institution_id, preferred_institution_id=c.preferred_institution_id,
            proposed_institution_id=c.proposed_institution_id, court_id=c.court_id, submitted_at=c.submitted_at,
        )
        for c in cases
    ]
    return ReviewQueue(items=items, total=total)


# ---------------------------------------------------------------- decisions


async def start_review(services: Services, actor: Actor, case_id: int) -> Case:
    async with services.db.uow() as uow:
        case = await _load(uow, services, actor, case_id, Permission.CASE_REVIEW)
        await transition(uow, services, case, CaseEventKind.START_REVIEW, Who.of(actor))
    return case


async def accept(services: Services, actor: Actor, case_id: int) -> Case:
    """Accept; an institution admin's acceptance assigns the case to its institution."""
    async with services.db.uow() as uow:
        case = await _load(uow, services, actor, case_id, Permission.CASE_REVIEW)
        case.accepted_at = services.clock.now()  # before the transition: its hooks read it
        await transition(uow, services, case, CaseEventKind.ACCEPT, Who.of(actor))
        if actor.role == Role.INSTITUTION_ADMIN:
            institution_id = reviewing_institution(case)
            if institution_id is not None:
                case.institution_id = institution_id
                await transition(uow, services, case, CaseEventKind.ASSIGN_INSTITUTION,
                                 Who.of(actor), data={"institution_id": institution_id})
    return case


async def reject(services: Services, actor: Actor, case_id: int, reason: str) -> Case:
    """Send the application back with a reason the applicant sees and can act on."""
    async with services.db.uow() as uow:
        case = await _load(uow, services, actor, case_id, Permission.CASE_REVIEW)
        case.rejection_reason = reason
        await transition(uow, services, case, CaseEventKind.REJECT, Who.of(actor), reason=reason)
    return case


# ---------------------------------------------------------------- the applicant's side


async def _require_applicant_side(uow: UnitOfWork, actor: Actor, case: Case, now: datetime) -> None:
    """An agent passes the policy for either side; here it must be an applicant's agent."""
    view = await case_view(uow.session, case, now)
    if "applicant" in view.roles_of(actor.user_id):
        return
    side = (await uow.session.execute(
        select(CaseParty.side).join(CaseParticipant, CaseParticipant.party_id == CaseParty.id)
        .where(CaseParticipant.case_id == case.id, CaseParticipant.user_id == actor.user_id,
               CaseParticipant.role == CaseRole.AGENT)
    )).scalars().all()
    if Side.APPLICANT not in side:
        raise Forbidden("only the applicant (or its agent) changes or resubmits the application")


def _must_be_rejected(case: Case, doing: str) -> None:
    if case.status != CaseStatus.REJECTED:
        raise Conflict(
            f"the application can be {doing} only after it was rejected; this case is {case.status}",
            code="illegal_transition", details={"status": case.status},
        )


async def amend(services: Services, actor: Actor, case_id: int, body: AmendIn) -> Case:
    """Fix a rejected application. Respondents, when given, replace the ones named before."""
    async with services.db.uow() as uow:
        case = await _load(uow, services, actor, case_id, Permission.CASE_AMEND)
        now = services.clock.now()
        await _require_applicant_side(uow, actor, case, now)
        _must_be_rejected(case, "changed")
        if body.preferred_institution_id is not None:
            await institution_for(uow, body.preferred_institution_id, category=body.category,
                                  field="preferred_institution_id")
        values: dict[str, Any] = {
            "title": body.title, "category": body.category,
            "claim_amount_fen": cny_to_fen(body.claim_amount), "claims": body.claims,
            "facts": body.facts, "preferred_institution_id": body.preferred_institution_id,
        }
        changed = [name for name, new in values.items() if getattr(case, name) != new]
        for name in changed:
            setattr(case, name, values[name])
        if body.respondents is not None:
            await _replace_respondents(uow, services, case, body, now)
            changed.append("respondents")
        if "preferred_institution_id" in changed or "category" in changed:
            await route_application(uow, services, case)  # the choice wins; else propose again
        case.updated_at = now
        await add_event(uow, services, case, "application_amended", Who.of(actor),
                        data={"fields": changed})
    return case


async def _replace_respondents(
    uow: UnitOfWork, services: Services, case: Case, body: AmendIn, now: datetime
) -> None:
    """Rewrite the respondent parties in place; refused once one of them took part."""
    assert body.respondents is not None
    old = list((await uow.session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.side == Side.RESPONDENT)
        .order_by(CaseParty.id))).scalars())
    ids = [p.id for p in old]
    answered = (await uow.session.execute(
        select(func.count()).select_from(Consent).where(Consent.party_id.in_(ids)))).scalar_one()
    if answered or any(p.user_id is not None for p in old):
        raise Conflict("a respondent has already taken part; its details can no longer be replaced",
                       code="respondent_engaged")
    for i, new in enumerate(body.respondents):
        fresh = party_row(services, case.id, Side.RESPONDENT, new, now)
        if i < len(old):
            for column in ("kind", "name", "id_doc_type", "id_doc_number_enc", "id_doc_lookup",
                           "id_doc_last4", "legal_representative", "mobile", "address"):
                setattr(old[i], column, getattr(fresh, column))
        else:
            uow.session.add(fresh)
    for surplus in old[len(body.respondents):]:
        await uow.session.delete(surplus)
    await uow.session.flush()


async def resubmit(services: Services, actor: Actor, case_id: int) -> Case:
    """Back to ``submitted`` for another review; the old reason stays in the timeline."""
    async with services.db.uow() as uow:
        case = await _load(uow, services, actor, case_id, Permission.CASE_AMEND)
        now = services.clock.now()
        await _require_applicant_side(uow, actor, case, now)
        _must_be_rejected(case, "resubmitted")
        case.rejection_reason = None
        case.submitted_at = now
        await transition(uow, services, case, CaseEventKind.RESUBMIT, Who.of(actor))
    return case
