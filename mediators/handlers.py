"""The outbox work of the assignment part: (re)assign a case in a worker, after commit.

A decline, the mediator's silence (L6), a replacement (L7) or a suspension
enqueues ``mediators.assign`` in the transaction that freed the case; a Celery
worker drains it (``odr.tasks``) and runs the engine. Idempotent: a case that
has a mediator again, moved on, or is still within the parties' own L5 choice
is left alone, so a redelivered message changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediators.assignment import auto_assign
from mediators.models import AssignmentMethod
from odr.cases.deadlines.service import DeadlineKind, find_live_deadline
from odr.cases.lifecycle import CaseStatus
from odr.cases.models import Case
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.outbox.service import enqueue

if TYPE_CHECKING:
    from odr.services import Services

ASSIGN_KIND = "mediators.assign"
ENGINE = Who.system("assignment engine")


async def enqueue_assignment(
    uow: UnitOfWork, services: Services, case: Case, *, cause: str, after_assignment_id: int | None,
    party_replacement: bool = False,
) -> None:
    """Ask a worker to find the case a (new) mediator once this transaction commits."""
    await enqueue(
        uow, services.clock, kind=ASSIGN_KIND,
        payload={"case_id": case.id, "cause": cause, "after_assignment_id": after_assignment_id,
                 "party_replacement": party_replacement},
        idempotency_key=f"{ASSIGN_KIND}:{case.id}:{after_assignment_id or 0}:{cause}",
    )


async def run_assignment(services: Services, message: OutboxMessage) -> None:
    payload = message.payload
    async with services.db.uow() as uow:
        case = await uow.session.get(Case, int(payload["case_id"]), with_for_update=True)
        if case is None or case.mediator_id is not None:
            return
        if case.status not in (CaseStatus.INSTITUTION_ASSIGNED, CaseStatus.ACCEPTED):
            return
        if await find_live_deadline(uow, case.id, DeadlineKind.CHOOSE_MEDIATOR) is not None:
            return  # L5: the parties are still choosing together
        await auto_assign(
            uow, services, case, who=ENGINE, method=AssignmentMethod.REASSIGNED,
            cause=str(payload.get("cause") or "reassignment"),
            replaces_id=payload.get("after_assignment_id"),
            party_replacement=bool(payload.get("party_replacement")),
        )


register_handler(ASSIGN_KIND, run_assignment)
