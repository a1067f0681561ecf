"""Reminders before a meeting: 24 hours and 1 hour ahead, to every seat holder.

``remind_upcoming(services)`` is meant for a beat task run every minute or
so. A reminder is due once its moment (start minus lead) has passed and the
meeting has not started; a meeting scheduled or moved after that moment gets
no reminder for that lead (the notice of the change just told everyone).
When several leads are due at once (the sweep did not run for a while) only
the nearest is sent. Keys name meeting, lead and start, so a rerun sends
nothing twice and a moved meeting is reminded again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.cases.models import Case
from odr.meetings.models import Meeting, MeetingStatus
from odr.meetings.notices import notify_seats
from odr.meetings.queries import seats_of

if TYPE_CHECKING:
    from odr.services import Services

LEADS: tuple[timedelta, ...] = (timedelta(hours=1), timedelta(hours=24))  # nearest first


async def remind_upcoming(services: Services) -> int:
    """Queue due reminders; returns how many meetings were reminded."""
    now = services.clock.now()
    async with services.db.reader() as reader:
        ids = list((await reader.session.execute(
            select(Meeting.id).where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at > now, Meeting.starts_at <= now + max(LEADS),
            ).order_by(Meeting.starts_at)
        )).scalars())
    reminded = 0
    for meeting_id in ids:
        async with services.db.uow() as uow:
            meeting = await uow.session.get(Meeting, meeting_id)
            if meeting is None or meeting.status != MeetingStatus.SCHEDULED:
                continue
            lead = next((
                lead for lead in LEADS
                if meeting.starts_at - lead <= now < meeting.starts_at
                and meeting.starts_at - lead >= meeting.updated_at
            ), None)
            if lead is None:
                continue
            case = await uow.session.get(Case, meeting.case_id)
            assert case is not None
            hours = int(lead.total_seconds() // 3600)
            await notify_seats(
                uow, services, meeting, case, await seats_of(uow.session, meeting.id),
                template="meeting_reminder",
                key=f"meeting:{meeting.id}:remind:{hours}h:{meeting.starts_at.isoformat()}",
            )
            reminded += 1
    return reminded
