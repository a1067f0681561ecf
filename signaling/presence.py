"""Who sees whom: each audience's roster, the lobby for hosts, and a seat's socket.io rooms.

The seat's state in the database decides everything here. An admitted seat
hears its audience only: the main room, or its caucus (L11). Hosts (the host,
and co-hosts allowed to admit) see the whole room and the lobby; a seat still
in the lobby sees nobody. Handlers change the state, then call
``queue_room_sync`` (its connection's rooms follow the state) and
``queue_roster`` / ``queue_lobby``; everything is sent after the commit.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select

from odr.accounts.identity import mask_document
from odr.accounts.models import User
from odr.meetings.models import (
    AttendanceEvent,
    AttendanceKind,
    Control,
    Meeting,
    MeetingSeat,
    SeatRole,
    SeatState,
)
from signaling import rooms
from signaling.protocol import NAMESPACE, Lobby, LobbyEntry, RoomState, Roster, SeatInfo, SeatNotice
from signaling.scope import EventScope


def seat_info(seat: MeetingSeat) -> SeatInfo:
    return SeatInfo(
        seat_id=seat.id, role=seat.role, side=seat.side, display_name=seat.display_name,
        state=seat.state, caucus_id=seat.caucus_id, connected=seat.connected,
        audio_muted_by_host=seat.audio_muted_by_host, video_muted_by_host=seat.video_muted_by_host,
        hand_raised=seat.hand_raised,
    )


def sees_lobby(seat: MeetingSeat) -> bool:
    """An admitted host, or an admitted co-host the host let admit."""
    if seat.state != SeatState.ADMITTED:
        return False
    return seat.role == SeatRole.HOST or (
        seat.role == SeatRole.CO_HOST and Control.ADMIT in (seat.delegated or ())
    )


def rooms_for(meeting_id: int, seat: MeetingSeat) -> set[str]:
    """The socket.io rooms a connection of ``seat`` belongs to in its current state."""
    names = {rooms.seat_room(meeting_id, seat.id), rooms.everyone_room(meeting_id)}
    if seat.state == SeatState.ADMITTED:
        if seat.caucus_id is None:
            names.add(rooms.main_room(meeting_id))
        else:
            names.add(rooms.caucus_room(meeting_id, seat.caucus_id))
        if sees_lobby(seat):
            names.add(rooms.hosts_room(meeting_id))
    return names


def queue_room_sync(scope: EventScope, seat: MeetingSeat, before: set[str]) -> None:
    """After commit, move the seat's live connection (on any process) from ``before`` to its rooms now.

    Take ``before = rooms_for(meeting_id, seat)`` before changing the seat.
    """
    sid = seat.connection_sid
    if not seat.connected or not sid:
        return
    after = rooms_for(seat.meeting_id, seat)
    sio = scope.sio
    for room in sorted(before - after):
        async def leave(room: str = room) -> None:
            await sio.leave_room(sid, room, namespace=NAMESPACE)

        scope.later(leave)
    for room in sorted(after - before):
        async def enter(room: str = room) -> None:
            await sio.enter_room(sid, room, namespace=NAMESPACE)

        scope.later(enter)


_closing: set[asyncio.Task[None]] = set()


def queue_disconnect(scope: EventScope, seat: MeetingSeat) -> None:
    """After commit, close the seat's connection (after the emits queued before, and the ack).

    Queue it last: it runs as its own task once the other queued actions are
    done, so when the seat is the caller's own, the event's ack is queued on
    the socket before the disconnect packet.
    """
    sid = seat.connection_sid
    if not sid:
        return
    sio = scope.sio

    async def close() -> None:
        await sio.disconnect(sid, namespace=NAMESPACE)

    async def schedule() -> None:
        task = asyncio.get_running_loop().create_task(close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    scope.later(schedule)


def queue_notice(
    scope: EventScope, seat: MeetingSeat, change: str, *, reason: str | None = None,
    controls: list[str] | None = None, room: str | None = None,
) -> None:
    """Tell ``seat`` (or ``room``) what just happened to it."""
    notice = SeatNotice(
        meeting_id=seat.meeting_id, change=change, seat=seat_info(seat),  # type: ignore[arg-type]
        reason=reason, controls=controls,
    )
    scope.emit("seat", notice, room=room or rooms.seat_room(seat.meeting_id, seat.id))


def queue_room_state(scope: EventScope, meeting: Meeting) -> None:
    scope.emit(
        "room", RoomState(meeting_id=meeting.id, status=meeting.status, locked=meeting.locked),
        room=rooms.everyone_room(meeting.id),
    )


async def meeting_seats(scope: EventScope) -> list[MeetingSeat]:
    assert scope.meeting is not None
    result = await scope.uow.session.execute(
        select(MeetingSeat).where(MeetingSeat.meeting_id == scope.meeting.id).order_by(MeetingSeat.id)
    )
    return list(result.scalars())


async def queue_roster(scope: EventScope) -> None:
    """Each audience its roster: the main room, each caucus, and hosts the whole room."""
    assert scope.meeting is not None
    meeting_id = scope.meeting.id
    present = [s for s in await meeting_seats(scope) if s.state == SeatState.ADMITTED]
    host_sids = [s.connection_sid for s in present if sees_lobby(s) and s.connected and s.connection_sid]
    skip: list[str] | None = host_sids or None

    def roster(seats: list[MeetingSeat]) -> Roster:
        return Roster(meeting_id=meeting_id, seats=[seat_info(s) for s in seats])

    scope.emit(
        "roster", roster([s for s in present if s.caucus_id is None]),
        room=rooms.main_room(meeting_id), skip_sid=skip,
    )
    for caucus_id in sorted({s.caucus_id for s in present if s.caucus_id is not None}):
        scope.emit(
            "roster", roster([s for s in present if s.caucus_id == caucus_id]),
            room=rooms.caucus_room(meeting_id, caucus_id), skip_sid=skip,
        )
    scope.emit("roster", roster(present), room=rooms.hosts_room(meeting_id))


async def lobby_entries(scope: EventScope) -> list[LobbyEntry]:
    """Who waits, with the identity the host checks (L2): real name, level, masked document."""
    assert scope.meeting is not None
    session = scope.uow.session
    waiting = [s for s in await meeting_seats(scope) if s.state == SeatState.LOBBY]
    if not waiting:
        return []
    user_ids = [s.user_id for s in waiting if s.user_id is not None]
    users = {
        u.id: u for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
    } if user_ids else {}
    since_rows = await session.execute(
        select(AttendanceEvent.seat_id, func.max(AttendanceEvent.at))
        .where(
            AttendanceEvent.seat_id.in_([s.id for s in waiting]),
            AttendanceEvent.kind.in_([AttendanceKind.JOINED, AttendanceKind.RETURNED_TO_LOBBY]),
        )
        .group_by(AttendanceEvent.seat_id)
    )
    since: dict[int, datetime] = {seat_id: at for seat_id, at in since_rows.all()}
    entries = []
    for seat in waiting:
        user = users.get(seat.user_id) if seat.user_id is not None else None
        if user is not None:
            name, level = user.real_name, user.identity_level
            masked = mask_document(user.id_doc_type, user.id_doc_last4)
        else:
            name, level, masked = None, None, _guest_document(scope, seat)
        at = since.get(seat.id)
        entries.append(LobbyEntry(
            seat=seat_info(seat), verified_name=name, identity_level=level, id_doc_masked=masked,
            entry_code_verified=seat.entry_code_verified_at is not None,
            warning_acknowledged=seat.warning_acknowledged_at is not None,
            waiting_since=at.isoformat() if at is not None else None,
        ))
    return entries


def _guest_document(scope: EventScope, seat: MeetingSeat) -> str | None:
    """A guest's ID document as the host entered it, masked to its last four characters."""
    if seat.guest_id_doc_encrypted is None:
        return None
    from odr.meetings.entry import GUEST_ID_DOC_CONTEXT

    number = scope.services.crypto.decrypt(seat.guest_id_doc_encrypted, context=GUEST_ID_DOC_CONTEXT)
    return mask_document(None, number[-4:])


async def queue_lobby(scope: EventScope) -> None:
    """The lobby, to the hosts (and co-hosts allowed to admit)."""
    assert scope.meeting is not None
    scope.emit(
        "lobby", Lobby(meeting_id=scope.meeting.id, waiting=await lobby_entries(scope)),
        room=rooms.hosts_room(scope.meeting.id),
    )


async def queue_routes(scope: EventScope) -> None:
    """Tell the room's media node who may now receive whom (``signaling.routing``)."""
    from signaling.routing import queue_routes as queue_node_routes  # imports this module's peers

    await queue_node_routes(scope)


async def queue_room_changes(scope: EventScope, *, roster: bool = True, lobby: bool = True) -> None:
    """After a state change: routes to the media node, rosters to the room, the lobby to hosts."""
    await queue_routes(scope)
    if roster:
        await queue_roster(scope)
    if lobby:
        await queue_lobby(scope)
