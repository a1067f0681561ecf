"""Choosing the mediator of a case: jointly by the parties (L5), by staff, or by override.

Each operation is one unit of work on the case locked for update; the policy
is asked first (``odr.policy``), then the rules, then the transition. Bad
input is a 4xx before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mediators.assignment import (
    assign,
    audit_override,
    auto_assign,
    end_assignment,
    ensure_institution,
    live_assignment,
)
from mediators.engine import Proposal, propose
from mediators.models import (
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    MediatorChoice,
)
from mediators.parties import acting_party, party_ids
from mediators.scoring import RULE_TEXT, Rule
from odr.cases.deadlines.service import DeadlineKind, find_live_deadline
from odr.cases.lifecycle import CaseEventKind, CaseStatus
from odr.cases.models import Case, CaseParty
from odr.cases.queries import case_view
from odr.cases.transitions import Who, add_event, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, ValidationFailed
from odr.orgs.models import Institution
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

# An admin's override may set these aside; status, conflict and capacity never.
OVERRIDABLE = frozenset({Rule.SPECIALTY, Rule.AVAILABILITY, Rule.EXCLUDED})


async def _case(uow: UnitOfWork, services: Services, actor: Actor, case_id: int,
                permission: Permission) -> Case:
    case = await load_case_for_update(uow, case_id)
    authorize(actor, permission, await case_view(uow.session, case, services.clock.now()))
    return case


def _refuse(rules: list[Rule], field: str = "mediator_id") -> ValidationFailed:
    return ValidationFailed(
        f"this mediator cannot take the case: {RULE_TEXT[rules[0]]}", code="mediator_not_eligible",
        details=[{"field": field, "rules": [str(r) for r in rules],
                  "message": "; ".join(RULE_TEXT[r] for r in rules)}],
    )


def _require_eligible(proposal: Proposal, mediator_id: int, ignore: frozenset[Rule] = frozenset()) -> None:
    if any(s.mediator.user_id == mediator_id for s in proposal.ranking.candidates):
        return
    rules = [r for r in proposal.ranking.refused.get(mediator_id, []) if r not in ignore]
    if rules:
        raise _refuse(rules)
    if mediator_id not in {m.user_id for m in proposal.mediators}:
        raise ValidationFailed("no active mediator of the case's institution has this id",
                               code="unknown_mediator", details=[{"field": "mediator_id"}])


async def _institution_for_case(uow: UnitOfWork, case: Case, institution_id: int) -> Institution:
    inst = await uow.session.get(Institution, institution_id)
    if inst is None or not inst.active:
        raise ValidationFailed("no active institution has this id", code="unknown_institution",
                               details=[{"field": "institution_id"}])
    if case.category not in (inst.categories or []):
        raise ValidationFailed(f"{inst.name_zh} does not mediate {case.category} disputes",
                               code="institution_category_mismatch",
                               details=[{"field": "institution_id"}])
    if case.institution_id is not None and case.institution_id != institution_id:
        raise ValidationFailed("the case already has another institution",
                               code="institution_mismatch", details=[{"field": "institution_id"}])
    return inst


# ---------------------------------------------------------------- L5: the parties choose


@dataclass
class ChoiceResult:
    chosen: int  # parties that chose this mediator
    parties: int
    assignment: Assignment | None


async def choose(
    services: Services, actor: Actor, case_id: int, *, institution_id: int, mediator_id: int,
    party_id: int | None,
) -> ChoiceResult:
    """Record one party's choice; when every party chose the same eligible mediator, assign (L5)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.MEDIATOR_CHOOSE)
        if await find_live_deadline(uow, case.id, DeadlineKind.CHOOSE_MEDIATOR) is None:
            raise Conflict("the time to choose a mediator together has passed or never opened "
                           "(L5: 2 working days once every party agreed to mediate online); "
                           "the institution or court designates one", code="choice_closed")
        party = await acting_party(uow.session, case.id, actor, now, party_id)
        await _institution_for_case(uow, case, institution_id)
        proposal = await propose(uow, services, case, institution_id=institution_id,
                                 institution_rule="L5: chosen by the parties from the roster")
        _require_eligible(proposal, mediator_id)
        uow.session.add(MediatorChoice(case_id=case.id, party_id=party, institution_id=institution_id,
                                       mediator_id=mediator_id, by_user_id=actor.user_id or 0, at=now))
        await uow.session.flush()
        side = (await uow.session.get(CaseParty, party)).side  # type: ignore[union-attr]
        await add_event(uow, services, case, "mediator_chosen", Who.of(actor),
                        data={"party_id": party, "side": side, "institution_id": institution_id,
                              "mediator_id": mediator_id})
        latest = await latest_choices(uow, case.id)
        everyone = await party_ids(uow.session, case.id)
        same = [p for p in everyone if latest.get(p) == (institution_id, mediator_id)]
        assignment = None
        if len(same) == len(everyone):
            await ensure_institution(uow, services, case, Who.of(actor), institution_id=institution_id)
            explanation = proposal.explain(mediator_id, rule="L5: every party chose this mediator")
            explanation["choices"] = [{"party_id": p, "institution_id": institution_id,
                                       "mediator_id": mediator_id} for p in everyone]
            assignment = await assign(uow, services, case, mediator_id,
                                      method=AssignmentMethod.JOINT_CHOICE, who=Who.of(actor),
                                      explanation=explanation, reason="L5 joint choice")
        return ChoiceResult(chosen=len(same), parties=len(everyone), assignment=assignment)


async def latest_choices(uow: UnitOfWork, case_id: int) -> dict[int, tuple[int, int]]:
    rows = (
        await uow.session.execute(
            select(MediatorChoice).where(MediatorChoice.case_id == case_id)
            .order_by(MediatorChoice.at, MediatorChoice.id)
        )
    ).scalars()
    return {c.party_id: (c.institution_id, c.mediator_id) for c in rows}


# ---------------------------------------------------------------- staff: propose, designate


async def proposal_for(services: Services, actor: Actor, case_id: int) -> tuple[Case, Proposal]:
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        if case is None:
            from odr.errors import NotFound

            raise NotFound("no such case")
        authorize(actor, Permission.MEDIATOR_DESIGNATE,
                  await case_view(uow.session, case, services.clock.now()))
        return case, await propose(uow, services, case)


async def designate(
    services: Services, actor: Actor, case_id: int, *, mediator_id: int | None,
    institution_id: int | None, note: str | None,
) -> Assignment | None:
    """Staff designate: the engine's best (no mediator given) or an eligible one they pick (L5)."""
    who = Who.of(actor)
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.MEDIATOR_DESIGNATE)
        if case.mediator_id is not None:
            raise Conflict("the case already has a mediator", code="already_assigned")
        choice = await find_live_deadline(uow, case.id, DeadlineKind.CHOOSE_MEDIATOR)
        if choice is not None:
            raise Conflict(f"the parties may still choose a mediator together until "
                           f"{choice.last_day.isoformat()} (L5)", code="parties_choosing")
        if institution_id is not None:
            await _institution_for_case(uow, case, institution_id)
        proposal = await propose(uow, services, case, institution_id=institution_id,
                                 institution_rule="L5: designated by staff")
        if mediator_id is None:
            return await auto_assign(uow, services, case, who=who, method=AssignmentMethod.DESIGNATED,
                                     cause=note or "designated on the engine's proposal",
                                     proposal=proposal)
        _require_eligible(proposal, mediator_id)
        await ensure_institution(uow, services, case, who, institution_id=proposal.case.institution_id,
                                 explanation=proposal.institution.explanation if proposal.institution else None)
        return await assign(uow, services, case, mediator_id, method=AssignmentMethod.DESIGNATED,
                            who=who, reason=note,
                            explanation=proposal.explain(mediator_id, rule="designated by staff"))


async def override(
    services: Services, actor: Actor, case_id: int, *, mediator_id: int, reason: str
) -> Assignment:
    """The institution admin puts a mediator of its choice on the case, with a reason (audited)."""
    who = Who.of(actor)
    async with services.db.uow() as uow:
        case = await _case(uow, services, actor, case_id, Permission.MEDIATOR_OVERRIDE)
        if case.mediator_id == mediator_id:
            raise Conflict("this mediator already has the case", code="already_assigned")
        proposal = await propose(uow, services, case, exclude_previous=True, ignore=OVERRIDABLE)
        _require_eligible(proposal, mediator_id, ignore=OVERRIDABLE)
        current = await live_assignment(uow, case.id)
        previous = current.mediator_id if current else None
        if case.status in (CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION):
            await transition(uow, services, case, CaseEventKind.REPLACE_MEDIATOR, who, reason=reason,
                             data={"cause": "override", "reassign": False})
        elif current is not None:  # defensive: a live assignment on a case without mediator status
            await end_assignment(uow, services, case, current, AssignmentStatus.REPLACED, reason)
        await ensure_institution(uow, services, case, who, institution_id=case.institution_id)
        explanation: dict[str, Any] = proposal.explain(mediator_id, rule="override by the institution admin")
        explanation["override_reason"] = reason
        assignment = await assign(uow, services, case, mediator_id, method=AssignmentMethod.OVERRIDE,
                                  who=who, explanation=explanation, reason=reason,
                                  replaces_id=current.id if current else None)
        await audit_override(uow, services, case, who, mediator_id=mediator_id, reason=reason,
                             previous_id=previous)
        return assignment

