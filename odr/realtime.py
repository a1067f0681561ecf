"""The socket.io server, and the one place in-process versus Redis is decided.

``make_client_manager`` chooses. One process (no ``ODR_REDIS_URL``):
python-socketio's in-memory ``AsyncManager``; a Celery worker then has no way
to reach browsers but the database, so live events are rows
(``odr.outbox.live``) that every web process relays. Several web processes
(``ODR_REDIS_URL`` set): ``AsyncRedisManager``, so an emit in one reaches the
clients of all, and a Celery worker emits into the same Redis channel through
a write-only manager (``WorkerLiveEmitter``). Either way each live event
reaches each client once: ``LiveDelivery`` sets a web process up for both.

This module owns the connection handshake on the default namespace: a
connection must carry a valid session cookie, and joins its user's personal
room (``user:<id>``) for live notifications. The room protocol of meetings is
the signaling part's own namespace (issue 5).
"""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from typing import Any, Literal, overload

import socketio

from odr.accounts.sessions import SESSION_COOKIE, resolve_session
from odr.outbox.live import Emit, LiveEventRelay, emit_live_events_directly
from odr.services import Services
from odr.settings import Settings
from signaling.rooms import namespace_for

log = logging.getLogger(__name__)


REDIS_CHANNEL = "odr-socketio"  # every process of one deployment must use the same


@overload
def make_client_manager(
    settings: Settings, *, write_only: Literal[False] = False
) -> socketio.AsyncManager: ...


@overload
def make_client_manager(
    settings: Settings, *, write_only: Literal[True]
) -> socketio.AsyncRedisManager | None: ...


def make_client_manager(
    settings: Settings, *, write_only: bool = False
) -> socketio.AsyncManager | None:
    """The socket.io client manager of this deployment.

    A web process gets the in-process manager, or with Redis one that shares
    rooms with the other processes. ``write_only`` is for processes without a
    socket.io server (Celery workers): a Redis manager that only emits, or
    ``None`` on the embedded deployment, where such a process writes live
    events to the database instead.
    """
    if settings.redis_url:
        return socketio.AsyncRedisManager(
            settings.redis_url, channel=REDIS_CHANNEL, write_only=write_only
        )
    return None if write_only else socketio.AsyncManager()


async def _close_redis(manager: socketio.AsyncManager) -> None:
    redis = getattr(manager, "redis", None)
    if redis is not None:
        await redis.aclose()


class LiveDelivery:
    """How a web process delivers live events (``odr.outbox.live``) to socket.io clients.

    Its relay emits rows written by other processes to this process's own
    clients only (each web process relays the same rows). A live event names
    only its room; ``signaling.rooms.namespace_for`` gives the namespace
    (meeting and media-node rooms are ``/room``'s). With Redis, events
    published in this process are emitted straight through the shared manager
    instead (``emit_live_events_directly``), and a worker's arrive through
    Redis, so no event is written, relayed or delivered twice.
    """

    def __init__(self, services: Services, sio: socketio.AsyncServer) -> None:
        self.services = services
        self.sio = sio
        self.relay = LiveEventRelay(services, self._emit_here)
        self._direct = bool(services.settings.redis_url)
        self._previous: Emit | None = None

    async def _emit_here(self, room: str, event: str, payload: dict[str, Any]) -> None:
        await self.sio.manager.emit(
            event, payload, namespace=namespace_for(room), room=room, ignore_queue=True
        )

    async def _emit_everywhere(self, room: str, event: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=room, namespace=namespace_for(room))

    async def start(self) -> None:
        if self._direct:
            self._previous = emit_live_events_directly(self._emit_everywhere)
        await self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
        if self._direct:
            emit_live_events_directly(self._previous)


class WorkerLiveEmitter:
    """A worker process's live events through a write-only Redis manager (Redis only).

    ``install`` (on the worker's event loop) makes ``publish_live_event`` in
    this process emit into Redis after commit; ``close`` puts the database
    path back and closes the Redis connection. Without Redis both do nothing
    and events stay rows for the web processes' relays.
    """

    def __init__(self, settings: Settings) -> None:
        self.manager = make_client_manager(settings, write_only=True)
        self._previous: Emit | None = None
        self._installed = False

    @property
    def active(self) -> bool:
        return self._installed

    async def emit(self, room: str, event: str, payload: dict[str, Any]) -> None:
        assert self.manager is not None
        await self.manager.emit(event, payload, namespace=namespace_for(room), room=room)

    def install(self) -> None:
        if self.manager is None or self._installed:
            return
        self._previous = emit_live_events_directly(self.emit)
        self._installed = True

    def forget(self) -> None:
        """After fork: stop using the parent's manager without closing its connection."""
        if self._installed:
            emit_live_events_directly(self._previous)
            self._installed = False
        self.manager = None

    async def close(self) -> None:
        manager = self.manager
        self.forget()
        if manager is not None:
            await _close_redis(manager)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def _session_token(environ: dict[str, Any]) -> str | None:
    raw = environ.get("HTTP_COOKIE", "")
    if not raw:
        return None
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(raw)
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def make_socketio_server(services: Services) -> socketio.AsyncServer:
    settings = services.settings
    allowed = [settings.public_base_url.rstrip("/")]
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=make_client_manager(settings),
        cors_allowed_origins=allowed,
        logger=False,
        engineio_logger=False,
    )

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = _session_token(environ)
        resolved = await resolve_session(services, token) if token else None
        if resolved is None or resolved.actor.user_id is None:
            raise socketio.exceptions.ConnectionRefusedError("sign in first")
        await sio.save_session(sid, {"user_id": resolved.actor.user_id})
        await sio.enter_room(sid, user_room(resolved.actor.user_id))

    return sio
