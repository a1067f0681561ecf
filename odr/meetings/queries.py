"""Reading meetings: the policy's view of one, a case's next session, a user's upcoming ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.meetings.models import Meeting, MeetingSeat, MeetingStatus, SeatState
from odr.policy import CaseView
from odr.policy.meetings import MeetingView

UPCOMING = (MeetingStatus.SCHEDULED, MeetingStatus.OPEN)


async def seats_of(session: AsyncSession, meeting_id: int) -> list[MeetingSeat]:
    return list(
        (
            await session.execute(
                select(MeetingSeat).where(MeetingSeat.meeting_id == meeting_id).order_by(MeetingSeat.id)
            )
        ).scalars()
    )


def view_of(meeting: Meeting, case: CaseView, seats: list[MeetingSeat]) -> MeetingView:
    """The policy's picture: seats the host removed give nothing any more."""
    return MeetingView(
        case=case, meeting_id=meeting.id, kind=meeting.kind, status=meeting.status,
        host_user_id=meeting.host_user_id,
        seat_user_ids=frozenset(
            s.user_id for s in seats if s.user_id is not None and s.state != SeatState.REMOVED
        ),
    )


async def load_meeting(
    uow: UnitOfWork, meeting_id: int, now: datetime, *, lock: bool = False
) -> tuple[Meeting, Case, MeetingView, list[MeetingSeat]]:
    """A meeting (its case locked first when ``lock``), its case, the policy's view, its seats."""
    session = uow.session
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("no such meeting", code="meeting_unknown")
    stmt = select(Case).where(Case.id == meeting.case_id)
    if lock:  # the case row first, as every case write does (no lock cycles)
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt)).scalar_one()
    if lock:
        meeting = (
            await session.execute(
                select(Meeting).where(Meeting.id == meeting_id).with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
    seats = await seats_of(session, meeting.id)
    view = view_of(meeting, await case_view(session, case, now), seats)
    return meeting, case, view, seats


async def next_session_at(session: AsyncSession, case_id: int, now: datetime) -> datetime | None:
    """When the case's next scheduled (or running) meeting starts; None if there is none.

    A meeting already open counts until its planned end, so a case shows its
    running session rather than skipping to the one after.
    """
    return (
        await session.execute(
            select(Meeting.starts_at)
            .where(
                Meeting.case_id == case_id,
                Meeting.status.in_(UPCOMING),
                Meeting.ends_at > now,
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def upcoming_for_user(
    session: AsyncSession, user_id: int, now: datetime, limit: int = 50
) -> list[tuple[Meeting, MeetingSeat, Case]]:
    """The user's seats in meetings not yet over, soonest first."""
    rows = (
        await session.execute(
            select(Meeting, MeetingSeat, Case)
            .join(MeetingSeat, MeetingSeat.meeting_id == Meeting.id)
            .join(Case, Case.id == Meeting.case_id)
            .where(
                MeetingSeat.user_id == user_id,
                MeetingSeat.state != SeatState.REMOVED,
                Meeting.status.in_(UPCOMING),
                Meeting.ends_at > now,
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(limit)
        )
    ).all()
    return [(m, s, c) for m, s, c in rows]
