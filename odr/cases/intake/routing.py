"""Routing a self-filed application that names no institution, so it never waits unseen.

The applicant may leave the institution open. The case then gets a proposed
institution at filing, chosen by the assignment engine's institution rule
(category, then the parties' district, then load: ``mediators.engine.pick_institution``),
and enters that institution's review queue; its admins review it like one
that prefers them, and their acceptance assigns it there. The applicant's own
choice always wins: naming an institution later (amending a rejected
application) drops the proposal. Why the institution was proposed is a
staff-only timeline event.

The engine only picks an institution with a mediator specialised in the
category; while none has one, the case goes to an institution that takes the
category (in the parties' district first). Only if no active institution
takes the category is nothing proposed, and the staff-only event says why
(every seeded category has an institution).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from odr.cases.models import Case, CaseChannel, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.orgs.models import Institution

if TYPE_CHECKING:
    from odr.services import Services


def needs_routing(case: Case) -> bool:
    """A self-filed case with neither an institution nor the applicant's preference."""
    return (
        case.channel == CaseChannel.SELF_FILED
        and case.institution_id is None
        and case.preferred_institution_id is None
    )


async def route_application(uow: UnitOfWork, services: Services, case: Case) -> int | None:
    """Propose an institution for ``case`` if it needs one; returns the proposed id (or None).

    Runs in the filing's (or amendment's) unit of work, after the parties are written.
    """
    if not needs_routing(case):
        case.proposed_institution_id = None
        return None
    # The assignment part owns the rule; imported where it runs (odr composes mediators).
    from mediators.engine import pick_institution
    from mediators.facts import case_facts

    facts = await case_facts(uow.session, case)
    pick = await pick_institution(uow, facts, services.clock.now())
    chosen, explanation = pick.institution_id, pick.explanation
    if chosen is None:
        chosen, explanation = await _by_category(uow, case.category, facts.district, explanation)
    case.proposed_institution_id = chosen
    await add_event(
        uow, services, case, "institution_proposed", Who.system("routing"),
        data={"institution_id": chosen, "explanation": explanation},
        visibility=EventVisibility.STAFF,
    )
    return chosen


async def _by_category(
    uow: UnitOfWork, category: str, district: str, engine: dict[str, Any]
) -> tuple[int | None, dict[str, Any]]:
    """No institution has a mediator for the category yet (the engine's rule needs one): the
    case still goes to one that takes the category, in the parties' district first, so it is
    reviewed while the institution finds a mediator."""
    candidates = [
        i for i in (await uow.session.execute(
            select(Institution).where(Institution.active.is_(True)).order_by(Institution.id)
        )).scalars()
        if category in (i.categories or [])
    ]
    candidates.sort(key=lambda i: (0 if district and (i.district or "").split()[:1] == [district]
                                   else 1, i.id))
    chosen = candidates[0].id if candidates else None
    return chosen, {
        "rule": "no institution has a mediator for the category yet: one that takes the "
                "category, in the parties' district first, then the lower id",
        "chosen": chosen, "case_district": district, "engine": engine,
    }


def reviewing_institution(case: Case) -> int | None:
    """The institution whose admins review ``case``: its own, the preferred, else the proposed."""
    return case.institution_id or case.preferred_institution_id or case.proposed_institution_id
