"""Notices of the assignment part, through the shared notification outbox (in-app and SMS).

Templates (``odr/notify/templates/*.json``): ``assignment_queued`` (to the
institution's admins), ``mediator_replaced`` (to the parties, with the cause),
``conflict_disclosed`` (to the parties, L7). Mediator assigned / outcome notices
are the electronic-service part's (``odr.eservice.hooks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from odr.cases.deadlines.notices import case_organisers, case_parties_and_agents
from odr.cases.models import Case
from odr.db.uow import UnitOfWork
from odr.notify.service import notify_users

if TYPE_CHECKING:
    from odr.services import Services


def _case_context(case: Case) -> dict[str, Any]:
    return {"case_number": case.number, "case_title": case.title}


async def notify_institution_admins(
    uow: UnitOfWork, services: Services, case: Case, *, template: str, context: dict[str, Any],
    key: str,
) -> int:
    """The case's institution admins (or its court's staff when it has no institution yet)."""
    staff = await case_organisers(uow, case)
    return await notify_users(uow, services, staff, template=template,
                              context={**_case_context(case), **context}, key=f"mediators:{key}")


async def notify_parties(
    uow: UnitOfWork, services: Services, case: Case, *, template: str, context: dict[str, Any],
    key: str,
) -> int:
    """The case's parties and their agents."""
    users = await case_parties_and_agents(uow, services, case)
    return await notify_users(uow, services, users, template=template,
                              context={**_case_context(case), **context}, key=f"mediators:{key}")
