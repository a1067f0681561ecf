"""Test helpers for notifications: read what was "sent", deliver without a worker.

In tests SMS and e-mail go to the console channel, and the ``Notification``
row keeps the rendered body and the context, so a test reads a one-time code
with ``(await sent_messages(services, recipient=mobile, template="otp_code"))[-1].context["code"]``
after ``await deliver_pending(services)``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from sqlalchemy import select

from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services

MAX_ROUNDS = 100


async def sent_messages(
    services: Services,
    *,
    recipient: str | None = None,
    template: str | None = None,
    channel: str | None = None,
    user_id: int | None = None,
) -> list[Notification]:
    """Delivered notifications (``sent_at`` set), oldest first, optionally filtered."""
    query = select(Notification).where(Notification.sent_at.is_not(None))
    if recipient is not None:
        query = query.where(Notification.recipient == recipient)
    if template is not None:
        query = query.where(Notification.template == template)
    if channel is not None:
        query = query.where(Notification.channel == channel)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(query.order_by(Notification.id))).scalars().all()
        uow.session.expunge_all()  # a reader rolls back at exit, which would expire them
    return list(rows)


async def deliver_pending(services: Services, *, worker_id: str = "test-inline") -> int:
    """Drain the outbox inline until nothing is due; returns messages handled.

    Uses ``odr.outbox.drain.drain_once(services, worker_id, limit)`` when it
    exists, so tests exercise the real drain (leases, retries, dead letters);
    otherwise runs due ``notify.send`` messages through the handler directly.
    Messages whose retry is scheduled later stay pending until the clock moves.
    """
    importlib.import_module("odr.notify.service")  # registers the notify.send handler
    try:
        drain = importlib.import_module("odr.outbox.drain")
    except ModuleNotFoundError as exc:
        if exc.name != "odr.outbox.drain":
            raise
        return await _deliver_notifications_directly(services)
    drain_once = drain.drain_once
    handled = 0
    for _ in range(MAX_ROUNDS):
        result: Any = drain_once(services, worker_id, services.settings.outbox_batch_size)
        if inspect.isawaitable(result):
            result = await result
        count = _count(result)
        handled += count
        if count == 0:
            return handled
    raise AssertionError(f"outbox still busy after {MAX_ROUNDS} rounds")


def _count(result: Any) -> int:
    if isinstance(result, bool) or result is None:
        return int(bool(result))
    if isinstance(result, int):
        return result
    if hasattr(result, "__len__"):
        return len(result)
    for name in ("handled", "processed", "claimed", "count"):
        if isinstance(getattr(result, name, None), int):
            return int(getattr(result, name))
    raise TypeError(f"cannot tell how many messages drain_once handled from {result!r}")


async def _deliver_notifications_directly(services: Services) -> int:
    from odr.outbox.handlers import get_handler

    handler = get_handler(NOTIFY_KIND)
    now = services.clock.now()
    async with services.db.reader() as uow:
        messages = (
            await uow.session.execute(
                select(OutboxMessage)
                .where(
                    OutboxMessage.kind == NOTIFY_KIND,
                    OutboxMessage.status == "pending",
                    OutboxMessage.available_at <= now,
                )
                .order_by(OutboxMessage.id)
            )
        ).scalars().all()
        uow.session.expunge_all()
    for message in messages:
        await handler(services, message)
        async with services.db.uow() as uow:
            row = await uow.session.get(OutboxMessage, message.id)
            assert row is not None
            row.status = "done"
            row.attempts += 1
            row.done_at = services.clock.now()
    return len(messages)
