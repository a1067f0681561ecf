"""Real Celery workers on the embedded broker and on Redis: crash safety, wake-ups, health.

Each test starts worker subprocesses exactly as production does
(``python -m odr.tasks.runner worker``) against the test's database, with
short leases and heartbeats, and polls the database with a deadline.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select

from odr.clock import ManualClock
from odr.outbox.models import WorkerHeartbeat
from odr.services import Services
from odr.settings import Settings
from odr.tasks.celery_app import make_celery
from odr.tasks.waker import install_waker
from tests.support.servers import RedisServer
from tests.tasks import worker_handlers
from tests.tasks.procs import Proc, start_beat, start_worker, wait_until, worker_settings


def broker_settings(settings: Settings, broker: str, request: pytest.FixtureRequest) -> Settings:
    if broker == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        redis.Redis.from_url(server.url).flushdb()  # no nudges left by earlier tests
        return worker_settings(settings, redis_url=server.url)
    return worker_settings(settings)


async def heartbeats(services: Services) -> list[WorkerHeartbeat]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(select(WorkerHeartbeat))).scalars().all())


def owner(pid: int, workers: list[Proc]) -> Proc:
    """The worker whose process group holds ``pid`` (a prefork child runs the handler)."""
    group = os.getpgid(pid)
    return next(w for w in workers if w.pid == group)


@pytest.mark.slow
async def test_worker_killed_mid_handler_effect_happens_exactly_once(
    request: pytest.FixtureRequest, services: Services, settings: Settings,
    procs: list[Proc], tmp_path: Path,
) -> None:
    """kill -9 after the handler's effect committed, before the outbox marked it done.

    Two workers and beat run, as deployed: SQLite with the embedded broker,
    PostgreSQL with Redis. The worker that ran the handler is killed; the
    other one re-runs the message once the lease expires.
    """
    config = broker_settings(settings, "embedded" if services.db.is_sqlite else "redis", request)
    await worker_handlers.create_tables(services)
    workers = [start_worker(config, tmp_path, name=f"worker-{n}") for n in ("a", "b")]
    procs.extend(workers)
    procs.append(start_beat(config, tmp_path))

    async def all_beating() -> bool:
        return sorted(b.kind for b in await heartbeats(services)) == ["beat", "worker", "worker"]

    await wait_until(all_beating, "heartbeats of both workers and beat", watch=procs)

    block_dir = tmp_path / "block"
    block_dir.mkdir()
    message_id = await worker_handlers.enqueue_effect(
        services, "effect:1", {"block_dir": str(block_dir)}
    )
    started = block_dir / "started"

    async def handler_started() -> bool:
        return started.exists()

    await wait_until(handler_started, "the first handler run", watch=procs)
    handler_pid = int(started.read_text())
    victim = owner(handler_pid, workers)
    survivor = next(w for w in workers if w is not victim)
    victim.kill9()

    leased = await worker_handlers.outbox_row(services, message_id)
    assert leased.status == "pending"
    assert leased.lease_owner is not None and leased.lease_owner.endswith(f":{handler_pid}")
    # The effect committed just before the kill.
    assert await worker_handlers.effect_rows(services, "test_effects") == [("effect:1", handler_pid)]

    async def done() -> bool:
        return (await worker_handlers.outbox_row(services, message_id)).status == "done"

    await wait_until(done, "the other worker to finish the message", watch=[survivor])

    runs = await worker_handlers.effect_rows(services, "test_effect_runs")
    run_pids = [pid for _, pid in runs]
    assert len(run_pids) == 2 and handler_pid in run_pids  # at-least-once: it ran twice ...
    rerun_pid = next(pid for pid in run_pids if pid != handler_pid)
    assert owner(rerun_pid, workers) is survivor
    # ... and exactly once in effect.
    assert await worker_handlers.effect_rows(services, "test_effects") == [("effect:1", handler_pid)]


@pytest.mark.slow
async def test_running_worker_beats_and_is_woken_after_commit(
    services: Services, settings: Settings, clock: ManualClock, client: httpx.AsyncClient,
    procs: list[Proc], tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    """Heartbeats turn /healthz ok; a commit that enqueued work wakes the worker (no beat runs)."""
    clock.set(datetime.now(UTC))  # the worker writes heartbeats with the real clock
    # The kill test runs SQLite + embedded broker and PostgreSQL + Redis; this the other two.
    broker = "redis" if services.db.is_sqlite else "embedded"
    config = broker_settings(settings, broker, request)
    await worker_handlers.create_tables(services)
    assert (await client.get("/healthz")).status_code == 503

    worker = start_worker(config, tmp_path)
    procs.append(worker)

    async def healthy() -> bool:
        return (await client.get("/healthz")).status_code == 200

    await wait_until(healthy, "/healthz to turn ok", watch=[worker])
    beats = await heartbeats(services)
    assert [(b.kind, b.worker_id.endswith(f":{worker.pid}")) for b in beats] == [("worker", True)]
    assert (await client.get("/healthz")).json()["workers"]["detail"] == "1 worker(s) alive"

    async def startup_drain_finished() -> bool:
        return "succeeded" in worker.output()

    await wait_until(startup_drain_finished, "the start-up drain", watch=[worker])

    app = make_celery(config)
    waker = install_waker(app)
    try:
        await worker_handlers.enqueue_effect(services, "effect:woken", {})

        async def effect_done() -> bool:
            return await worker_handlers.effect_rows(services, "test_effects") != []

        await wait_until(effect_done, "the woken worker's effect", watch=[worker], timeout=20)
        assert waker.sent >= 1 and waker.failed == 0
    finally:
        waker.close()
        app.close()

    assert worker.terminate() == 0
    assert await heartbeats(services) == []  # a clean stop removes the heartbeat at once
    assert (await client.get("/healthz")).status_code == 503


async def test_broker_down_never_fails_the_commit(
    services: Services, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    closed_port = "redis://127.0.0.1:9/0"
    app = make_celery(worker_settings(settings, redis_url=closed_port))
    waker = install_waker(app)
    try:
        message_id = await worker_handlers.enqueue_effect(services, "effect:later", {})
        waker.flush(timeout=60)
    finally:
        waker.close()
        app.close()

    assert (await worker_handlers.outbox_row(services, message_id)).status == "pending"  # kept for beat
    assert waker.failed == 1
    assert any("could not wake the outbox drain" in r.getMessage() for r in caplog.records)
    assert os.environ.get("ODR_REDIS_URL") is None
