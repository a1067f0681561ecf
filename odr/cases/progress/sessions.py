"""The next mediation session of a case, as the public progress query shows it.

The meetings part (scheduled video rooms) does not exist yet, so there is no
session to show and ``next_session_at`` answers ``None`` — honestly, not a
made-up time. The meetings issue replaces the body: the start time of the
case's earliest scheduled, not cancelled, not yet ended meeting that starts
after now (UTC), using one indexed query on its own table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


async def next_session_at(session: AsyncSession, case_id: int) -> datetime | None:
    """When the case's next scheduled session starts (UTC), or ``None`` if none is scheduled."""
    del session, case_id  # no meetings table yet: nothing is scheduled
    return None
