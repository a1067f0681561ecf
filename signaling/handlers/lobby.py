"""The lobby and the entry checks (L2, L9).

Everyone but the host waits in the lobby. Before the host may admit a
seat, the seat has proved its identity again with a fresh one-time code to
its verified mobile (L2) and, before a mediation, a party has acknowledged
the warning about sham mediation (L9). The host also records that the face
on camera matches the ID document (L2). The host (or a co-host allowed to
admit) admits, denies (with a reason; the seat cannot come back) or sends
an admitted seat back to the lobby.
"""

from __future__ import annotations

from typing import Any

from odr.audit.chain import record as audit
from odr.meetings.models import AttendanceKind, MeetingSeat, SeatState
from odr.policy import Permission
from signaling import presence
from signaling.attendance import record_attendance
from signaling.connection import entry_code_required, warning_required
from signaling.protocol import Empty, EntryCode, ErrorEvent, LobbyDeny, SeatTarget, VisualCheck
from signaling.registry import handles
from signaling.scope import EventScope, RoomError


def _parts(scope: EventScope) -> tuple[Any, MeetingSeat, MeetingSeat]:
    assert scope.meeting is not None and scope.seat is not None and scope.target is not None
    return scope.meeting, scope.seat, scope.target


def admission_problem(scope: EventScope, seat: MeetingSeat) -> str | None:
    """Why ``seat`` cannot be admitted yet, or None."""
    assert scope.meeting is not None
    if entry_code_required(seat) and seat.entry_code_verified_at is None:
        return "the participant has not entered its entry code yet (L2)"
    if warning_required(scope.meeting, seat) and seat.warning_acknowledged_at is None:
        return "the participant has not acknowledged the sham-mediation warning yet (L9)"
    return None


@handles("lobby.admit", Permission.ROOM_ADMIT)
async def admit(scope: EventScope, message: SeatTarget) -> None:
    _meeting, host, target = _parts(scope)
    if target.state != SeatState.LOBBY:
        raise RoomError("conflict", f"this participant is not waiting in the lobby ({target.state})")
    if not target.connected:
        raise RoomError("conflict", "this participant's connection is lost; wait until it is back")
    problem = admission_problem(scope, target)
    if problem is not None:
        raise RoomError("entry_check", problem)
    before = presence.rooms_for(target.meeting_id, target)
    target.state, target.caucus_id, target.updated_at = SeatState.ADMITTED, None, scope.now
    await record_attendance(scope, target, AttendanceKind.ADMITTED, by_user_id=host.user_id)
    presence.queue_room_sync(scope, target, before)
    presence.queue_notice(scope, target, "admitted")
    await presence.queue_room_changes(scope)


@handles("lobby.deny", Permission.ROOM_ADMIT)
async def deny(scope: EventScope, message: LobbyDeny) -> None:
    _meeting, host, target = _parts(scope)
    if target.state not in (SeatState.LOBBY, SeatState.INVITED):
        raise RoomError("conflict", f"only a waiting participant is denied ({target.state})")
    before = presence.rooms_for(target.meeting_id, target)
    target.state, target.updated_at = SeatState.DENIED, scope.now
    await record_attendance(
        scope, target, AttendanceKind.DENIED, by_user_id=host.user_id, detail={"reason": message.reason}
    )
    presence.queue_notice(scope, target, "denied", reason=message.reason)
    presence.queue_room_sync(scope, target, before)
    await presence.queue_room_changes(scope)
    presence.queue_disconnect(scope, target)


@handles("lobby.return", Permission.ROOM_ADMIT)
async def back_to_lobby(scope: EventScope, message: SeatTarget) -> None:
    _meeting, host, target = _parts(scope)
    if target.state != SeatState.ADMITTED:
        raise RoomError("conflict", f"only an admitted participant goes back to the lobby ({target.state})")
    before = presence.rooms_for(target.meeting_id, target)
    detail = {"caucus_id": target.caucus_id} if target.caucus_id else {}
    target.state, target.caucus_id, target.hand_raised = SeatState.LOBBY, None, False
    target.updated_at = scope.now
    await record_attendance(
        scope, target, AttendanceKind.RETURNED_TO_LOBBY, by_user_id=host.user_id, detail=detail
    )
    presence.queue_room_sync(scope, target, before)
    presence.queue_notice(scope, target, "returned_to_lobby")
    await presence.queue_room_changes(scope)


@handles("entry.code", Permission.ROOM_ENTRY)
async def entry_code(scope: EventScope, message: EntryCode) -> dict[str, Any]:
    """The seat's fresh one-time code (L2). A wrong try is counted, so it commits and answers no."""
    from odr.meetings.entry import check_entry_code

    seat = scope.seat
    assert seat is not None
    if seat.entry_code_verified_at is not None:
        return {"verified": True}
    if not await check_entry_code(scope.uow, scope.services, seat, message.code):
        error = {"code": "wrong_code", "message": "the entry code is wrong or expired: ask for a new one"}
        scope.emit("error", ErrorEvent(event="entry.code", **error), room=scope.caller.sid)
        return {"ok": False, "error": error}
    seat.entry_code_verified_at = seat.entry_code_verified_at or scope.now
    await presence.queue_lobby(scope)
    return {"verified": True}


@handles("entry.visual_check", Permission.ROOM_ADMIT)
async def visual_check(scope: EventScope, message: VisualCheck) -> None:
    """The host compared the face on camera with the ID document (L2)."""
    _meeting, host, target = _parts(scope)
    if target.state not in (SeatState.LOBBY, SeatState.ADMITTED):
        raise RoomError("conflict", f"this participant is not here ({target.state})")
    note = message.note.strip()
    target.visual_id_checked_by_id = host.user_id
    target.visual_id_note = ("matches" if message.matches else "does not match") + (f": {note}" if note else "")
    target.visual_id_checked_at = scope.now if message.matches else None
    target.updated_at = scope.now
    await audit(
        scope.uow, scope.services.clock, action="meeting.seat.visual_id_check", actor_id=host.user_id,
        actor_label=host.display_name, subject_type="meeting_seat", subject_id=target.id,
        data={"meeting_id": target.meeting_id, "matches": message.matches, "note": note},
    )
    await presence.queue_lobby(scope)


@handles("entry.ack_warning", Permission.ROOM_ENTRY)
async def acknowledge_warning(scope: EventScope, message: Empty) -> None:
    """The participant read the warning about the consequences of sham mediation (L9)."""
    seat = scope.seat
    assert seat is not None
    if seat.warning_acknowledged_at is None:
        seat.warning_acknowledged_at = seat.updated_at = scope.now
        await audit(
            scope.uow, scope.services.clock, action="meeting.seat.warning_acknowledged",
            actor_id=seat.user_id, actor_label=seat.display_name, subject_type="meeting_seat",
            subject_id=seat.id, data={"meeting_id": seat.meeting_id},
        )
    await presence.queue_lobby(scope)

