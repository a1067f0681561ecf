"""socket.io in the same ASGI app: only signed-in users connect, and each joins its own room."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from odr.accounts.models import User
from odr.accounts.sessions import SESSION_COOKIE, open_session
from odr.realtime import user_room
from odr.services import Services
from tests.conftest import LiveServer
from tests.factories import make_user


async def connect_as(
    services: Services, url: str, user: User, event: str
) -> tuple[socketio.AsyncClient, asyncio.Queue[dict[str, object]]]:
    """A socket.io client signed in as ``user``, collecting ``event`` payloads in a queue."""
    async with services.db.uow() as uow:
        opened = await open_session(uow, services, user)
    received: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on(event, received.put)
    await client.connect(
        url, transports=["websocket"], wait_timeout=5,
        headers={"Cookie": f"{SESSION_COOKIE}={opened.token}"},
    )
    return client, received


async def test_anonymous_socket_connection_is_refused(live_server: LiveServer) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(live_server.url, transports=["websocket"], wait_timeout=5)


async def test_signed_in_socket_receives_events_for_its_user(live_server: LiveServer, services: Services) -> None:
    user = await make_user(services, role="party")
    other = await make_user(services, role="party")
    client, received = await connect_as(services, live_server.url, user, "notification")
    try:
        sio = live_server.sio
        await sio.emit("notification", {"to": "other"}, room=user_room(other.id))
        await sio.emit("notification", {"to": "me"}, room=user_room(user.id))
        got = await asyncio.wait_for(received.get(), timeout=5)
        assert got == {"to": "me"}
    finally:
        await client.disconnect()


async def test_event_written_by_a_worker_reaches_the_browser_through_the_database(
    live_server: LiveServer, services: Services
) -> None:
    """The embedded broker cannot fan out: a worker's live event goes via the database relay."""
    from odr.outbox.live import publish_live_event

    user = await make_user(services, role="party")
    client, received = await connect_as(services, live_server.url, user, "case_updated")
    try:
        async with services.db.uow() as uow:  # what a Celery task does
            await publish_live_event(
                uow, services.clock, user_room(user.id), "case_updated", {"case": "(2026)沪调1号"}
            )
        got = await asyncio.wait_for(received.get(), timeout=10)
        assert got == {"case": "(2026)沪调1号"}
    finally:
        await client.disconnect()
