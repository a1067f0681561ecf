"""Writing work to the outbox, in the same transaction as its cause.

``enqueue`` adds a row; after the unit of work commits, a registered waker
(Celery, see ``odr.tasks``) is nudged to drain it. A lost nudge only delays
the work: workers also drain on a beat schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.outbox.models import OutboxMessage

Waker = Callable[[], None]
_wakers: list[Waker] = []


def register_waker(waker: Waker) -> None:
    """Called after any commit that enqueued work (e.g. sends a Celery task)."""
    if waker not in _wakers:
        _wakers.append(waker)


def _wake() -> None:
    for waker in list(_wakers):
        waker()


async def enqueue(
    uow: UnitOfWork,
    clock: Clock,
    *,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
) -> OutboxMessage:
    """Add a message unless one with this key exists (an effect is wanted once)."""
    existing = (
        await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    now = clock.now()
    message = OutboxMessage(
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        status="pending",
        attempts=0,
        available_at=now,
        created_at=now,
    )
    uow.session.add(message)
    await uow.session.flush()
    uow.after_commit(_wake)
    return message
