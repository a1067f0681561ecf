"""Scale-out: two server processes, one PostgreSQL database, one Redis — one room.

Each server is a real process started as in production (``uvicorn --factory
odr.app:asgi``, settings from ``ODR_*``) with ``ODR_REDIS_URL`` set, so
python-socketio's Redis manager carries emits and room changes between them
and the database is the room's state. Participants connected to different
processes meet: the host on A admits a party waiting on B (A moves B's
connection into the room through Redis), chat crosses both ways, the lobby
and the roster reach both, and a worker's write-only manager reaches both.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from odr.clock import SystemClock
from odr.outbox.live import publish_live_event
from odr.realtime import WorkerLiveEmitter
from odr.services import Services
from odr.settings import Settings
from signaling.rooms import everyone_room
from tests.signaling.support import RoomClient, join, let_in, make_room, pass_entry_checks
from tests.support.servers import PostgresServer, RedisServer, free_port
from tests.tasks.procs import Proc, start, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def scaled_settings(
    tmp_path: Path, pg_server: PostgresServer, pg_template: str, redis_server: RedisServer
) -> Settings:
    """A scaled-out deployment: one PostgreSQL database and one Redis for every process."""
    redis.Redis.from_url(redis_server.url).flushdb()
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=tmp_path / "var",
        database_url=pg_server.url(name),
        redis_url=redis_server.url,
        frontend_dist=tmp_path / "no-frontend",
    )


@pytest.fixture
async def scaled(scaled_settings: Settings) -> AsyncIterator[Services]:
    services = Services.build(scaled_settings, SystemClock())  # tokens are checked on a real clock
    yield services
    await services.close()


@pytest.fixture
def servers(scaled_settings: Settings, tmp_path: Path) -> Iterator[list[tuple[str, Proc]]]:
    """Processes A and B of the app; each test waits for them with ``ready``."""
    started: list[tuple[str, Proc]] = []
    for name in ("a", "b"):
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "--factory", "odr.app:asgi",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        started.append((f"http://127.0.0.1:{port}", start(f"web-{name}", argv, scaled_settings, tmp_path)))
    yield started
    for _url, proc in started:
        proc.terminate()


async def ready(servers: list[tuple[str, Proc]]) -> tuple[str, str]:
    async with httpx.AsyncClient(timeout=2) as http:
        for url, proc in servers:

            async def answers(url: str = url) -> bool:
                try:
                    r = await http.get(f"{url}/socket.io/?EIO=4&transport=polling")
                except httpx.TransportError:
                    return False
                return r.status_code == 200

            await wait_until(answers, f"{proc.name} to serve", timeout=60, watch=[proc])
    return servers[0][0], servers[1][0]


def seat_ids(roster: dict[str, object]) -> set[int]:
    return {s["seat_id"] for s in roster["seats"]}  # type: ignore[attr-defined, index]


async def test_participants_on_two_processes_meet_in_one_room(
    scaled: Services, servers: list[tuple[str, Proc]]
) -> None:
    services = scaled
    url_a, url_b = await ready(servers)
    room = await make_room(services, roles=["party", "party"])
    first, second = room.seats
    clients: list[RoomClient] = []
    try:
        host = await join(url_a, services, room, room.host)
        clients.append(host)
        party_b = await join(url_b, services, room, first)  # waits on the other process
        clients.append(party_b)
        assert party_b.joined["seat"]["state"] == "lobby"

        # The lobby raised on B reaches the host on A.
        await host.latest("lobby", lambda lob: [e["seat"]["seat_id"] for e in lob["waiting"]]
                          == [first.seat_id], timeout=10)

        # The host on A admits the party on B: B's connection enters the room through Redis.
        await let_in(services, host, party_b, first)
        roster = await party_b.latest("roster", lambda r: seat_ids(r) == {room.host.seat_id, first.seat_id},
                                      timeout=10)
        assert all(s["state"] == "admitted" for s in roster["seats"])
        await host.latest("roster", lambda r: first.seat_id in seat_ids(r), timeout=10)
        await host.latest("lobby", lambda lob: lob["waiting"] == [], timeout=10)

        # Chat crosses both ways.
        ack = await party_b.call("chat.send", {"text": "我在B进程"})
        assert ack["ok"], ack
        said = await host.wait("chat", where=lambda c: c["text"] == "我在B进程", timeout=10)
        assert said["seat_id"] == first.seat_id
        ack = await host.call("chat.send", {"text": "A进程收到"})
        assert ack["ok"], ack
        await party_b.wait("chat", where=lambda c: c["text"] == "A进程收到", timeout=10)

        # A second party on A: the roster update reaches the first party on B.
        party_a = await join(url_a, services, room, second)
        clients.append(party_a)
        await host.latest("lobby", lambda lob: [e["seat"]["seat_id"] for e in lob["waiting"]]
                          == [second.seat_id], timeout=10)
        await pass_entry_checks(services, party_a, second)
        ack = await host.call("lobby.admit", {"seat_id": second.seat_id})
        assert ack == {"ok": True}, ack
        everyone = {room.host.seat_id, first.seat_id, second.seat_id}
        await party_b.latest("roster", lambda r: seat_ids(r) == everyone, timeout=10)
        await party_a.latest("roster", lambda r: seat_ids(r) == everyone, timeout=10)

        # A Celery worker's live event (its write-only manager, as WorkerRuntime installs it)
        # reaches the room on both processes, on the room namespace.
        worker = WorkerLiveEmitter(services.settings)
        worker.install()
        try:
            async with services.db.uow() as uow:
                row = await publish_live_event(uow, services.clock, everyone_room(room.meeting_id),
                                               "notice", {"from": "worker"})
            assert row is None  # straight into Redis after the commit, not a relayed row
        finally:
            await worker.close()
        for client in (host, party_b, party_a):
            assert await client.wait("notice", timeout=10) == {"from": "worker"}
    finally:
        for client in clients:
            await client.close()
        for _url, proc in servers:
            assert proc.alive(), f"{proc.name} died:\n{proc.output()[-3000:]}"
