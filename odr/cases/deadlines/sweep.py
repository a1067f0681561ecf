"""The deadline sweep beat runs every minute: reminders before, consequences after.

``sweep_deadlines(services)``:

1. every open deadline whose ``due_at`` has passed is marked ``missed`` and its
   consequence (``on_deadline_missed``) applied, in one transaction per
   deadline, exactly once: the case row and then the deadline row are locked
   with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serializes writers)
   and the status is checked again inside that transaction, so a second sweep
   running at the same moment skips the row or finds it already missed;
2. every open deadline not yet reminded gets one reminder from the start of
   the last working day before its last day (``remind_from``), to the people
   its kind names (``deadline_recipients``; default everyone in the case).

Locks are taken case first, then deadline, then (through the audit entry)
the audit head: the order of every request that moves a case, so a sweep
and a request never wait on each other in a circle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.calendar.periods import RestCalendar, end_of_day
from odr.calendar.store import load_rest_calendar
from odr.cases.deadlines.notices import case_everyone, deadline_context, reminder_key
from odr.cases.deadlines.service import (
    describe,
    event_visibility,
    missed_handler,
    recipients_finder,
)
from odr.cases.hooks import install as install_hooks
from odr.cases.models import Case, Deadline, DeadlineStatus, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict
from odr.notify.service import notify_users

if TYPE_CHECKING:
    from odr.services import Services

log = logging.getLogger(__name__)

CLOCK = Who.system("legal clock")
REMIND_HORIZON = timedelta(days=20)  # longer than any holiday gap between two working days
BATCH = 200


@dataclass
class SweepStats:
    missed: int = 0
    reminded: int = 0
    skipped: int = 0  # locked by another sweep or request, or changed meanwhile
    failed: int = 0  # a consequence raised; rolled back, tried again next sweep


def remind_from(calendar: RestCalendar, deadline: Deadline) -> datetime:
    """00:00 Asia/Shanghai of the last working day before the deadline's last day."""
    day = deadline.last_day - timedelta(days=1)
    while calendar.is_rest_day(day):
        day -= timedelta(days=1)
    return end_of_day(day - timedelta(days=1))


async def _lock(uow: UnitOfWork, case_id: int, deadline_id: int) -> tuple[Case, Deadline] | None:
    """The case and deadline rows, locked; None if another transaction holds either."""
    case = (await uow.session.execute(
        select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)
    )).scalar_one_or_none()
    if case is None:
        return None
    deadline = (await uow.session.execute(
        select(Deadline).where(Deadline.id == deadline_id).with_for_update(skip_locked=True)
    )).scalar_one_or_none()
    if deadline is None:
        return None
    return case, deadline


async def apply_missed(services: Services, case_id: int, deadline_id: int) -> bool:
    """Mark one passed deadline missed and apply its consequence; False if not (any more) due."""
    async with services.db.uow() as uow:
        locked = await _lock(uow, case_id, deadline_id)
        now = services.clock.now()
        if locked is None:
            return False
        case, deadline = locked
        if deadline.status != DeadlineStatus.OPEN or deadline.due_at > now:
            return False
        deadline.status = DeadlineStatus.MISSED
        deadline.closed_at = now
        await add_event(uow, services, case, "deadline_missed", CLOCK, data=describe(deadline),
                        visibility=event_visibility(deadline))
        handler = missed_handler(deadline.kind)
        if handler is not None:
            try:
                async with uow.session.begin_nested():
                    await handler(services, uow, case, deadline)
            except Conflict as exc:
                # The case moved on in a way the consequence no longer fits (an illegal
                # transition): the deadline stays missed, the reason is on the timeline.
                log.warning("consequence of deadline %s not applied: %s", deadline_id, exc.message)
                await add_event(
                    uow, services, case, "deadline_consequence_skipped", CLOCK,
                    data={**describe(deadline), "reason": exc.message},
                    visibility=EventVisibility.STAFF,
                )
        return True


async def send_reminder(services: Services, case_id: int, deadline_id: int) -> bool:
    """Remind once before ``deadline_id`` is due; False if already reminded, closed or locked."""
    async with services.db.uow() as uow:
        locked = await _lock(uow, case_id, deadline_id)
        if locked is None:
            return False
        case, deadline = locked
        now = services.clock.now()
        if (deadline.status != DeadlineStatus.OPEN or deadline.reminded_at is not None
                or deadline.due_at <= now):
            return False
        finder = recipients_finder(deadline.kind)
        users = (await finder(services, uow, case, deadline) if finder is not None
                 else await case_everyone(uow, services, case))
        notified = await notify_users(
            uow, services, users, template="deadline_reminder",
            context=deadline_context(case, deadline), key=reminder_key(deadline),
        )
        deadline.reminded_at = now
        await add_event(
            uow, services, case, "deadline_reminded", CLOCK,
            data={**describe(deadline), "notified": notified}, visibility=EventVisibility.STAFF,
        )
        return True


async def sweep_deadlines(services: Services, *, batch: int = BATCH) -> SweepStats:
    """One pass: consequences of every passed deadline, then due reminders."""
    install_hooks()  # consequences register where hooks do
    stats = SweepStats()
    now = services.clock.now()
    async with services.db.reader() as uow:
        passed = (await uow.session.execute(
            select(Deadline.case_id, Deadline.id)
            .where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_at <= now)
            .order_by(Deadline.due_at, Deadline.id).limit(batch)
        )).all()
    for case_id, deadline_id in passed:
        try:
            applied = await apply_missed(services, case_id, deadline_id)
        except Exception:
            log.exception("consequence of missed deadline %s failed", deadline_id)
            stats.failed += 1
            continue
        if applied:
            stats.missed += 1
        else:
            stats.skipped += 1
    async with services.db.reader() as uow:
        calendar = await load_rest_calendar(uow.session)
        upcoming = (await uow.session.execute(
            select(Deadline)
            .where(
                Deadline.status == DeadlineStatus.OPEN, Deadline.reminded_at.is_(None),
                Deadline.due_at > now, Deadline.due_at <= now + REMIND_HORIZON,
            )
            .order_by(Deadline.due_at, Deadline.id).limit(batch)
        )).scalars().all()
        due = [(d.case_id, d.id) for d in upcoming if remind_from(calendar, d) <= now]
    for case_id, deadline_id in due:
        try:
            reminded = await send_reminder(services, case_id, deadline_id)
        except Exception:
            log.exception("reminder of deadline %s failed", deadline_id)
            stats.failed += 1
            continue
        if reminded:
            stats.reminded += 1
        else:
            stats.skipped += 1
    return stats
