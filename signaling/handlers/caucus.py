"""Caucus (背靠背): the host moves admitted seats into a private room and back (L11).

``caucus.open`` names the seats to move; the caller joins the caucus only if it
lists its own seat (a mediator talking to one side lists itself; a party
conferring alone with its agent does not need the mediator). A caucus holds at
least one participant other than hosts. Seats already in another caucus must
be brought back first.

While in a caucus, a seat's socket.io connection leaves the main room and
enters the caucus room, so chat and presence reach only the caucus, and the
media node is told (``queue_routes``) that caucus media stays in the caucus.
``caucus.close`` brings every member back to the main room.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.meetings.models import (
    HOST_ROLES,
    AttendanceKind,
    Caucus,
    MeetingSeat,
    SeatState,
)
from odr.policy import Permission
from signaling.attendance import record_attendance
from signaling.presence import queue_room_sync, queue_roster, rooms_for
from signaling.protocol import CaucusClose, CaucusOpen
from signaling.recording_rules import caucus_consented
from signaling.registry import handles
from signaling.routing import queue_routes
from signaling.scope import EventScope, RoomError


@handles("caucus.open", Permission.ROOM_CAUCUS)
async def caucus_open(scope: EventScope, message: CaucusOpen) -> dict[str, object]:
    meeting = scope.meeting
    assert meeting is not None and scope.seat is not None
    wanted = sorted(set(message.seat_ids))
    seats = (
        await scope.uow.session.execute(
            select(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id, MeetingSeat.id.in_(wanted))
        )
    ).scalars().all()
    if len(seats) != len(wanted):
        raise RoomError("not_found", "a named participant is not in this meeting")
    for seat in seats:
        if seat.state != SeatState.ADMITTED:
            raise RoomError("not_admitted", f"{seat.display_name} is not in the room")
        if seat.caucus_id is not None:
            raise RoomError("conflict", f"{seat.display_name} is already in a caucus")
    if all(seat.role in HOST_ROLES for seat in seats):
        raise RoomError("invalid_message", "a caucus needs at least one participant besides hosts")
    caucus_id = f"c{secrets.token_hex(6)}"
    caucus = Caucus(
        id=caucus_id, meeting_id=meeting.id, label=message.label, opened_at=scope.now,
        opened_by_id=scope.caller.actor.user_id or meeting.host_user_id,
        recording_consented=caucus_consented(seats),
    )
    scope.uow.session.add(caucus)
    by = scope.caller.actor.user_id
    for seat in seats:
        before = rooms_for(meeting.id, seat)
        seat.caucus_id = caucus_id
        seat.updated_at = scope.now
        await record_attendance(scope, seat, AttendanceKind.MOVED_TO_CAUCUS, by_user_id=by,
                                detail={"caucus_id": caucus_id})
        queue_room_sync(scope, seat, before)
    await audit(scope.uow, scope.services.clock, action="meeting.caucus.open", actor_id=by,
                actor_label=scope.seat.display_name, subject_type="meeting", subject_id=meeting.id,
                data={"caucus_id": caucus_id, "seat_ids": wanted})
    await scope.uow.session.flush()
    routes = await queue_routes(scope)
    await queue_roster(scope)
    return {"caucus_id": caucus_id, "routing_version": routes.version}


@handles("caucus.close", Permission.ROOM_CAUCUS)
async def caucus_close(scope: EventScope, message: CaucusClose) -> dict[str, object]:
    meeting = scope.meeting
    assert meeting is not None and scope.seat is not None
    caucus = await scope.uow.session.get(Caucus, message.caucus_id)
    if caucus is None or caucus.meeting_id != meeting.id:
        raise RoomError("not_found", "no such caucus in this meeting")
    if caucus.closed_at is not None:
        raise RoomError("conflict", "this caucus is already closed")
    caucus.closed_at = scope.now
    members = (
        await scope.uow.session.execute(
            select(MeetingSeat).where(
                MeetingSeat.meeting_id == meeting.id, MeetingSeat.caucus_id == caucus.id
            )
        )
    ).scalars().all()
    by = scope.caller.actor.user_id
    for seat in members:
        before = rooms_for(meeting.id, seat)
        seat.caucus_id = None
        seat.updated_at = scope.now
        if seat.state == SeatState.ADMITTED:
            await record_attendance(scope, seat, AttendanceKind.RETURNED_FROM_CAUCUS, by_user_id=by,
                                    detail={"caucus_id": caucus.id})
        queue_room_sync(scope, seat, before)
    await audit(scope.uow, scope.services.clock, action="meeting.caucus.close", actor_id=by,
                actor_label=scope.seat.display_name, subject_type="meeting", subject_id=meeting.id,
                data={"caucus_id": caucus.id, "seat_ids": sorted(s.id for s in members)})
    await scope.uow.session.flush()
    routes = await queue_routes(scope)
    await queue_roster(scope)
    return {"routing_version": routes.version}
