"""Connecting to a room and losing the connection: tokens, resumes, the lobby, drops.

A person connects with a room token (one use, for one seat) or, after a
dropped connection, with its seat's resume key (from ``joined``; only its
hash is stored, and a new one is handed out at each connect). Where the seat
goes:

* the host enters admitted and opens the meeting (scheduled → open);
* a seat back within ``room_reconnect_grace_seconds`` of its drop keeps its
  state (admitted stays admitted, its caucus kept; no second lobby);
* everyone else waits in the lobby, whether or not the host is there yet —
  arriving first bypasses nothing. A locked room refuses them (not resumes).

A lost connection marks the seat dropped (attendance ``dropped``: network or
equipment, L29), unless it left on purpose; ``expire_dropped_seats`` (a beat
task) releases seats not back within the grace period (``drop_expired``).
The database is the truth, so a resume may land on another process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError
from socketio.exceptions import ConnectionRefusedError
from sqlalchemy import select

from odr.accounts.models import User
from odr.db.uow import UnitOfWork
from odr.meetings.models import (
    AttendanceKind,
    Meeting,
    MeetingKind,
    MeetingSeat,
    MeetingStatus,
    SeatRole,
    SeatState,
)
from odr.meetings.tokens import RoomTokenError, spend_room_token, verify_room_token
from odr.outbox.live import publish_live_event
from odr.policy import Actor
from odr.policy.meetings import PARTY_SIDE_ROLES
from odr.services import Services
from signaling import presence
from signaling.attendance import record_attendance
from signaling.protocol import NAMESPACE, ConnectAuth, Joined
from signaling.scope import Caller, EventScope, Payload

if TYPE_CHECKING:
    from signaling.server import RoomNamespace

log = logging.getLogger(__name__)

LIVE_STATES = frozenset({SeatState.LOBBY, SeatState.ADMITTED})
OVER = frozenset({MeetingStatus.ENDED, MeetingStatus.CANCELLED})
_CONNECTED_WAIT_SECONDS = 5.0
_pending: set[asyncio.Task[None]] = set()


def _refuse(code: str, message: str, **context: Any) -> NoReturn:
    """Refuse the connection: the client's ``connect_error`` gets the message and the code."""
    log.warning("room connection refused: %s", code, extra={"code": code, **context})
    raise ConnectionRefusedError(message, {"code": code})


def hash_resume_key(key: str) -> str:
    return hashlib.sha256(f"room-resume:{key}".encode()).hexdigest()


def grace_of(services: Services) -> timedelta:
    return timedelta(seconds=services.settings.room_reconnect_grace_seconds)


def warning_required(meeting: Meeting, seat: MeetingSeat) -> bool:
    """L9: a party (or its agent) acknowledges the sham-mediation warning before a mediation."""
    return meeting.kind == MeetingKind.MEDIATION and seat.role in PARTY_SIDE_ROLES


def entry_code_required(seat: MeetingSeat) -> bool:
    """L2: everyone but the host proves its mobile again with a fresh code at entry."""
    return seat.role != SeatRole.HOST


def _within_grace(seat: MeetingSeat, now: datetime, grace: timedelta) -> bool:
    if seat.state not in LIVE_STATES:
        return False
    if seat.connected:
        return True  # the server has not noticed the drop yet: the new connection takes over
    return seat.dropped_at is not None and now - seat.dropped_at <= grace


async def _lock_meeting(uow: UnitOfWork, meeting_id: int) -> Meeting | None:
    query = select(Meeting).where(Meeting.id == meeting_id).with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


async def _actor(uow: UnitOfWork, seat: MeetingSeat) -> Actor:
    if seat.user_id is None:
        return Actor(user_id=None, role=None)  # a guest: room rules look at its seat
    user = await uow.session.get(User, seat.user_id)
    if user is None or not user.is_active:
        _refuse("account_inactive", "this account cannot join meetings", seat_id=seat.id)
    return Actor(user_id=user.id, role=user.role, identity_level=user.identity_level)


# ------------------------------------------------------------------ connect
async def connect(ns: RoomNamespace, sid: str, environ: dict[str, Any], auth: Any) -> None:
    """The ``/room`` connect handler: a media node, a token join or a resume."""
    try:
        data = ConnectAuth.model_validate(auth if auth is not None else {})
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'auth'}: {e['msg']}" for e in exc.errors()[:5])
        _refuse("invalid_auth", f"connect payload refused: {fields}", sid=sid)
    if data.node is not None:
        from signaling.nodes import authenticate_node

        await authenticate_node(ns, sid, data)  # saves the node's Caller and enters its room
        return
    if data.token:
        await _join(ns, sid, data)
    elif data.resume_seat is not None and data.resume_key:
        await _join(ns, sid, data, resume=True)
    else:
        _refuse("no_credentials", "connect with a room token, or a seat id and its resume key", sid=sid)


async def _join(ns: RoomNamespace, sid: str, data: ConnectAuth, *, resume: bool = False) -> None:
    services = ns.services
    now = services.clock.now()
    if resume:
        assert data.resume_seat is not None
        seat_id = data.resume_seat
        claims = None
    else:
        assert data.token is not None
        try:
            claims = verify_room_token(services.settings, now, data.token)
        except RoomTokenError as exc:
            _refuse(exc.code, exc.message, sid=sid)
        if data.meeting_id is not None and claims.meeting_id != data.meeting_id:
            _refuse("other_meeting", "this room token is for another meeting", sid=sid)
        seat_id = claims.seat_id
    async with services.db.uow() as uow:
        seat = await uow.session.get(MeetingSeat, seat_id)
        meeting = await _lock_meeting(uow, seat.meeting_id) if seat is not None else None
        if seat is None or meeting is None:
            _refuse("invalid_token" if claims else "invalid_resume", "no such seat", sid=sid)
        await uow.session.refresh(seat)  # read again under the meeting's lock
        if claims is not None:
            if (claims.meeting_id, claims.user_id, claims.role) != (meeting.id, seat.user_id, seat.role):
                _refuse("other_meeting", "this room token does not belong to this meeting's seat",
                        sid=sid, seat_id=seat.id)
            try:
                await spend_room_token(uow, now, claims)
            except RoomTokenError as exc:
                _refuse(exc.code, exc.message, sid=sid, seat_id=seat_id)  # the session is rolled back
        else:
            key = data.resume_key or ""
            if seat.resume_key_hash is None or not hmac.compare_digest(
                hash_resume_key(key), seat.resume_key_hash
            ):
                _refuse("invalid_resume", "this resume key is not valid: join with a new room token",
                        sid=sid, seat_id=seat.id)
            if data.meeting_id is not None and data.meeting_id != meeting.id:
                _refuse("other_meeting", "this seat belongs to another meeting", sid=sid)
        caller = await _enter(ns, uow, sid, meeting, seat, now, resume=resume)
    await ns.save_session(sid, {"caller": caller})


async def _enter(
    ns: RoomNamespace, uow: UnitOfWork, sid: str, meeting: Meeting, seat: MeetingSeat,
    now: datetime, *, resume: bool,
) -> Caller:
    services = ns.services
    if meeting.status in OVER:
        _refuse("meeting_over", f"the meeting is {meeting.status}", sid=sid, meeting_id=meeting.id)
    if seat.state == SeatState.REMOVED:
        _refuse("removed", "the host removed you from this meeting", sid=sid, seat_id=seat.id)
    if seat.state == SeatState.DENIED:
        _refuse("denied", "the host refused your entry to this meeting", sid=sid, seat_id=seat.id)
    kept = _within_grace(seat, now, grace_of(services))
    if resume and not kept:
        _refuse("resume_expired", "your seat was released: join again with a new room token",
                sid=sid, seat_id=seat.id)
    actor = await _actor(uow, seat)
    caller = Caller(sid=sid, kind="person", actor=actor, meeting_id=meeting.id, seat_id=seat.id)
    scope = EventScope(
        services=services, sio=ns.server, caller=caller, uow=uow, now=now, meeting=meeting, seat=seat
    )
    old_sid = seat.connection_sid if seat.connected and seat.connection_sid != sid else None
    opened = False
    if seat.state in LIVE_STATES and not kept:
        # dropped too long ago, and the sweep has not released it yet
        await record_attendance(scope, seat, AttendanceKind.DROP_EXPIRED,
                                detail={"dropped_at": _iso(seat.dropped_at)})
        seat.state, seat.caucus_id = SeatState.LEFT, None
    if seat.role == SeatRole.HOST:
        if seat.state != SeatState.ADMITTED:
            seat.state, seat.caucus_id = SeatState.ADMITTED, None
        if meeting.status == MeetingStatus.SCHEDULED:
            meeting.status, meeting.opened_at, meeting.updated_at = MeetingStatus.OPEN, now, now
            opened = True
    elif not kept:
        if meeting.locked:
            _refuse("locked", "the room is locked: the host lets no one new in", sid=sid, seat_id=seat.id)
        seat.state, seat.caucus_id, seat.hand_raised = SeatState.LOBBY, None, False
    kind = AttendanceKind.RECONNECTED if kept else AttendanceKind.JOINED
    key = secrets.token_urlsafe(32)
    seat.connected, seat.connection_sid, seat.dropped_at = True, sid, None
    seat.resume_key_hash = hash_resume_key(key)
    seat.updated_at = now
    await record_attendance(scope, seat, kind, detail={"via": "resume" if resume else "token"})
    await uow.session.flush()
    joined = Joined(
        meeting_id=meeting.id, seat=presence.seat_info(seat), resume_key=key, resumed=kept,
        warning_required=warning_required(meeting, seat) and seat.warning_acknowledged_at is None,
        entry_code_required=entry_code_required(seat) and seat.entry_code_verified_at is None,
        recording_state=meeting.recording_state, locked=meeting.locked, server_time=now.isoformat(),
    )
    # This connection's rooms are entered now; the emits wait for the commit and the
    # socket.io CONNECT packet, so the joiner's ``joined`` comes first on its socket.
    if old_sid is not None:
        stale = old_sid

        async def close_stale() -> None:
            await ns.server.disconnect(stale, namespace=NAMESPACE)

        scope.later(close_stale)
    scope.emit("joined", joined, room=sid)
    if opened:
        presence.queue_room_state(scope, meeting)
    await presence.queue_room_changes(scope)
    for room in sorted(presence.rooms_for(meeting.id, seat)):
        await ns.enter_room(sid, room)
    _after_connect(ns, sid, scope)
    log.info("room joined", extra={"meeting_id": meeting.id, "seat_id": seat.id, "kind": str(kind)})
    return caller


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _after_connect(ns: RoomNamespace, sid: str, scope: EventScope) -> None:
    """Send the scope's emits once socket.io has completed this connection (after the commit)."""

    async def run() -> None:
        manager = ns.server.manager
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _CONNECTED_WAIT_SECONDS
        while not manager.is_connected(sid, NAMESPACE):
            if loop.time() > deadline:
                return  # refused or gone: nothing to tell
            await asyncio.sleep(0.002)
        try:
            await scope.flush()
        except Exception:
            log.exception("room join emits failed", extra={"sid": sid})

    task = asyncio.get_running_loop().create_task(run())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


# ------------------------------------------------------------------ disconnect
async def disconnect(ns: RoomNamespace, sid: str, reason: Any) -> None:
    """The connection is gone: a seat that did not leave on purpose is dropped (kept for the grace period)."""
    caller = await ns.caller_of(sid)
    if caller is None:
        return
    if caller.kind == "node":
        from signaling import nodes

        gone = getattr(nodes, "node_disconnected", None)
        if gone is not None:
            await gone(ns, sid, caller)
        return
    services = ns.services
    async with services.db.uow() as uow:
        assert caller.meeting_id is not None and caller.seat_id is not None
        meeting = await _lock_meeting(uow, caller.meeting_id)
        seat = await uow.session.get(MeetingSeat, caller.seat_id)
        if meeting is None or seat is None:
            return
        await uow.session.refresh(seat)
        if seat.connection_sid != sid:
            return  # a newer connection already took the seat over
        now = services.clock.now()
        scope = EventScope(
            services=services, sio=ns.server, caller=caller, uow=uow, now=now, meeting=meeting, seat=seat
        )
        seat.connected, seat.connection_sid, seat.updated_at = False, None, now
        if seat.state in LIVE_STATES and meeting.status not in OVER:
            seat.dropped_at = now
            await record_attendance(scope, seat, AttendanceKind.DROPPED, detail={"reason": str(reason)})
        await uow.session.flush()
        await presence.queue_room_changes(scope)
    await scope.flush()


# ------------------------------------------------------------------ the sweep
class _LiveScope(EventScope):
    """A scope outside a socket.io server (a Celery worker): emits become live events."""

    def __init__(self, services: Services, uow: UnitOfWork, meeting: Meeting, now: datetime) -> None:
        caller = Caller(sid="", kind="person", actor=Actor(user_id=None, role=None), meeting_id=meeting.id)
        super().__init__(services=services, sio=None, caller=caller, uow=uow, now=now, meeting=meeting)  # type: ignore[arg-type]
        self._events: list[tuple[str, str, dict[str, Any]]] = []

    def emit(
        self, event: str, payload: Payload, *, room: str, skip_sid: str | list[str] | None = None,
    ) -> None:
        data = payload.model_dump(mode="json") if not isinstance(payload, dict) else payload
        self._events.append((room, event, data))

    def later(self, action: Callable[[], Awaitable[None]]) -> None:
        pass  # the released seats have no connection left to move

    async def publish(self) -> None:
        for room, event, data in self._events:
            await publish_live_event(self.uow, self.services.clock, room, event, data)
        self._events.clear()


async def expire_dropped_seats(services: Services) -> int:
    """Release seats dropped longer than the grace period (attendance ``drop_expired``).

    A released seat comes back only through a new room token and the lobby.
    Returns how many seats were released.
    """
    now = services.clock.now()
    cutoff = now - grace_of(services)
    expired = (
        MeetingSeat.connected.is_(False), MeetingSeat.dropped_at.is_not(None),
        MeetingSeat.dropped_at < cutoff, MeetingSeat.state.in_(list(LIVE_STATES)),
    )
    async with services.db.reader() as uow:
        meeting_ids = list((await uow.session.execute(
            select(MeetingSeat.meeting_id).where(*expired).distinct()
        )).scalars())
    released = 0
    for meeting_id in meeting_ids:
        async with services.db.uow() as uow:
            meeting = await _lock_meeting(uow, meeting_id)
            if meeting is None:
                continue
            seats = list((await uow.session.execute(
                select(MeetingSeat).where(MeetingSeat.meeting_id == meeting_id, *expired)
            )).scalars())
            if not seats:
                continue
            scope = _LiveScope(services, uow, meeting, now)
            for seat in seats:
                await record_attendance(scope, seat, AttendanceKind.DROP_EXPIRED,
                                        detail={"dropped_at": _iso(seat.dropped_at)})
                seat.state, seat.caucus_id, seat.hand_raised = SeatState.LEFT, None, False
                seat.resume_key_hash, seat.updated_at = None, now
            await uow.session.flush()
            await presence.queue_room_changes(scope)
            await scope.publish()
            released += len(seats)
    if released:
        log.info("dropped seats released", extra={"seats": released})
    return released

