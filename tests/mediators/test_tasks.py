"""The Celery side, run in-process as a worker process runs it: the daily batch task, and the
outbox drain that reassigns a declined case (L6)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from mediators import answers, selection
from odr.services import Services
from odr.settings import Settings
from odr.tasks.celery_app import (
    BATCH_ASSIGN_TASK,
    DRAIN_TASK,
    HANDLER_MODULES,
    OdrCelery,
    make_celery,
)
from tests.mediators.support import actor_of, add_mediator, case_of, case_waiting, org


@pytest.fixture
def app(settings: Settings) -> Iterator[OdrCelery]:
    celery = make_celery(settings)
    yield celery
    celery.runtime.close()
    celery.close()


async def run_task(app: OdrCelery, name: str) -> object:
    return await asyncio.to_thread(app.tasks[name])


def test_the_worker_imports_the_reassignment_handler_and_beat_runs_the_daily_batch(
    app: OdrCelery,
) -> None:
    assert "mediators.handlers" in HANDLER_MODULES
    entry = app.conf.beat_schedule["batch-assign-mediators"]
    assert entry["task"] == BATCH_ASSIGN_TASK
    assert entry["schedule"].hour == {9}  # 17:00 Asia/Shanghai


async def test_the_batch_task_assigns_the_waiting_cases(app: OdrCelery, services: Services) -> None:
    o = await org(services)
    await add_mediator(services, o, capacity=5)
    case_ids = [await case_waiting(services, o) for _ in range(3)]
    stats = await run_task(app, BATCH_ASSIGN_TASK)
    assert stats == {"cases": 3, "assigned": 3, "queued": 0}
    assert [(await case_of(services, c)).status for c in case_ids] == ["mediator_assigned"] * 3


async def test_the_drain_task_reassigns_a_declined_case_L6(app: OdrCelery, services: Services) -> None:
    o = await org(services)
    first = await add_mediator(services, o, capacity=10)
    second = await add_mediator(services, o, capacity=4)
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.decline(services, actor_of(first, institutions=[o.institution_id]), case_id,
                          reason="病假")
    stats = await run_task(app, DRAIN_TASK)
    assert isinstance(stats, dict) and stats["done"] >= 1 and stats["dead"] == 0
    assert (await case_of(services, case_id)).mediator_id == second.id
