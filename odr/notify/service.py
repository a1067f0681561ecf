"""Sending notifications: the outbox handler for ``notify.send``.

Importing this module registers the handler with the outbox registry
(``register_handler(NOTIFY_KIND, send_notification)``); a worker process, or
a test that drains the outbox inline, imports ``odr.notify.service`` to be
able to deliver notifications.

To ask for a notification, code calls ``queue_notification`` (one channel,
``odr.notify.messages``) or ``queue_for_user`` (each channel the user can be
reached on) inside its own unit of work, so the message commits with its cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from odr.accounts.models import User
from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.notify.channels import DatabaseChannel, Outgoing, channel_for
from odr.notify.messages import NOTIFY_KIND, Channel, NotificationRequest, queue_notification
from odr.notify.models import Notification
from odr.notify.templates import render
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services

log = logging.getLogger(__name__)


async def send_notification(services: Services, message: OutboxMessage) -> None:
    """Deliver one ``notify.send`` outbox message, at most once per idempotency key.

    Steps, each its own transaction where it touches the database:

    1. Insert the ``Notification`` row (unique on idempotency key + channel),
       not yet marked sent, and commit. If the row exists and ``sent_at`` is
       set, the message was delivered before: return without sending.
    2. Send the stored subject and body through the channel. A failure raises,
       the row stays unsent, and the outbox retries later with the same key.
    3. Set ``sent_at``.

    Why this is exactly-once, and where it is only at-least-once:

    - In-app (database channel): the row *is* the delivery, so it is inserted
      already marked sent in step 1. The unique constraint allows one row per
      key and channel, and a retry finds it sent: exactly once.
    - Console (development SMS and e-mail): the row is what a developer or a
      test reads, and it is exactly once for the same reason. The log line is
      not transactional: only a crash in the instant between printing and
      step 3 prints it again.
    - SMS gateway: a retry after a crash between steps 2 and 3 sends the same
      ``Idempotency-Key``; a gateway that honours the header delivers once, so
      the recipient gets one SMS. A gateway that ignores it may send twice.
    - SMTP: SMTP has no idempotency key; a crash between steps 2 and 3 resends
      the e-mail (with the same ``Message-ID``, which some mail systems use to
      drop duplicates): at-least-once.

    In every case a message whose ``sent_at`` is committed is never sent again.
    Two workers run the same message only when a lease expired under a slow
    handler; then both may reach step 2 (again at-least-once).
    """
    request = NotificationRequest.model_validate(message.payload)
    channel = channel_for(services.settings, request.channel)
    key = message.idempotency_key
    row = await _claim_row(services, request, key, in_app=isinstance(channel, DatabaseChannel))
    if row is None:
        return
    await channel.send(
        Outgoing(
            notification_id=row.id,
            channel=row.channel,
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            template=row.template,
            locale=row.locale,
            idempotency_key=key,
        )
    )
    async with services.db.uow() as uow:
        await uow.session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.sent_at.is_(None))
            .values(sent_at=services.clock.now())
        )


async def _claim_row(
    services: Services, request: NotificationRequest, key: str, *, in_app: bool
) -> Notification | None:
    """The unsent row to deliver (inserted if new), or None if already delivered."""
    try:
        async with services.db.uow() as uow:
            row = await _find(uow, key, request.channel)
            if row is None:
                rendered = render(request.template, request.locale, request.context)
                now = services.clock.now()
                row = Notification(
                    idempotency_key=key,
                    channel=request.channel,
                    user_id=request.user_id,
                    recipient=request.recipient,
                    template=request.template,
                    locale=rendered.locale,
                    subject=rendered.subject,
                    body=rendered.body,
                    context=request.context,
                    created_at=now,
                    sent_at=now if in_app else None,
                    read_at=None,
                )
                uow.session.add(row)
                await uow.session.flush()
                return None if in_app else row
    except IntegrityError:
        # Another worker inserted the same key between our read and insert.
        async with services.db.reader() as uow:
            row = await _find(uow, key, request.channel)
            if row is None:
                raise
            uow.session.expunge(row)  # keep its loaded state past the reader's rollback
    if row.sent_at is not None:
        log.info("notification %s already sent; skipping", key)
        return None
    return row


async def _find(uow: UnitOfWork, key: str, channel: str) -> Notification | None:
    return (
        await uow.session.execute(
            select(Notification).where(
                Notification.idempotency_key == key, Notification.channel == channel
            )
        )
    ).scalar_one_or_none()


async def queue_for_user(
    uow: UnitOfWork,
    clock: Clock,
    user: User,
    *,
    template: str,
    context: dict[str, Any],
    channels: Iterable[Channel] = ("inapp",),
    idempotency_key: str,
) -> list[Channel]:
    """Queue ``template`` to ``user`` on each of ``channels`` the user has an address for.

    SMS goes to ``user.mobile``, e-mail to ``user.email``, in-app to the user's
    workspace, all in the user's locale. Returns the channels actually queued.
    Each channel's outbox key is ``<idempotency_key>:<channel>``.
    """
    addresses: dict[str, str | None] = {
        "sms": user.mobile,
        "email": user.email,
        "inapp": str(user.id),
    }
    queued: list[Channel] = []
    for channel in dict.fromkeys(channels):
        recipient = addresses[channel]
        if not recipient:
            continue
        request = NotificationRequest(
            template=template,
            channel=channel,
            recipient=recipient,
            locale=user.locale or "zh-CN",
            user_id=user.id,
            context=context,
        )
        await queue_notification(uow, clock, request, idempotency_key=f"{idempotency_key}:{channel}")
        queued.append(channel)
    return queued


register_handler(NOTIFY_KIND, send_notification)


async def notify_users(
    uow: UnitOfWork,
    services: Services,
    user_ids: Iterable[int],
    *,
    template: str,
    context: dict[str, Any],
    key: str,
    channels: tuple[Channel, ...] = ("inapp", "sms"),
) -> int:
    """Queue ``template`` to each active user of ``user_ids`` (with ``name`` in the context).

    Each user's key is ``<key>:u<user id>``, so a retried request never sends
    twice. Returns how many users got at least one channel.
    """
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return 0
    users = (
        await uow.session.execute(
            select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
        )
    ).scalars().all()
    reached = 0
    for user in users:
        queued = await queue_for_user(
            uow, services.clock, user, template=template,
            context={**context, "name": user.real_name}, channels=channels,
            idempotency_key=f"{key}:u{user.id}",
        )
        reached += bool(queued)
    return reached
