"""Which module handles which client event, under which permission.

Handler modules (``signaling.handlers.*``) declare themselves with
``@handles("chat.send", Permission.ROOM_CHAT)``; the dispatcher
(``signaling.server``) validates the payload against the event's model in
``signaling.protocol.CLIENT_EVENTS``, loads the caller's seat, asks the policy,
then calls the handler inside one database transaction. Emits a handler
queues with ``scope.emit`` go out only after that transaction committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from odr.policy import Permission
from signaling.protocol import CLIENT_EVENTS, Message

HandlerFn = Callable[..., Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Handler:
    event: str
    schema: type[Message]
    permission: Permission
    fn: HandlerFn
    caller: Literal["person", "node"]
    writes: bool  # False: a read-only transaction (e.g. relaying SDP)


HANDLERS: dict[str, Handler] = {}  # event -> its first registered handler
# ``rtc.sdp`` and ``rtc.candidate`` come from people and from media nodes: one handler per kind.
_BY_CALLER: dict[tuple[str, str], Handler] = {}


def handler_for(event: str, caller: str) -> Handler | None:
    """The handler of ``event`` for a ``caller`` kind (else the event's only one, which refuses it)."""
    return _BY_CALLER.get((event, caller)) or HANDLERS.get(event)


def handles(
    event: str, permission: Permission, *, caller: Literal["person", "node"] = "person",
    writes: bool = True,
) -> Callable[[HandlerFn], HandlerFn]:
    """Register ``fn(scope, message) -> ack extras | None`` for ``event``."""
    if event not in CLIENT_EVENTS:
        raise KeyError(f"{event} is not in signaling.protocol.CLIENT_EVENTS")

    def register(fn: HandlerFn) -> HandlerFn:
        if (event, caller) in _BY_CALLER:
            raise RuntimeError(f"{event} handled twice for a {caller}")
        handler = Handler(event, CLIENT_EVENTS[event], permission, fn, caller, writes)
        _BY_CALLER[(event, caller)] = handler
        HANDLERS.setdefault(event, handler)
        return fn

    return register
