"""Batch mode: every case waiting for a mediator assigned at once by one global optimisation.

The cases waiting (accepted or with an institution, no mediator, the parties'
L5 window closed) and the mediators are read in one read transaction;
``mediators.flow.solve_batch`` assigns them jointly (min-cost flow with convex
slot costs, see there). Each assignment is then written in its own unit of
work on the case locked for update, through the same ``try_assign`` as a single
assignment, so the capacity guarantee holds against concurrent workers: a
mediator filled meanwhile sends that case to the single-case engine, and a
case nobody can take goes to its institution admins' queue with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mediators.assignment import auto_assign, ensure_institution, try_assign
from mediators.engine import acceptance_horizon, institution_facts, pick_institution
from mediators.facts import case_facts, conflicts_of_case, mediator_facts, previous_mediators
from mediators.flow import BatchResult, solve_batch
from mediators.models import AssignmentMethod
from mediators.scoring import DEFAULT_WEIGHTS, TIE_BREAK, CaseFacts
from odr.cases.deadlines.service import DeadlineKind, live_deadlines
from odr.cases.lifecycle import CaseStatus
from odr.cases.models import Case
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from odr.services import Services

WAITING = (CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED)
RULE = "batch: min-cost flow over the day's waiting cases with convex slot costs"


@dataclass
class BatchReport:
    cases: int = 0
    assigned: list[dict[str, Any]] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    cost: int = 0
    lower_bound: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "assigned": self.assigned, "queued": self.queued,
                "cost": self.cost, "lower_bound": self.lower_bound,
                "optimal": self.cost == self.lower_bound, "dry_run": self.dry_run}


async def waiting_cases(uow: UnitOfWork, institution_id: int | None) -> list[Case]:
    stmt = select(Case).where(Case.status.in_(WAITING), Case.mediator_id.is_(None)).order_by(Case.id)
    if institution_id is not None:
        stmt = stmt.where(Case.institution_id == institution_id)
    cases = list((await uow.session.execute(stmt)).scalars())
    if not cases:
        return []
    choosing = {
        d.case_id for d in await _live_choices(uow, [c.id for c in cases])
    }
    return [c for c in cases if c.id not in choosing]


async def _live_choices(uow: UnitOfWork, case_ids: list[int]) -> list[Any]:
    found = []
    for case_id in case_ids:
        found += await live_deadlines(uow, case_id, kind=DeadlineKind.CHOOSE_MEDIATOR)
    return found


@dataclass
class Plan:
    cases: list[Case]
    facts: list[CaseFacts]
    result: BatchResult
    institutions: dict[int, dict[str, Any]]  # case id -> why its institution (the rule's pick)


async def plan(services: Services, institution_id: int | None) -> Plan:
    """Read everything and solve; writes nothing.

    A case without an institution first gets one by the institution rule
    (category, then location, then load: ``mediators.institutions``); the
    optimisation then chooses among that institution's mediators.
    """
    now = services.clock.now()
    async with services.db.reader() as uow:
        cases = await waiting_cases(uow, institution_id)
        facts = []
        institutions: dict[int, dict[str, Any]] = {}
        known = None
        for case in cases:
            f = await case_facts(uow.session, case)
            if f.institution_id is None:
                known = known or (await institution_facts(uow),
                                  await mediator_facts(uow.session, now=now, until=now))
                pick = await pick_institution(uow, f, now, known=known)
                institutions[case.id] = pick.explanation
                f = replace(f, institution_id=pick.institution_id)
            facts.append(f)
        conflicts: set[tuple[int, int]] = set()
        excluded: dict[int, frozenset[int]] = {}
        for case in cases:
            conflicts |= {(case.id, m) for m in await conflicts_of_case(uow.session, case.id)}
            excluded[case.id] = frozenset(await previous_mediators(uow.session, case.id))
        until = await acceptance_horizon(uow, now)
        mediators = await mediator_facts(
            uow.session, now=now, until=until,
            institution_ids=[institution_id] if institution_id is not None else None,
        )
    in_conflict: Callable[[int, int], bool] = lambda c, m: (c, m) in conflicts  # noqa: E731
    result = solve_batch(facts, mediators, conflicts=in_conflict, excluded=excluded)
    return Plan(cases, facts, result, institutions)


async def run_batch(
    services: Services, *, institution_id: int | None, who: Who, dry_run: bool = False
) -> BatchReport:
    """Assign every waiting case (of one institution, or all) jointly; queue the rest."""
    planned = await plan(services, institution_id)
    cases, facts, result = planned.cases, planned.facts, planned.result
    report = BatchReport(cases=len(cases), cost=result.cost, lower_bound=result.lower_bound,
                         dry_run=dry_run)
    by_id = {f.case_id: f for f in facts}
    if dry_run:
        report.assigned = [{"case_id": c, "mediator_id": m, "parts": result.parts.get(c, {})}
                           for c, m in sorted(result.assignments.items())]
        report.queued = list(result.unassigned)
        return report
    stamp = services.clock.now().isoformat()
    for case_id, mediator_id in sorted(result.assignments.items()):
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, case_id)
            if case.status not in WAITING or case.mediator_id is not None:
                continue
            explanation = {
                "rule": RULE, "mediator": {"mediator_id": mediator_id,
                                           "parts": result.parts.get(case_id, {}),
                                           "cost": sum(result.parts.get(case_id, {}).values())},
                "batch": {"at": stamp, "cases": len(cases), "cost": result.cost,
                          "lower_bound": result.lower_bound,
                          "optimal": result.cost == result.lower_bound},
                "case": {"category": by_id[case_id].category, "district": by_id[case_id].district,
                         "languages": sorted(by_id[case_id].languages)},
                "tie_break": TIE_BREAK, "weights": vars(DEFAULT_WEIGHTS),
                "institution": planned.institutions.get(case_id) or {
                    "rule": "the case's own institution (set at referral, filing or review)",
                    "chosen": case.institution_id},
            }
            if case.status == CaseStatus.ACCEPTED:
                picked = by_id[case_id].institution_id
                await ensure_institution(uow, services, case, who, institution_id=picked,
                                         explanation=planned.institutions.get(case_id))
            assignment = await try_assign(uow, services, case, mediator_id, method=AssignmentMethod.BATCH,
                                          who=who, explanation=explanation, reason="batch assignment")
            if assignment is None:  # filled meanwhile by another worker: one case at a time
                assignment = await auto_assign(uow, services, case, who=who,
                                               method=AssignmentMethod.BATCH, cause="batch fallback")
            if assignment is not None:
                report.assigned.append({"case_id": case_id, "mediator_id": assignment.mediator_id,
                                        "parts": result.parts.get(case_id, {})})
            else:
                report.queued.append(case_id)
    for case_id in result.unassigned:
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, case_id)
            if case.status not in WAITING or case.mediator_id is not None:
                continue
            assignment = await auto_assign(uow, services, case, who=who,
                                           method=AssignmentMethod.BATCH, cause="batch: left over")
            if assignment is None:
                report.queued.append(case_id)
            else:
                report.assigned.append({"case_id": case_id, "mediator_id": assignment.mediator_id,
                                        "parts": {}})
    return report

