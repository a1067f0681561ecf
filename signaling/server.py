"""The ``/room`` namespace: validate, rate-limit, authorize, dispatch, answer.

Every client event goes through ``RoomNamespace.dispatch``: the payload is
checked against its protocol model, the caller's seat and the meeting are
loaded (the meeting row locked for writing events, so changes to one room are
serialized across processes), the policy is asked on a ``RoomView`` built from
the database, and the handler runs in that one transaction. Emits go out after
the commit. A refused event costs the room nothing: the caller alone gets an
``error`` event and a failed ack.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio
from pydantic import ValidationError
from sqlalchemy import select

from odr.meetings.models import Meeting, MeetingSeat
from odr.policy import RoomView, SeatView, decide
from odr.services import Services
from signaling.protocol import NAMESPACE, ErrorEvent, Message
from signaling.ratelimit import TokenBucket
from signaling.registry import Handler, handler_for
from signaling.scope import Caller, EventScope, RoomError

log = logging.getLogger(__name__)

_HANDLER_MODULES = (
    "signaling.handlers.lobby",
    "signaling.handlers.chat",
    "signaling.handlers.moderation",
    "signaling.handlers.caucus",
    "signaling.handlers.recording",
    "signaling.handlers.record",
    "signaling.handlers.media",
    "signaling.handlers.nodes",
)


def seat_view(seat: MeetingSeat) -> SeatView:
    return SeatView(
        seat_id=seat.id, role=seat.role, state=seat.state, side=seat.side,
        caucus_id=seat.caucus_id, delegated=frozenset(seat.delegated or ()),
    )


def room_view(meeting: Meeting, seat: MeetingSeat, target: MeetingSeat | None) -> RoomView:
    return RoomView(
        meeting_id=meeting.id, kind=meeting.kind, status=meeting.status, me=seat_view(seat),
        target=seat_view(target) if target is not None else None, locked=meeting.locked,
    )


def _error_ack(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _validation_message(exc: ValidationError) -> str:
    """Field locations and reasons only: the offending input is never echoed back."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)


class RoomNamespace(socketio.AsyncNamespace):
    def __init__(self, services: Services) -> None:
        super().__init__(NAMESPACE)
        self.services = services
        self._buckets: dict[str, TokenBucket] = {}
        import importlib

        for module in _HANDLER_MODULES:
            importlib.import_module(module)
        self._connection = importlib.import_module("signaling.connection")

    # socket.io calls this for every event of the namespace
    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            sid, environ, *rest = args
            return await self._connection.connect(self, sid, environ, rest[0] if rest else None)
        if event == "disconnect":
            sid, *rest = args
            self._buckets.pop(sid, None)
            return await self._connection.disconnect(self, sid, rest[0] if rest else None)
        sid, *payload = args
        return await self.dispatch(event, sid, payload[0] if payload else None)

    async def caller_of(self, sid: str) -> Caller | None:
        try:
            session = await self.get_session(sid)
        except KeyError:
            return None
        caller = session.get("caller")
        return caller if isinstance(caller, Caller) else None

    async def refuse(self, sid: str, event: str | None, code: str, message: str) -> dict[str, Any]:
        log.warning("room event refused", extra={"sid": sid, "event": event, "code": code})
        await self.emit("error", ErrorEvent(code=code, message=message, event=event).model_dump(), to=sid)
        return _error_ack(code, message)

    def _allowed_rate(self, sid: str) -> bool:
        settings = self.services.settings
        bucket = self._buckets.get(sid)
        if bucket is None:
            bucket = self._buckets[sid] = TokenBucket(
                rate=settings.room_events_per_second, burst=settings.room_event_burst
            )
        return bucket.take(time.monotonic())

    async def dispatch(self, event: str, sid: str, data: Any) -> dict[str, Any]:
        caller = await self.caller_of(sid)
        if caller is None:
            return await self.refuse(sid, event, "not_joined", "join a meeting first")
        # A media node speaks for every participant of its rooms: no per-connection limit.
        if caller.kind == "person" and not self._allowed_rate(sid):
            return await self.refuse(sid, event, "rate_limited", "too many events: slow down")
        handler = handler_for(event, caller.kind)
        if handler is None:
            return await self.refuse(sid, event, "unknown_event", f"unknown event {event!r}")
        if handler.caller != caller.kind:
            return await self.refuse(sid, event, "forbidden", f"{event} is not for a {caller.kind}")
        try:
            message = handler.schema.model_validate(data if data is not None else {})
        except ValidationError as exc:
            return await self.refuse(sid, event, "invalid_message", _validation_message(exc))
        try:
            return await self._run(handler, caller, message)
        except RoomError as exc:
            return await self.refuse(sid, event, exc.code, exc.message)
        except Exception:
            log.exception("room event failed", extra={"sid": sid, "event": event})
            return await self.refuse(sid, event, "internal", "the server could not do this; try again")

    async def _run(self, handler: Handler, caller: Caller, message: Message) -> dict[str, Any]:
        services = self.services
        uow = services.db.uow() if handler.writes else services.db.reader()
        async with uow:
            scope = EventScope(
                services=services, sio=self.server, caller=caller, uow=uow, now=services.clock.now()
            )
            view: object = None
            if caller.kind == "person":
                await self._load(scope, handler, getattr(message, "seat_id", None))
                assert scope.meeting is not None and scope.seat is not None
                view = room_view(scope.meeting, scope.seat, scope.target)
            decision = decide(caller.actor, handler.permission, view)
            if not decision:
                raise RoomError("forbidden", decision.reason)
            extras = await handler.fn(scope, message)
        await scope.flush()
        return {"ok": True, **(extras or {})}

    async def _load(self, scope: EventScope, handler: Handler, target_id: int | None) -> None:
        caller = scope.caller
        query = select(Meeting).where(Meeting.id == caller.meeting_id)
        if handler.writes:
            query = query.with_for_update()
        meeting = (await scope.uow.session.execute(query)).scalar_one_or_none()
        seat = await scope.uow.session.get(MeetingSeat, caller.seat_id)
        if meeting is None or seat is None or seat.meeting_id != meeting.id:
            raise RoomError("not_joined", "your seat is gone: join again")
        scope.meeting, scope.seat = meeting, seat
        if target_id is not None:
            target = await scope.uow.session.get(MeetingSeat, target_id)
            if target is None or target.meeting_id != meeting.id:
                raise RoomError("not_found", "no such participant in this meeting")
            scope.target = target


def install(sio: socketio.AsyncServer, services: Services) -> RoomNamespace:
    """Mount the room namespace on the app's socket.io server."""
    namespace = RoomNamespace(services)
    sio.register_namespace(namespace)
    return namespace
