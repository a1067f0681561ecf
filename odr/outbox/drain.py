"""Draining the outbox: claim due messages with a lease, run their handlers, record the outcome.

A claim is one short write transaction: due ``pending`` messages whose lease
is free (never leased, or expired) get ``leased_until = now + lease`` and
``lease_owner = worker_id``. PostgreSQL claims with ``FOR UPDATE SKIP
LOCKED`` so concurrent drainers take disjoint rows without waiting; SQLite
serializes writers with ``BEGIN IMMEDIATE`` (``Database.uow``), so the second
drainer sees the first one's leases.

Handlers run after the claim has committed, each outside any drain
transaction, one after another, each bounded by what is left of its lease
(a handler still running when its lease ends is cancelled, and a message
with under ``MIN_HANDLER_SECONDS`` left is given back unstarted), so a
re-claimed message never runs twice at the same time. Outcomes:

- success: ``done`` with ``done_at``;
- failure: ``last_error`` stored, ``available_at`` moved back exponentially
  (``backoff``), and ``dead`` after ``outbox_max_attempts``;
- unknown kind: ``dead`` at once, with the reason;
- the worker dies mid-handler: nothing is written, the lease expires and the
  next drain re-claims the message. Attempts are counted at claim time, so
  a message that keeps killing its worker still goes ``dead`` in the end.

Delivery is therefore at-least-once; handlers dedupe by idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from odr.db.uow import UnitOfWork
from odr.outbox.handlers import UnknownKind, get_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 3600.0
MAX_ERROR_CHARS = 4000
MAX_DRAIN_ROUNDS = 10_000
MIN_HANDLER_SECONDS = 1.0  # a claimed message with less lease left is given back, not run


@dataclass
class DrainStats:
    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0

    def add(self, other: DrainStats) -> None:
        self.claimed += other.claimed
        self.done += other.done
        self.retried += other.retried
        self.dead += other.dead
        self.released += other.released


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 2 s, 4 s, 8 s ... ≤ 1 h."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


async def drain_once(services: Services, worker_id: str, limit: int | None = None) -> DrainStats:
    """Claim up to ``limit`` due messages and run their handlers once."""
    stats = DrainStats()
    claimed = await _claim(services, worker_id, limit or services.settings.outbox_batch_size, stats)
    stats.claimed = len(claimed)
    for message in claimed:
        # Handlers of a batch run one after another: a late one may have little lease left.
        assert message.leased_until is not None
        remaining = (message.leased_until - services.clock.now()).total_seconds()
        if remaining < MIN_HANDLER_SECONDS:
            await _release(services, message, worker_id)
            stats.released += 1
            continue
        await _run(services, message, worker_id, remaining, stats)
    return stats


async def drain_until_empty(
    services: Services, worker_id: str, limit: int | None = None
) -> DrainStats:
    """Drain batch after batch until no due message is left (failed ones wait for backoff)."""
    total = DrainStats()
    for _ in range(MAX_DRAIN_ROUNDS):
        stats = await drain_once(services, worker_id, limit)
        total.add(stats)
        if stats.claimed == 0:
            break
    return total


async def retry_dead(services: Services, *, kind: str | None = None) -> int:
    """Put dead messages back to ``pending`` with fresh attempts (an operator's decision)."""
    now = services.clock.now()
    async with services.db.uow() as uow:
        statement = update(OutboxMessage).where(OutboxMessage.status == "dead")
        if kind is not None:
            statement = statement.where(OutboxMessage.kind == kind)
        result = await uow.session.execute(
            statement.values(
                status="pending", attempts=0, available_at=now, leased_until=None, lease_owner=None
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def _claim(
    services: Services, worker_id: str, limit: int, stats: DrainStats
) -> list[OutboxMessage]:
    settings = services.settings
    now = services.clock.now()
    lease_until = now + timedelta(seconds=settings.outbox_lease_seconds)
    async with services.db.uow() as uow:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.available_at <= now,
                or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until <= now),
            )
            .order_by(OutboxMessage.available_at, OutboxMessage.id)
            .limit(limit)
        )
        if not services.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list((await uow.session.execute(query)).scalars().all())
        claimed: list[OutboxMessage] = []
        for row in rows:
            if row.attempts >= settings.outbox_max_attempts:
                # Its last attempt's lease ran out: the worker died running it.
                _mark_dead(row, now, row.last_error or "lease expired on the final attempt")
                stats.dead += 1
                continue
            row.attempts += 1
            row.leased_until = lease_until
            row.lease_owner = worker_id
            claimed.append(row)
    return claimed


async def _run(
    services: Services, message: OutboxMessage, worker_id: str, budget: float, stats: DrainStats
) -> None:
    try:
        handler = get_handler(message.kind)
    except UnknownKind as exc:
        await _finish(services, message, worker_id, error=str(exc), final=True, stats=stats)
        return
    try:
        async with asyncio.timeout(budget):
            await handler(services, message)
    except Exception as exc:  # any handler failure is recorded and retried
        if isinstance(exc, TimeoutError):
            error = f"handler did not finish within its lease ({budget:.0f}s left at start)"
        else:
            error = "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]
        await _finish(services, message, worker_id, error=error, final=False, stats=stats)
        return
    await _finish(services, message, worker_id, error=None, final=False, stats=stats)


async def _release(services: Services, message: OutboxMessage, worker_id: str) -> None:
    """Give back a claimed message not started: it was not an attempt."""
    async with services.db.uow() as uow:
        row = await _locked(uow, message.id, services.db.is_sqlite)
        if row is not None and row.status == "pending" and row.lease_owner == worker_id:
            row.attempts -= 1
            row.leased_until = None
            row.lease_owner = None


async def _finish(
    services: Services,
    message: OutboxMessage,
    worker_id: str,
    *,
    error: str | None,
    final: bool,
    stats: DrainStats,
) -> None:
    now = services.clock.now()
    async with services.db.uow() as uow:
        row = await _locked(uow, message.id, services.db.is_sqlite)
        if row is None or row.status != "pending":
            return  # someone else finished it (our lease had run out)
        if error is not None and row.lease_owner != worker_id:
            return  # our lease ran out and another worker holds it now: its outcome counts
        if error is None:
            row.status = "done"
            row.done_at = now
            row.leased_until = None
            row.last_error = None
            stats.done += 1
        elif final or row.attempts >= services.settings.outbox_max_attempts:
            _mark_dead(row, now, error)
            stats.dead += 1
        else:
            row.last_error = error
            row.available_at = now + backoff(row.attempts)
            row.leased_until = None
            row.lease_owner = None
            stats.retried += 1
            log.warning(
                "outbox message %s (%s) failed attempt %s, retry at %s",
                row.id, row.kind, row.attempts, row.available_at.isoformat(),
            )


async def _locked(uow: UnitOfWork, message_id: int, is_sqlite: bool) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.id == message_id)
    if not is_sqlite:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


def _mark_dead(row: OutboxMessage, now: datetime, error: str) -> None:
    row.status = "dead"
    row.last_error = error[-MAX_ERROR_CHARS:]
    row.leased_until = None
    row.done_at = None
    log.error(
        "outbox message %s (%s, key %s) is dead after %s attempt(s): %s",
        row.id, row.kind, row.idempotency_key, row.attempts, error.strip().splitlines()[-1:],
    )
