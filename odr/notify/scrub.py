"""Remove one-time codes from stored messages once they have expired.

The in-app record and the outbox payload of an ``otp_code`` message hold the
code in clear (the SMS had to carry it). The account keeps only a keyed hash,
so after the code's lifetime nothing should still show it: a periodic task
blanks the code in both places.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services

CODE_TEMPLATE = "otp_code"
REMOVED = "[expired one-time code removed]"
BATCH = 500


async def scrub_expired_codes(services: Services) -> int:
    """Blank codes older than their lifetime; returns how many records changed."""
    cutoff = services.clock.now() - timedelta(minutes=services.settings.otp_ttl_minutes)
    changed = 0
    async with services.db.uow() as uow:
        notes = (
            await uow.session.execute(
                select(Notification)
                .where(Notification.template == CODE_TEMPLATE, Notification.created_at < cutoff,
                       Notification.body != REMOVED)
                .limit(BATCH)
            )
        ).scalars()
        for note in notes:
            note.body = REMOVED
            note.context = {k: v for k, v in note.context.items() if k != "code"}
            changed += 1
        messages = (
            await uow.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.kind == NOTIFY_KIND, OutboxMessage.created_at < cutoff,
                       OutboxMessage.status != "pending")
                .order_by(OutboxMessage.id.desc())
                .limit(BATCH)
            )
        ).scalars()
        for message in messages:
            context = message.payload.get("context", {})
            if message.payload.get("template") == CODE_TEMPLATE and "code" in context:
                message.payload = {
                    **message.payload,
                    "context": {k: v for k, v in context.items() if k != "code"},
                }
                changed += 1
    return changed
