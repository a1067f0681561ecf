"""The socket.io server and the one place in-process versus Redis is decided.

One process: python-socketio's in-memory ``AsyncManager``. Several web
processes: ``AsyncRedisManager`` on ``ODR_REDIS_URL`` so an emit in one reaches
clients of all. Workers never talk to socket.io directly: they write live
events to the database (``odr.outbox.live``), which every web process relays.

This module owns the connection handshake on the default namespace: a
connection must carry a valid session cookie, and joins its user's personal
room (``user:<id>``) for live notifications. The room protocol of meetings is
the signaling part's own namespace (issue 5).
"""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from typing import Any

import socketio

from odr.accounts.sessions import SESSION_COOKIE, resolve_session
from odr.services import Services
from odr.settings import Settings

log = logging.getLogger(__name__)


def make_client_manager(settings: Settings) -> socketio.AsyncManager:
    if settings.redis_url:
        return socketio.AsyncRedisManager(settings.redis_url, channel="odr-socketio")
    return socketio.AsyncManager()


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
