"""The engine's proposal for one case, read from the database: institution, then mediators.

``propose`` gathers the facts (``mediators.facts``) and asks the pure rules
(``mediators.institutions``, ``mediators.scoring``); it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mediators.facts import case_facts, conflicts_of_case, mediator_facts, previous_mediators
from mediators.institutions import InstitutionFacts, explain_choice, rank_institutions
from mediators.scoring import (
    DEFAULT_WEIGHTS,
    TIE_BREAK,
    CaseFacts,
    MediatorFacts,
    Ranking,
    Rule,
    rank,
)
from odr.calendar.periods import period_after
from odr.calendar.store import load_rest_calendar
from odr.cases.models import Case
from odr.db.uow import UnitOfWork
from odr.orgs.models import Institution

if TYPE_CHECKING:
    from odr.services import Services

ACCEPTANCE_WORKING_DAYS = 3  # L6: the mediator must be reachable before this deadline


async def acceptance_horizon(uow: UnitOfWork, now: datetime) -> datetime:
    """When an assignment made now must be answered (L6, counted by L36)."""
    calendar = await load_rest_calendar(uow.session)
    return period_after(calendar, now, ACCEPTANCE_WORKING_DAYS, working=True).due_at


@dataclass
class InstitutionPick:
    institution_id: int | None
    explanation: dict[str, Any]


@dataclass
class Proposal:
    case: CaseFacts
    ranking: Ranking
    conflicts: dict[int, list[str]]
    excluded: set[int]
    until: datetime
    institution: InstitutionPick | None = None  # how the institution was chosen
    mediators: list[MediatorFacts] = field(default_factory=list)

    def explain(self, chosen: int, *, rule: str) -> dict[str, Any]:
        """Why ``chosen`` got the case: its cost parts, its rank, who else was and was not eligible."""
        eligible = self.ranking.candidates
        position = next((i for i, s in enumerate(eligible) if s.mediator.user_id == chosen), None)
        scored = eligible[position].explain() if position is not None else None
        refused = self.ranking.refused.get(chosen)
        return {
            "rule": rule,
            "mediator": scored,
            "rank": position + 1 if position is not None else None,
            "eligible": len(eligible),
            "best": eligible[0].explain() if eligible else None,
            "runner_up": eligible[1].explain() if len(eligible) > 1 else None,
            "refused": self.ranking.refusal_counts(),
            "rules_failed_by_chosen": [str(r) for r in refused] if refused else [],
            "conflicts": {str(k): v for k, v in sorted(self.conflicts.items())},
            "tie_break": TIE_BREAK,
            "weights": vars(DEFAULT_WEIGHTS),
            "available_until": self.until.isoformat(),
            "institution": self.institution.explanation if self.institution else None,
        }


async def institution_facts(uow: UnitOfWork) -> list[InstitutionFacts]:
    return [
        InstitutionFacts(id=i.id, categories=tuple(i.categories or ()), district=i.district,
                         active=i.active)
        for i in (await uow.session.execute(select(Institution).order_by(Institution.id))).scalars()
    ]


async def pick_institution(
    uow: UnitOfWork, case: CaseFacts, now: datetime, *,
    known: tuple[list[InstitutionFacts], list[MediatorFacts]] | None = None,
) -> InstitutionPick:
    """The institution for a case that has none: category, then location, then load.

    ``known``: institutions and mediators already read (a batch reads them once).
    """
    if case.institution_id is not None:
        return InstitutionPick(case.institution_id, {"rule": "already assigned to the case",
                                                     "chosen": case.institution_id})
    if known is None:
        known = (await institution_facts(uow), await mediator_facts(uow.session, now=now, until=now))
    ranked, refused = rank_institutions(case, *known)
    if not ranked:
        return InstitutionPick(None, {"rule": "category, then location, then load",
                                      "chosen": None, "refused": {str(k): v for k, v in refused.items()}})
    return InstitutionPick(ranked[0].id, explain_choice(case, ranked, refused))


async def propose(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    *,
    institution_id: int | None = None,
    institution_rule: str = "chosen by whoever assigns (parties or staff)",
    exclude_previous: bool = True,
    ignore: frozenset[Rule] = frozenset(),
) -> Proposal:
    """Rank the mediators of the case's institution (else ``institution_id``, else the one the
    institution rule picks) for ``case``."""
    now = services.clock.now()
    facts = await case_facts(uow.session, case)
    pick: InstitutionPick
    if facts.institution_id is not None:
        pick = InstitutionPick(facts.institution_id, {
            "rule": "the case's own institution (set at referral, filing or review)",
            "chosen": facts.institution_id})
    elif institution_id is not None:
        pick = InstitutionPick(institution_id, {"rule": institution_rule, "chosen": institution_id})
    else:
        pick = await pick_institution(uow, facts, now)
    facts = CaseFacts(facts.case_id, facts.category, facts.languages, facts.district,
                      pick.institution_id)
    until = await acceptance_horizon(uow, now)
    mediators = (
        await mediator_facts(uow.session, now=now, until=until,
                             institution_ids=[facts.institution_id])
        if facts.institution_id is not None else []
    )
    conflicts = await conflicts_of_case(uow.session, case.id)
    excluded = await previous_mediators(uow.session, case.id) if exclude_previous else set()
    ranking = rank(facts, mediators, conflicts=conflicts, excluded=excluded,
                   weights=DEFAULT_WEIGHTS, ignore=ignore)
    return Proposal(case=facts, ranking=ranking, conflicts=conflicts, excluded=excluded,
                    until=until, institution=pick, mediators=mediators)
