"""Scale-out: the one choice of socket.io manager, and a Celery worker's live events through Redis.

With ``ODR_REDIS_URL`` a worker emits into the rooms itself, through a
write-only Redis manager, after its transaction commits; nothing goes through
the live-event table then. Without Redis the database relay stays (covered in
tests/core/test_realtime.py). The worker is a real process started as in
production, on a real Redis (broker and socket.io channel) and PostgreSQL.

The worker imports this module (``ODR_EXTRA_TASK_MODULES``) for its one
outbox handler, ``test.live``, which publishes a live event as any part does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis
import socketio
from sqlalchemy import func, select

from odr.app import create_app
from odr.clock import SystemClock
from odr.outbox.handlers import register_handler
from odr.outbox.live import publish_live_event
from odr.outbox.models import LiveEvent, OutboxMessage
from odr.outbox.service import enqueue
from odr.realtime import make_client_manager, user_room
from odr.services import Services
from odr.settings import Settings
from tests.support.live import serve_in_loop
from tests.support.servers import PostgresServer, RedisServer

KIND = "test.live"
THIS_MODULE = "tests.signaling.test_worker_emit"


async def announce(services: Services, message: OutboxMessage) -> None:
    """What a part's worker code does: change something and announce it to a room."""
    async with services.db.uow() as uow:
        await publish_live_event(
            uow, services.clock, message.payload["room"], "case_updated",
            {"case": message.payload["case"]},
        )


register_handler(KIND, announce)


# ---------------------------------------------------------------- fixtures (PostgreSQL + Redis)


def new_pg_database(pg_server: PostgresServer, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return pg_server.url(name)


def scaled_settings(tmp_path: Path, database_url: str, redis_url: str, **changes: object) -> Settings:
    """A scaled-out deployment: PostgreSQL, Redis for the broker and for socket.io."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        frontend_dist=tmp_path / "no-frontend",
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis.Redis.from_url(redis_server.url).flushdb()  # no nudges left by earlier tests
    return redis_server.url


@pytest.fixture
async def scaled(
    tmp_path: Path, pg_server: PostgresServer, pg_template: str, redis_url: str
) -> AsyncIterator[Services]:
    settings = scaled_settings(
        tmp_path, new_pg_database(pg_server, pg_template), redis_url,
        worker_heartbeat_seconds=1, outbox_drain_interval_seconds=0.5,
        extra_task_modules=[THIS_MODULE],
    )
    services = Services.build(settings, SystemClock())
    yield services
    await services.close()


# ---------------------------------------------------------------- the choice


def test_the_deployment_decides_the_manager_in_one_place(tmp_path: Path) -> None:
    embedded = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    scaled_out = embedded.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})

    assert type(make_client_manager(embedded)) is socketio.AsyncManager
    assert make_client_manager(embedded, write_only=True) is None  # workers use the relay

    shared = make_client_manager(scaled_out)
    assert isinstance(shared, socketio.AsyncRedisManager) and not shared.write_only
    writer = make_client_manager(scaled_out, write_only=True)
    assert isinstance(writer, socketio.AsyncRedisManager) and writer.write_only
    assert writer.channel == shared.channel  # workers and web processes meet on one channel


# ---------------------------------------------------------------- the worker emits through Redis


async def live_rows(services: Services) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(LiveEvent))).scalar_one())


@pytest.mark.slow
async def test_a_worker_event_reaches_the_room_through_redis_once(
    scaled: Services, tmp_path: Path
) -> None:
    from tests.core.test_realtime import connect_as
    from tests.factories import make_user
    from tests.tasks.procs import start_worker

    services = scaled
    app = create_app(services)
    asgi = socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")
    worker = start_worker(services.settings, tmp_path)
    try:
        async with serve_in_loop(asgi) as url:
            user = await make_user(services, role="party")
            client, received = await connect_as(services, url, user, "case_updated")
            try:
                async with services.db.uow() as uow:  # the app's waker nudges the worker
                    await enqueue(uow, services.clock, kind=KIND, idempotency_key="live:1",
                                  payload={"room": user_room(user.id), "case": "(2026)沪调7号"})
                deadline = asyncio.get_running_loop().time() + 60
                while received.empty():
                    assert worker.alive(), f"the worker exited:\n{worker.output()[-3000:]}"
                    assert asyncio.get_running_loop().time() < deadline, (
                        f"no live event from the worker:\n{worker.output()[-3000:]}")
                    await asyncio.sleep(0.1)
                assert received.get_nowait() == {"case": "(2026)沪调7号"}

                # The web process publishes straight through Redis too: still no row.
                async with services.db.uow() as uow:
                    await publish_live_event(uow, services.clock, user_room(user.id),
                                             "case_updated", {"case": "web"})
                assert await asyncio.wait_for(received.get(), timeout=10) == {"case": "web"}
                assert await live_rows(services) == 0  # neither went through the table

                # A process without a manager (a CLI command) writes a row: relayed, once.
                async with services.db.uow() as uow:
                    uow.session.add(LiveEvent(room=user_room(user.id), event="case_updated",
                                              payload={"case": "cli"},
                                              created_at=services.clock.now()))
                assert await asyncio.wait_for(received.get(), timeout=10) == {"case": "cli"}
                await app.state.sio.emit("case_updated", {"case": "marker"},
                                         room=user_room(user.id))
                assert await asyncio.wait_for(received.get(), timeout=10) == {"case": "marker"}
                assert received.empty()
            finally:
                await client.disconnect()
    finally:
        worker.kill9()
