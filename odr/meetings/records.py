"""Reading what a meeting left behind: attendance (L29), the session record and facts (L11, L12).

The room writes these (``signaling``); here they are only read.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.meetings.models import (
    AttendanceEvent,
    FactConfirmation,
    Meeting,
    MeetingSeat,
    SessionRecord,
    UndisputedFact,
)
from odr.meetings.schemas import (
    AttendanceList,
    AttendanceOut,
    ConfirmationOut,
    FactOut,
    RecordOut,
    SessionRecordOut,
)


async def attendance(session: AsyncSession, meeting: Meeting, seats: list[MeetingSeat]
                     ) -> AttendanceList:
    by_id = {s.id: s for s in seats}
    events = (await session.execute(
        select(AttendanceEvent).where(AttendanceEvent.meeting_id == meeting.id)
        .order_by(AttendanceEvent.at, AttendanceEvent.id)
    )).scalars().all()
    items = []
    for e in events:
        seat = by_id.get(e.seat_id)
        items.append(AttendanceOut(
            id=e.id, seat_id=e.seat_id, display_name=seat.display_name if seat else "",
            role=seat.role if seat else "", side=seat.side if seat else None, kind=e.kind,
            at=e.at, by_user_id=e.by_user_id, detail=dict(e.detail or {}),
        ))
    return AttendanceList(items=items)


async def record_of(session: AsyncSession, meeting: Meeting) -> RecordOut:
    latest = (await session.execute(
        select(SessionRecord).where(SessionRecord.meeting_id == meeting.id)
        .order_by(SessionRecord.version.desc()).limit(1)
    )).scalar_one_or_none()
    versions = (await session.execute(
        select(func.count()).select_from(SessionRecord)
        .where(SessionRecord.meeting_id == meeting.id)
    )).scalar_one()
    facts = (await session.execute(
        select(UndisputedFact).where(UndisputedFact.meeting_id == meeting.id)
        .order_by(UndisputedFact.id)
    )).scalars().all()
    confirmations: dict[int, list[FactConfirmation]] = {}
    if facts:
        rows = (await session.execute(
            select(FactConfirmation).where(FactConfirmation.fact_id.in_([f.id for f in facts]))
            .order_by(FactConfirmation.at, FactConfirmation.id)
        )).scalars().all()
        for c in rows:
            confirmations.setdefault(c.fact_id, []).append(c)
    return RecordOut(
        session_record=SessionRecordOut(
            version=latest.version, body=latest.body, sha256=latest.sha256,
            author_id=latest.author_id, at=latest.at,
        ) if latest else None,
        versions=int(versions),
        facts=[
            FactOut(
                id=f.id, text=f.text, sha256=f.sha256, proposed_by_id=f.proposed_by_id,
                proposed_at=f.proposed_at, confirmed_at=f.confirmed_at,
                withdrawn_at=f.withdrawn_at,
                confirmations=[
                    ConfirmationOut(seat_id=c.seat_id, user_id=c.user_id, side=c.side, at=c.at,
                                    valid=c.fact_sha256 == f.sha256)
                    for c in confirmations.get(f.id, [])
                ],
            )
            for f in facts
        ],
    )
