"""Attendance: what happened to each seat, persisted with its time (issue 5 point 7, L29).

Every join, admission, drop, reconnection and departure is an
``AttendanceEvent`` row written in the event's own transaction. The changes a
party may later rely on or contest (admitted, denied, removed, warned, a
departure without permission, a no-show, a drop not recovered) also go into
the audit chain.
"""

from __future__ import annotations

from typing import Any

from odr.audit.chain import record
from odr.meetings.models import AttendanceEvent, AttendanceKind, MeetingSeat
from signaling.scope import EventScope

AUDITED: frozenset[str] = frozenset({
    AttendanceKind.ADMITTED, AttendanceKind.DENIED, AttendanceKind.REMOVED,
    AttendanceKind.NO_SHOW, AttendanceKind.WARNED, AttendanceKind.LEFT_WITHOUT_PERMISSION,
    AttendanceKind.LEFT_WITH_PERMISSION, AttendanceKind.DROP_EXPIRED,
    AttendanceKind.RETURNED_TO_LOBBY,
})


async def record_attendance(
    scope: EventScope, seat: MeetingSeat, kind: AttendanceKind | str, *,
    by_user_id: int | None = None, detail: dict[str, Any] | None = None,
) -> AttendanceEvent:
    """Persist one attendance event of ``seat`` at ``scope.now`` (and audit it if it matters)."""
    data = dict(detail or {})
    event = AttendanceEvent(
        meeting_id=seat.meeting_id, seat_id=seat.id, kind=str(kind), at=scope.now,
        by_user_id=by_user_id, detail=data,
    )
    scope.uow.session.add(event)
    if kind in AUDITED:
        await record(
            scope.uow, scope.services.clock, action=f"meeting.seat.{kind}", actor_id=by_user_id,
            actor_label=scope.seat.display_name if scope.seat is not None else "system",
            subject_type="meeting_seat", subject_id=seat.id,
            data={"meeting_id": seat.meeting_id, "seat": seat.display_name, "role": seat.role, **data},
        )
    return event
