"""The registry of outbox handlers: one async function per message kind.

A part registers its handler at import (``register_handler("notify.send", send)``);
the drain (``odr.outbox.drain``) looks it up by the message's kind.

Delivery is at-least-once: a worker killed mid-handler leaves its lease, the
lease expires, and another worker runs the handler again. A handler must
therefore be idempotent, keyed by ``message.idempotency_key`` (e.g. insert
its effect row with that key under a unique constraint, or check for it
first in the same transaction as the effect).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from odr.outbox.models import OutboxMessage

if TYPE_CHECKING:
    from odr.services import Services

Handler = Callable[["Services", OutboxMessage], Awaitable[None]]

_handlers: dict[str, Handler] = {}


class UnknownKind(LookupError):
    """No handler is registered for an outbox message's kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no outbox handler registered for kind {kind!r}")
        self.kind = kind


def register_handler(kind: str, handler: Handler) -> None:
    """Register ``handler`` for ``kind``. Registering the same function again is harmless."""
    existing = _handlers.get(kind)
    if existing is not None and existing is not handler:
        raise ValueError(f"outbox kind {kind!r} already has handler {existing!r}")
    _handlers[kind] = handler


def unregister_handler(kind: str) -> None:
    """Remove a handler (tests)."""
    _handlers.pop(kind, None)


def get_handler(kind: str) -> Handler:
    """The handler for ``kind``; raises ``UnknownKind`` when none is registered."""
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def registered_kinds() -> list[str]:
    return sorted(_handlers)
