"""Reminders 24 hours and 1 hour before a meeting, once each, to every seat holder."""

from __future__ import annotations

from datetime import timedelta

from odr.meetings.reminders import remind_upcoming
from odr.services import Services
from tests.factories import make_meeting
from tests.meetings.support import notices, world


async def test_seat_holders_are_reminded_a_day_and_an_hour_ahead_once_each(
    services: Services,
) -> None:
    w = await world(services)
    await make_meeting(services, w.case, starts_in=timedelta(days=2),
                              guests=(("witness", "证人", "13712345678"),))
    await make_meeting(services, w.case, starts_in=timedelta(hours=2))
    await make_meeting(services, w.case, starts_in=timedelta(hours=20), status="cancelled")
    assert await remind_upcoming(services) == 0  # soon was scheduled after its 24 h moment
    services.clock.advance(hours=1, minutes=1)
    assert await remind_upcoming(services) == 1  # soon: its 1 h reminder
    services.clock.advance(hours=23)
    assert await remind_upcoming(services) == 1  # made: 24 h ahead
    await remind_upcoming(services)  # a rerun queues nothing twice (counted below)
    services.clock.advance(hours=23, minutes=30)
    await remind_upcoming(services)
    sent = await notices(services, "meeting_reminder")
    # made: two reminders x (3 users x in-app+SMS + the guest's SMS); soon: one x 6.
    assert len(sent) == 2 * 7 + 6
    assert {p["recipient"] for p in sent if p["user_id"] is None} == {"13712345678"}
