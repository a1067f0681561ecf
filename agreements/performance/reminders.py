"""Performance reminders: ``settings.performance_reminder_days`` before the due date to
the obligors, and on the due date to both sides.

Why not the case deadline sweep: its reminder is one per deadline, fixed at the
last working day before the last day, to one set of recipients; a term needs two
notices at dates the settings choose, to different people. ``sweep_performance``
runs from the Celery beat (``agreements.performance.remind``, every minute).

``PerformanceItem.reminded_at`` records the last notice: none yet, the early
reminder (a time before the due date) or the due-date notice (on or after it),
so each notice goes once; each item is handled in its own transaction with the
case row locked (as requests that change it do), and the notice's idempotency
key makes a retried sweep send nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from agreements.models import PerformanceItem, PerformanceStatus
from agreements.performance.service import describe, item_context, party_users
from odr.calendar.periods import local_day
from odr.cases.models import EventVisibility
from odr.cases.transitions import Who, add_event, load_case_for_update
from odr.notify.service import notify_users

if TYPE_CHECKING:
    from odr.services import Services

log = logging.getLogger(__name__)

CLOCK = Who.system("performance reminders")
DUE_NOTICE_GRACE_DAYS = 7  # a sweep down on the due date still sends the notice within a week
BATCH = 200


@dataclass
class ReminderStats:
    early: int = 0
    due: int = 0
    failed: int = 0


def stage(item: PerformanceItem, today: date, reminder_days: int) -> str | None:
    """The notice ``item`` needs today: ``due`` (both sides), ``early`` (obligors) or None."""
    if item.status != PerformanceStatus.PENDING:
        return None
    if today >= item.due_on:
        sent_due = item.reminded_at is not None and local_day(item.reminded_at) >= item.due_on
        late = (today - item.due_on).days > DUE_NOTICE_GRACE_DAYS
        return None if sent_due or late else "due"
    if item.reminded_at is None and today >= item.due_on - timedelta(days=reminder_days):
        return "early"
    return None


async def remind_item(services: Services, item_id: int) -> str | None:
    """Send the notice ``item_id`` needs now, if any; returns which was sent."""
    async with services.db.uow() as uow:
        item = await uow.session.get(PerformanceItem, item_id)
        if item is None:
            return None
        case = await load_case_for_update(uow, item.case_id)
        await uow.session.refresh(item, with_for_update=True)
        now = services.clock.now()
        which = stage(item, local_day(now), services.settings.performance_reminder_days)
        if which is None:
            return None
        parties = list(item.obligor_party_ids)
        if which == "due":
            parties += list(item.obligee_party_ids)
        users = await party_users(uow, services, case.id, parties)
        template = "performance_due" if which == "due" else "performance_reminder"
        notified = await notify_users(
            uow, services, users, template=template, context=item_context(case, item),
            key=f"performance:{item.id}:{which}:{item.due_on.isoformat()}",
        )
        item.reminded_at = now
        await add_event(uow, services, case, f"performance_reminded_{which}", CLOCK,
                        data={**describe(item), "notified": notified},
                        visibility=EventVisibility.ALL)
        return which


async def sweep_performance(services: Services, *, batch: int = BATCH) -> ReminderStats:
    """One pass over pending items near or at their due date."""
    stats = ReminderStats()
    today = local_day(services.clock.now())
    days = services.settings.performance_reminder_days
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(PerformanceItem).where(
                PerformanceItem.status == PerformanceStatus.PENDING,
                PerformanceItem.due_on <= today + timedelta(days=days),
                PerformanceItem.due_on >= today - timedelta(days=DUE_NOTICE_GRACE_DAYS),
                or_(PerformanceItem.reminded_at.is_(None), PerformanceItem.due_on <= today),
            ).order_by(PerformanceItem.due_on, PerformanceItem.id).limit(batch)
        )).scalars().all()
        wanted = [i.id for i in rows if stage(i, today, days) is not None]
    for item_id in wanted:
        try:
            sent = await remind_item(services, item_id)
        except Exception:
            log.exception("performance reminder for item %s failed", item_id)
            stats.failed += 1
            continue
        if sent == "early":
            stats.early += 1
        elif sent == "due":
            stats.due += 1
    return stats
