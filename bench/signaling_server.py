"""The real app for ``bench/signaling.py``, with join steps timed inside the server.

``uvicorn --factory bench.signaling_server:app`` builds exactly what
``odr.app:asgi`` builds (settings from ``ODR_*``), then wraps the ``/room``
namespace's ``trigger_event`` so the steps of a join are timed where they
run: ``connect`` (token, seat to the lobby), ``entry.code`` (L2),
``entry.ack_warning`` (L9) and the host's ``lobby.admit`` (attendance, room
change, the roster emitted to the room). Each record is the server's
``perf_counter`` at the start and end of the handler, including waits for
the database. Relayed events are not timed, and the wrapper is removed
(``POST /__bench/untime``) before the relay is measured.

``GET /__bench/timings`` returns the records; nothing else is added.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from odr.app import build
from odr.logs import configure_logging
from odr.settings import Settings
from signaling.protocol import NAMESPACE

TIMED = frozenset({"connect", "entry.code", "entry.ack_warning", "lobby.admit"})


class JoinTimer:
    def __init__(self, namespace: Any) -> None:
        self.namespace = namespace
        self.inner = namespace.trigger_event
        self.records: list[tuple[str, str, int | None, float, float]] = []
        namespace.trigger_event = self.trigger_event

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event not in TIMED:
            return await self.inner(event, *args)
        start = time.perf_counter()
        try:
            return await self.inner(event, *args)
        finally:
            payload = args[1] if len(args) > 1 else None
            target = payload.get("seat_id") if event == "lobby.admit" and isinstance(payload, dict) else None
            self.records.append((event, args[0], target, start, time.perf_counter()))

    def remove(self) -> None:
        if self.namespace.__dict__.get("trigger_event") is not None:
            del self.namespace.trigger_event


def app() -> ASGIApp:
    settings = Settings()
    configure_logging(settings.log_level)
    inner = build(settings)
    sio = inner.engineio_server  # type: ignore[attr-defined]
    timer = JoinTimer(sio.namespace_handlers[NAMESPACE])

    async def answer(send: Send, body: Any) -> None:
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path == "/__bench/timings":
            await answer(send, timer.records)
        elif scope["type"] == "http" and path == "/__bench/untime":
            timer.remove()
            await answer(send, {"ok": True})
        else:
            await inner(scope, receive, send)

    return asgi
