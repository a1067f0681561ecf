"""Moderation: mute, remove, lock, delegate, warn, let leave, end; and leaving on one's own.

The host holds every control; a co-host (a clerk) holds the ones the host
delegated to it (``MeetingSeat.delegated``). In a hearing, the judge's
warning and permission decide how a departure is recorded (L29): with
permission, without permission after a warning, or plainly left. A dropped
connection is never a departure (``signaling.connection``: network or
equipment failure is a valid reason).
"""

from __future__ import annotations

from typing import Any

from odr.audit.chain import record as audit
from odr.meetings.models import (
    AttendanceKind,
    MeetingKind,
    MeetingSeat,
    MeetingStatus,
    SeatRole,
    SeatState,
)
from odr.policy import Permission
from signaling import presence, rooms
from signaling.attendance import record_attendance
from signaling.protocol import Delegate, Empty, Ended, GrantLeave, Leave, Lock, Mute, Remove, Warn
from signaling.registry import handles
from signaling.scope import EventScope, RoomError

LIVE = (SeatState.LOBBY, SeatState.ADMITTED)


def _host_and_target(scope: EventScope) -> tuple[MeetingSeat, MeetingSeat]:
    assert scope.seat is not None and scope.target is not None
    return scope.seat, scope.target


@handles("moderation.mute", Permission.ROOM_MUTE)
async def mute(scope: EventScope, message: Mute) -> None:
    """Mute a participant's audio or video; ``muted=False`` lifts it and asks the participant to unmute."""
    _host, target = _host_and_target(scope)
    if target.state != SeatState.ADMITTED:
        raise RoomError("conflict", "only an admitted participant is muted")
    field = "audio_muted_by_host" if message.kind == "audio" else "video_muted_by_host"
    setattr(target, field, message.muted)
    target.updated_at = scope.now
    presence.queue_notice(
        scope, target, "muted" if message.muted else "unmute_requested", reason=message.kind
    )
    await presence.queue_room_changes(scope, lobby=False)


@handles("moderation.remove", Permission.ROOM_REMOVE)
async def remove(scope: EventScope, message: Remove) -> None:
    host, target = _host_and_target(scope)
    if target.state == SeatState.REMOVED:
        raise RoomError("conflict", "this participant was already removed")
    before = presence.rooms_for(target.meeting_id, target)
    target.state, target.caucus_id, target.hand_raised = SeatState.REMOVED, None, False
    target.resume_key_hash, target.updated_at = None, scope.now
    await record_attendance(
        scope, target, AttendanceKind.REMOVED, by_user_id=host.user_id, detail={"reason": message.reason}
    )
    presence.queue_notice(scope, target, "removed", reason=message.reason)
    presence.queue_room_sync(scope, target, before)
    await presence.queue_room_changes(scope)
    presence.queue_disconnect(scope, target)


@handles("moderation.lock", Permission.ROOM_LOCK)
async def lock(scope: EventScope, message: Lock) -> None:
    meeting, host = scope.meeting, scope.seat
    assert meeting is not None and host is not None
    if meeting.locked == message.locked:
        return
    meeting.locked, meeting.updated_at = message.locked, scope.now
    await audit(
        scope.uow, scope.services.clock, action="meeting.locked" if message.locked else "meeting.unlocked",
        actor_id=host.user_id, actor_label=host.display_name, subject_type="meeting", subject_id=meeting.id,
    )
    presence.queue_room_state(scope, meeting)


@handles("moderation.delegate", Permission.ROOM_DELEGATE)
async def delegate(scope: EventScope, message: Delegate) -> None:
    """The host gives a co-host the controls listed (replacing what it held)."""
    host, target = _host_and_target(scope)
    if target.role != SeatRole.CO_HOST:
        raise RoomError("conflict", "only a co-host holds host controls")
    controls: list[str] = sorted(set(message.controls))
    before = presence.rooms_for(target.meeting_id, target)
    target.delegated, target.updated_at = controls, scope.now
    await audit(
        scope.uow, scope.services.clock, action="meeting.seat.delegated", actor_id=host.user_id,
        actor_label=host.display_name, subject_type="meeting_seat", subject_id=target.id,
        data={"meeting_id": target.meeting_id, "controls": controls},
    )
    presence.queue_room_sync(scope, target, before)
    presence.queue_notice(scope, target, "delegated", controls=controls)
    await presence.queue_roster(scope)
    await presence.queue_lobby(scope)


@handles("moderation.warn", Permission.ROOM_WARN)
async def warn(scope: EventScope, message: Warn) -> None:
    """The judge's warning (L29): leaving without permission after it is recorded as such."""
    host, target = _host_and_target(scope)
    if target.state != SeatState.ADMITTED:
        raise RoomError("conflict", "only an admitted participant is warned")
    target.warned_at = target.updated_at = scope.now
    await record_attendance(
        scope, target, AttendanceKind.WARNED, by_user_id=host.user_id, detail={"reason": message.reason}
    )
    presence.queue_notice(scope, target, "warned", reason=message.reason)


@handles("moderation.grant_leave", Permission.ROOM_GRANT_LEAVE)
async def grant_leave(scope: EventScope, message: GrantLeave) -> None:
    host, target = _host_and_target(scope)
    if target.state not in LIVE:
        raise RoomError("conflict", "this participant is not here")
    target.leave_permitted_at = target.updated_at = scope.now
    await audit(
        scope.uow, scope.services.clock, action="meeting.seat.leave_granted", actor_id=host.user_id,
        actor_label=host.display_name, subject_type="meeting_seat", subject_id=target.id,
        data={"meeting_id": target.meeting_id},
    )
    presence.queue_notice(scope, target, "leave_granted")


@handles("meeting.end", Permission.ROOM_END)
async def end(scope: EventScope, message: Empty) -> None:
    """End the meeting: everyone gets ``ended``, every seat still here leaves, connections close."""
    meeting, host = scope.meeting, scope.seat
    assert meeting is not None and host is not None
    meeting.status, meeting.ended_at, meeting.updated_at = MeetingStatus.ENDED, scope.now, scope.now
    await audit(
        scope.uow, scope.services.clock, action="meeting.ended", actor_id=host.user_id,
        actor_label=host.display_name, subject_type="meeting", subject_id=meeting.id,
    )
    seats = await presence.meeting_seats(scope)
    for seat in seats:
        if seat.state in LIVE:
            await record_attendance(scope, seat, AttendanceKind.LEFT, detail={"reason": "meeting_ended"})
            seat.state, seat.caucus_id, seat.hand_raised = SeatState.LEFT, None, False
            seat.resume_key_hash, seat.dropped_at, seat.updated_at = None, None, scope.now
    await presence.queue_routes(scope)
    scope.emit(
        "ended", Ended(meeting_id=meeting.id, reason="ended_by_host", manifest_sha256=meeting.manifest_sha256),
        room=rooms.everyone_room(meeting.id),
    )
    for seat in seats:
        if seat.connected and seat.connection_sid:
            presence.queue_disconnect(scope, seat)


@handles("leave", Permission.ROOM_LEAVE)
async def leave(scope: EventScope, message: Leave) -> dict[str, Any]:
    """Leave on one's own. In a hearing, ``permission_requested`` first asks the judge (L29)."""
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    if seat.state not in LIVE:
        raise RoomError("conflict", f"you are not in the room ({seat.state})")
    hearing = meeting.kind == MeetingKind.HEARING
    if hearing and message.permission_requested and seat.leave_permitted_at is None:
        presence.queue_notice(scope, seat, "leave_requested", room=rooms.hosts_room(meeting.id))
        return {"left": False, "requested": True}
    if hearing and seat.leave_permitted_at is not None:
        kind = AttendanceKind.LEFT_WITH_PERMISSION
    elif hearing and seat.warned_at is not None:
        kind = AttendanceKind.LEFT_WITHOUT_PERMISSION
    else:
        kind = AttendanceKind.LEFT
    before = presence.rooms_for(meeting.id, seat)
    await record_attendance(scope, seat, kind, by_user_id=seat.user_id)
    seat.state, seat.caucus_id, seat.hand_raised = SeatState.LEFT, None, False
    seat.resume_key_hash, seat.updated_at = None, scope.now
    presence.queue_room_sync(scope, seat, before)
    await presence.queue_room_changes(scope)
    presence.queue_disconnect(scope, seat)  # last: the ack goes out before the connection closes
    return {"left": True, "recorded_as": str(kind)}
