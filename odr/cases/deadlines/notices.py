"""Who hears about a deadline, and the notices they get (reminder, escalation).

Notices go through ``odr.notify.service.queue_for_user`` (in-app and SMS),
inside the caller's transaction, with an idempotency key per deadline, due
date and recipient, so a retried sweep never sends one twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from odr.accounts.models import Membership, Role
from odr.cases.models import Case, Deadline
from odr.cases.transitions import participant_user_ids
from odr.db.uow import UnitOfWork
from odr.notify.messages import Channel
from odr.notify.templates import catalogue

if TYPE_CHECKING:
    from odr.services import Services

CHANNELS: tuple[Channel, ...] = ("inapp", "sms")


async def case_parties_and_agents(uow: UnitOfWork, services: Services, case: Case) -> list[int]:
    return await participant_user_ids(
        uow, case.id, services.clock.now(), "applicant", "respondent", "agent"
    )


async def case_everyone(uow: UnitOfWork, services: Services, case: Case) -> list[int]:
    return await participant_user_ids(uow, case.id, services.clock.now())


async def case_organisers(uow: UnitOfWork, case: Case) -> list[int]:
    """The case's institution admins; the court's judges and clerks when no institution is set."""
    if case.institution_id is not None:
        stmt = select(Membership.user_id).where(
            Membership.institution_id == case.institution_id,
            Membership.role == Role.INSTITUTION_ADMIN,
        )
    elif case.court_id is not None:
        stmt = select(Membership.user_id).where(
            Membership.court_id == case.court_id, Membership.role.in_([Role.JUDGE, Role.CLERK])
        )
    else:
        return []
    return list(dict.fromkeys((await uow.session.execute(stmt.order_by(Membership.user_id))).scalars()))


def deadline_value(kind: str) -> str:
    """The kind as the templates' ``deadline`` value table knows it (else ``other``)."""
    known = catalogue("zh-CN").values.get("deadline", {})
    return kind if kind in known else "other"


def deadline_context(case: Case, deadline: Deadline) -> dict[str, Any]:
    return {
        "number": case.number,
        "deadline": deadline_value(deadline.kind),
        "last_day": deadline.last_day.isoformat(),  # the period ends at 24:00 of this day
    }


def reminder_key(deadline: Deadline) -> str:
    """One reminder per deadline and due date (a moved due date earns a new one)."""
    return f"deadline:{deadline.id}:remind:{deadline.last_day.isoformat()}"
