"""The Celery tasks' bodies, run in-process the way a worker process runs them.

A worker process runs each task's coroutine on its own event loop with its
own ``Services`` (``WorkerRuntime``); here the task runs in a thread, as the
test's own loop already occupies this one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from odr.audit.anchor import last_anchor
from odr.audit.chain import record
from odr.outbox.models import WorkerHeartbeat
from odr.services import Services
from odr.settings import Settings
from odr.tasks.celery_app import ANCHOR_TASK, DRAIN_TASK, PRUNE_TASK, OdrCelery, make_celery
from tests.tasks import worker_handlers


@pytest.fixture
def app(settings: Settings) -> Iterator[OdrCelery]:
    celery = make_celery(settings)
    yield celery
    celery.runtime.close()
    celery.close()


async def run_task(app: OdrCelery, name: str) -> object:
    return await asyncio.to_thread(app.tasks[name])


async def test_drain_task_runs_due_work_to_the_end(app: OdrCelery, services: Services) -> None:
    await worker_handlers.create_tables(services)
    first = await worker_handlers.enqueue_effect(services, "inline:1", {})
    second = await worker_handlers.enqueue_effect(services, "inline:2", {})

    stats = await run_task(app, DRAIN_TASK)

    assert stats == {"claimed": 2, "done": 2, "retried": 0, "dead": 0, "released": 0}
    assert {(await worker_handlers.outbox_row(services, i)).status for i in (first, second)} == {"done"}
    assert await run_task(app, DRAIN_TASK) == {
        "claimed": 0, "done": 0, "retried": 0, "dead": 0, "released": 0}


async def test_anchor_task_writes_the_audit_head_outside_the_database(
    app: OdrCelery, services: Services, settings: Settings
) -> None:
    async with services.db.uow() as uow:
        entry = await record(uow, services.clock, action="case.accepted", subject_type="case",
                             subject_id=1)

    await run_task(app, ANCHOR_TASK)

    anchored = last_anchor(settings.resolved_audit_anchor_path)
    assert anchored is not None
    assert (anchored.seq, anchored.hash) == (entry.seq, entry.hash)


async def test_prune_task_drops_stale_heartbeats_and_keeps_live_ones(
    app: OdrCelery, services: Services
) -> None:
    real_now = datetime.now(UTC)  # the worker's clock is the system clock
    async with services.db.uow() as uow:
        for worker_id, seen in (("gone:1", real_now - timedelta(days=2)), ("live:2", real_now)):
            uow.session.add(WorkerHeartbeat(worker_id=worker_id, kind="worker", started_at=seen,
                                            last_seen_at=seen, info={}))

    result = await run_task(app, PRUNE_TASK)

    async with services.db.reader() as uow:
        left = (await uow.session.execute(select(WorkerHeartbeat.worker_id))).scalars().all()
    assert result == {
        "live_events": 0, "heartbeats": 1, "expired_codes": 0, "query_passwords": 0,
        "invitation_links": 0,
    }
    assert left == ["live:2"]
