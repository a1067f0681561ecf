"""Draining the outbox in-process, on SQLite and PostgreSQL, with the clock moved by hand."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from odr.clock import ManualClock
from odr.outbox.drain import drain_once, drain_until_empty, retry_dead
from odr.outbox.handlers import register_handler, unregister_handler
from odr.outbox.models import OutboxMessage
from odr.outbox.service import enqueue
from odr.services import Services

KIND = "test.drain"


class Recorder:
    """A test handler: effects keyed by idempotency key, failing the first ``fail_first`` runs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.runs: list[str] = []
        self.effects: Counter[str] = Counter()

    async def __call__(self, services: Services, message: OutboxMessage) -> None:
        self.runs.append(message.idempotency_key)
        if len(self.runs) <= self.fail_first:
            raise RuntimeError(f"gateway refused (run {len(self.runs)})")
        if message.idempotency_key not in self.effects:
            self.effects[message.idempotency_key] += 1


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    handler = Recorder()
    register_handler(KIND, handler)
    yield handler
    unregister_handler(KIND)


async def add(services: Services, key: str, kind: str = KIND) -> int:
    async with services.db.uow() as uow:
        message = await enqueue(uow, services.clock, kind=kind, payload={"n": key},
                                idempotency_key=key)
    return message.id


async def row(services: Services, message_id: int) -> OutboxMessage:
    async with services.db.reader() as uow:
        return (
            await uow.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id))
        ).scalar_one()


async def test_handled_message_is_done_and_not_run_again(
    services: Services, clock: ManualClock, recorder: Recorder
) -> None:
    message_id = await add(services, "welcome:1")

    stats = await drain_once(services, "w1", 10)

    assert (stats.claimed, stats.done) == (1, 1)
    done = await row(services, message_id)
    assert done.status == "done"
    assert done.done_at == clock.now()
    assert done.leased_until is None
    assert (await drain_once(services, "w1", 10)).claimed == 0
    assert recorder.runs == ["welcome:1"]


async def test_enqueue_twice_with_one_key_gives_one_effect(
    services: Services, recorder: Recorder
) -> None:
    first = await add(services, "otp:13800000000:1")
    second = await add(services, "otp:13800000000:1")

    await drain_until_empty(services, "w1")

    assert first == second
    assert recorder.effects == {"otp:13800000000:1": 1}


async def test_failure_is_retried_with_exponential_backoff(
    services: Services, clock: ManualClock, recorder: Recorder
) -> None:
    recorder.fail_first = 2
    message_id = await add(services, "receipt:7")

    stats = await drain_once(services, "w1")
    failed = await row(services, message_id)
    assert stats.retried == 1
    assert failed.status == "pending" and failed.attempts == 1
    assert "gateway refused (run 1)" in (failed.last_error or "")
    assert failed.available_at == clock.now() + timedelta(seconds=2)
    assert failed.leased_until is None

    clock.advance(seconds=1)
    assert (await drain_once(services, "w1")).claimed == 0  # not due yet

    clock.advance(seconds=1)
    assert (await drain_once(services, "w1")).retried == 1
    assert (await row(services, message_id)).available_at == clock.now() + timedelta(seconds=4)

    clock.advance(seconds=4)
    assert (await drain_once(services, "w1")).done == 1
    done = await row(services, message_id)
    assert (done.status, done.attempts, done.last_error) == ("done", 3, None)
    assert recorder.effects == {"receipt:7": 1}


async def test_message_is_dead_after_max_attempts_and_logged(
    services: Services, clock: ManualClock, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    services.settings.outbox_max_attempts = 3
    recorder.fail_first = 100
    message_id = await add(services, "sms:broken")

    with caplog.at_level(logging.ERROR, logger="odr.outbox.drain"):
        for _ in range(3):
            await drain_once(services, "w1")
            clock.advance(hours=1)

    dead = await row(services, message_id)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert "gateway refused (run 3)" in (dead.last_error or "")
    assert any("is dead" in r.getMessage() and "sms:broken" in r.getMessage()
               for r in caplog.records)
    clock.advance(days=1)
    assert (await drain_once(services, "w1")).claimed == 0
    assert len(recorder.runs) == 3

    # An operator can put it back once the cause is fixed.
    recorder.fail_first = 0
    assert await retry_dead(services, kind=KIND) == 1
    assert (await drain_once(services, "w1")).done == 1


async def test_unknown_kind_is_dead_at_once_with_reason(services: Services) -> None:
    message_id = await add(services, "x:1", kind="no.such.kind")

    stats = await drain_once(services, "w1")

    dead = await row(services, message_id)
    assert stats.dead == 1
    assert dead.status == "dead"
    assert "no outbox handler registered for kind 'no.such.kind'" in (dead.last_error or "")


async def test_expired_lease_of_a_dead_worker_is_reclaimed_by_another(
    services: Services, clock: ManualClock
) -> None:
    started = asyncio.Event()
    effects: Counter[str] = Counter()
    runs: list[str] = []

    async def handler(_services: Services, message: OutboxMessage) -> None:
        runs.append(message.idempotency_key)
        if len(runs) == 1:
            started.set()
            await asyncio.Event().wait()  # hangs until the "worker" dies
        effects[message.idempotency_key] += 1

    register_handler("test.lease", handler)
    try:
        message_id = await add(services, "lease:1", kind="test.lease")
        doomed = asyncio.create_task(drain_once(services, "worker-a"))
        await asyncio.wait_for(started.wait(), 10)
        doomed.cancel()  # the worker dies mid-handler: nothing after the claim is written
        with pytest.raises(asyncio.CancelledError):
            await doomed

        leased = await row(services, message_id)
        assert (leased.status, leased.lease_owner) == ("pending", "worker-a")
        assert (await drain_once(services, "worker-b")).claimed == 0  # lease still held

        clock.advance(seconds=services.settings.outbox_lease_seconds)
        stats = await drain_once(services, "worker-b")

        assert (stats.claimed, stats.done) == (1, 1)
        done = await row(services, message_id)
        assert (done.status, done.lease_owner, done.attempts) == ("done", "worker-b", 2)
        assert runs == ["lease:1", "lease:1"]
        assert effects == {"lease:1": 1}
    finally:
        unregister_handler("test.lease")


async def test_a_message_that_keeps_killing_its_worker_goes_dead(
    services: Services, clock: ManualClock, recorder: Recorder
) -> None:
    services.settings.outbox_max_attempts = 2
    message_id = await add(services, "poison:1")
    async with services.db.uow() as uow:  # two claims whose workers died
        message = await uow.session.get(OutboxMessage, message_id)
        assert message is not None
        message.attempts = 2
        message.lease_owner = "worker-a"
        message.leased_until = clock.now()

    stats = await drain_once(services, "worker-b")

    assert stats.dead == 1
    assert (await row(services, message_id)).status == "dead"
    assert recorder.runs == []


async def test_two_drainers_never_run_one_message_twice_or_at_once(
    services: Services, clock: ManualClock
) -> None:
    running: set[str] = set()
    overlaps: list[str] = []
    runs: Counter[str] = Counter()
    by_worker: Counter[str] = Counter()

    async def handler(_services: Services, message: OutboxMessage) -> None:
        key = message.idempotency_key
        if key in running:
            overlaps.append(key)
        running.add(key)
        runs[key] += 1
        by_worker[message.lease_owner or ""] += 1
        await asyncio.sleep(0.01)  # stay inside the handler while the other drainer claims
        running.discard(key)

    register_handler("test.concurrent", handler)
    other = Services.build(services.settings, clock)  # a second worker: its own engine
    try:
        keys = [f"bulk:{i}" for i in range(20)]
        for key in keys:
            await add(services, key, kind="test.concurrent")

        await asyncio.gather(
            drain_until_empty(services, "w1", 5), drain_until_empty(other, "w2", 5)
        )

        assert overlaps == []
        assert runs == dict.fromkeys(keys, 1)
        assert by_worker["w1"] > 0 and by_worker["w2"] > 0
        async with services.db.reader() as uow:
            statuses = (await uow.session.execute(select(OutboxMessage.status))).scalars().all()
        assert set(statuses) == {"done"}
    finally:
        unregister_handler("test.concurrent")
        await other.close()


async def test_batch_message_with_too_little_lease_left_is_given_back_unstarted(
    services: Services, clock: ManualClock
) -> None:
    runs: list[str] = []

    async def slow(_services: Services, message: OutboxMessage) -> None:
        runs.append(message.idempotency_key)
        clock.advance(seconds=services.settings.outbox_lease_seconds - 0.5)  # a slow first one

    register_handler("test.slow", slow)
    try:
        first = await add(services, "slow:1", kind="test.slow")
        second = await add(services, "slow:2", kind="test.slow")

        stats = await drain_once(services, "w1", 10)

        assert (stats.claimed, stats.done, stats.released) == (2, 1, 1)
        assert runs == ["slow:1"]
        given_back = await row(services, second)
        assert (given_back.status, given_back.attempts, given_back.leased_until) == (
            "pending", 0, None)
        assert (await row(services, first)).status == "done"
        assert (await drain_once(services, "w2", 10)).done == 1  # at once, not after the lease
    finally:
        unregister_handler("test.slow")


async def test_handler_still_running_when_its_lease_ends_is_cancelled_and_retried(
    services: Services,
) -> None:
    services.settings.outbox_lease_seconds = 1

    async def hangs(_services: Services, _message: OutboxMessage) -> None:
        await asyncio.Event().wait()

    register_handler("test.hangs", hangs)
    try:
        message_id = await add(services, "hang:1", kind="test.hangs")

        stats = await drain_once(services, "w1")

        assert stats.retried == 1
        retried = await row(services, message_id)
        assert "did not finish within its lease" in (retried.last_error or "")
        assert retried.leased_until is None
    finally:
        unregister_handler("test.hangs")


async def test_late_failure_of_a_worker_that_lost_its_lease_leaves_the_new_lease_alone(
    services: Services, clock: ManualClock
) -> None:
    b_started, b_release = asyncio.Event(), asyncio.Event()
    lease_while_b_runs: list[str | None] = []

    async def handler(_services: Services, message: OutboxMessage) -> None:
        if message.lease_owner == "worker-b":
            b_started.set()
            await b_release.wait()
            return
        # worker-a is slow: its lease runs out and worker-b takes the message over.
        clock.advance(seconds=services.settings.outbox_lease_seconds)
        b_drain.append(asyncio.create_task(drain_once(services, "worker-b")))
        await b_started.wait()
        raise RuntimeError("worker-a fails late")

    b_drain: list[asyncio.Task[object]] = []
    register_handler("test.takeover", handler)
    try:
        message_id = await add(services, "takeover:1", kind="test.takeover")

        a_stats = await drain_once(services, "worker-a")
        lease_while_b_runs.append((await row(services, message_id)).lease_owner)
        b_release.set()
        await b_drain[0]

        assert a_stats.retried == 0  # worker-a's failure did not count: the message is b's
        assert lease_while_b_runs == ["worker-b"]
        assert (await row(services, message_id)).status == "done"
    finally:
        unregister_handler("test.takeover")
