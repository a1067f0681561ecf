"""L21: judicial confirmation is applied for within 30 days of the agreement taking effect.

The period is counted by L36 (``odr.calendar.periods``): it starts the day
after the effective day (Asia/Shanghai), and when its last day is a rest day
it ends on the next working day, at 24:00. The window is a case ``Deadline``
of kind ``confirmation_window`` about the agreement, opened when the
agreement takes effect (``hooks``), reminded before it closes (the sweep),
met when the application is complete, and when it passes an application still
gathering its parties lapses (``hooks.window_passed``). The check at apply
time counts from the agreement's effective time itself, so an agreement
without a deadline row (made effective before this part was installed) is
judged the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agreements.confirmation.jurisdiction import Refusal
from agreements.models import Agreement
from odr.calendar.periods import Due, period_after
from odr.calendar.store import load_rest_calendar
from odr.cases.deadlines.service import find_live_deadline, open_deadline
from odr.cases.models import Case, Deadline
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from odr.services import Services

WINDOW_KIND = "confirmation_window"
WINDOW_DAYS = 30
SUBJECT = "agreement"


def subject_of(agreement: Agreement) -> tuple[str, int]:
    return SUBJECT, agreement.id


async def window_due(session: AsyncSession, agreement: Agreement) -> Due | None:
    """The end of ``agreement``'s window (None while it is not effective)."""
    if agreement.effective_at is None:
        return None
    calendar = await load_rest_calendar(session)
    return period_after(calendar, agreement.effective_at, WINDOW_DAYS, working=False)


def is_open(due: Due, now: datetime) -> bool:
    return now < due.due_at


def window_closed_refusal(due: Due) -> Refusal:
    return Refusal(
        "window_closed", "L21",
        f"调解协议生效之日起三十日内申请司法确认，期限已于 {due.last_day.isoformat()} 届满（L21、L36）",
    )


async def window_refusal(session: AsyncSession, agreement: Agreement, now: datetime) -> Refusal | None:
    due = await window_due(session, agreement)
    if due is None:
        return Refusal("agreement_not_effective", "L21", "调解协议尚未生效，不能申请司法确认")
    return None if is_open(due, now) else window_closed_refusal(due)


async def ensure_window(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, who: Who | None = None
) -> Deadline | None:
    """The agreement's running window deadline, opened if missing and not yet passed.

    Idempotent: the hook opens it when the agreement takes effect; a withdrawn
    application calls it again so a new application is still watched.
    """
    found = await find_live_deadline(uow, case.id, WINDOW_KIND, subject=subject_of(agreement))
    if found is not None or agreement.effective_at is None:
        return found
    due = await window_due(uow.session, agreement)
    if due is None or not is_open(due, services.clock.now()):
        return None
    return await open_deadline(
        uow, services, case, WINDOW_KIND, WINDOW_DAYS, starts_at=agreement.effective_at,
        rule="L21", subject_type=SUBJECT, subject_id=agreement.id,
        who=who or Who.system("judicial confirmation"),
    )
