"""What a handler works with: who calls (``Caller``), and one event's ``EventScope``.

``Caller`` is what the connection proved at connect (kept in the socket.io
session); nothing in it comes from the client afterwards. ``EventScope``
holds the open unit of work, the meeting and seats loaded for this event, and
the emits to send once the transaction commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import socketio
from pydantic import BaseModel

from odr.db.uow import UnitOfWork
from odr.policy import Actor
from odr.services import Services
from signaling.protocol import NAMESPACE

if TYPE_CHECKING:
    from odr.meetings.models import Meeting, MeetingSeat


class RoomError(Exception):
    """Refuse one event: the caller gets an ``error`` event and a failed ack; nothing changes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Caller:
    sid: str
    kind: Literal["person", "node"]
    actor: Actor  # a user's actor; a guest: Actor(None, None); a node: role "media_node"
    meeting_id: int | None = None
    seat_id: int | None = None
    node_id: str | None = None


Payload = BaseModel | dict[str, Any]


@dataclass
class EventScope:
    services: Services
    sio: socketio.AsyncServer
    caller: Caller
    uow: UnitOfWork
    now: datetime
    meeting: Meeting | None = None
    seat: MeetingSeat | None = None  # the caller's seat
    target: MeetingSeat | None = None  # the seat the message names (``seat_id``), if any
    _emits: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def emit(
        self, event: str, payload: Payload, *, room: str, skip_sid: str | list[str] | None = None,
    ) -> None:
        """Queue an emit to ``room``; sent after the transaction commits, in order."""
        data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload

        async def send() -> None:
            await self.sio.emit(event, data, room=room, skip_sid=skip_sid, namespace=NAMESPACE)

        self._emits.append(send)

    def later(self, action: Callable[[], Awaitable[None]]) -> None:
        """Queue any other after-commit action (enter or leave a socket.io room)."""
        self._emits.append(action)

    async def flush(self) -> None:
        actions, self._emits = self._emits, []
        for action in actions:
            await action()
