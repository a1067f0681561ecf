"""Remove query passwords from stored messages once the SMS has gone.

The SMS has to carry the password in clear, so the outbox payload and the
notification record hold it; the party's row keeps only a keyed hash. Once
the message is delivered (or given up) and ``RETENTION`` has passed, nothing
should still show it: the periodic prune task calls ``scrub_sent_query_passwords``
(the lead wires it next to ``scrub_expired_codes``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from odr.cases.progress.issue import TEMPLATE
from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services

RETENTION = timedelta(hours=1)
REMOVED = "[query password removed]"
BATCH = 500


async def scrub_sent_query_passwords(services: Services) -> int:
    """Blank passwords of sent query-password messages older than ``RETENTION``; returns how many."""
    cutoff = services.clock.now() - RETENTION
    changed = 0
    async with services.db.uow() as uow:
        notes = (
            await uow.session.execute(
                select(Notification)
                .where(Notification.template == TEMPLATE, Notification.created_at < cutoff,
                       Notification.sent_at.is_not(None), Notification.body != REMOVED)
                .limit(BATCH)
            )
        ).scalars()
        for note in notes:
            note.body = REMOVED
            note.context = {k: v for k, v in note.context.items() if k != "password"}
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
            if message.payload.get("template") == TEMPLATE and "password" in context:
                message.payload = {
                    **message.payload,
                    "context": {k: v for k, v in context.items() if k != "password"},
                }
                changed += 1
    return changed
