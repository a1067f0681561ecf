"""Remove secrets from stored messages once they can no longer be used.

Some messages must carry a secret in clear — a one-time code, a query
password (L3), a respondent's one-time link — so the in-app ``Notification``
record and the ``OutboxMessage`` payload hold it, while the owning row keeps
only a hash. Once the secret is spent, nothing should still show it: the
periodic prune task (``odr.tasks.celery_app``) calls the three scrubs here.

Every scrub leaves a message not yet sent alone (the secret must reach its
recipient first) and is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from odr.cases.parties.models import RespondentInvitation
from odr.cases.progress.issue import TEMPLATE as QUERY_PASSWORD_TEMPLATE
from odr.db.uow import UnitOfWork
from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage

if TYPE_CHECKING:
    from odr.services import Services

CODE_TEMPLATE = "otp_code"
CODE_REMOVED = "[expired one-time code removed]"
PASSWORD_REMOVED = "[query password removed]"
LINK_REMOVED = "[link removed]"
QUERY_PASSWORD_RETENTION = timedelta(hours=1)  # how long a sent password stays in the record
BATCH = 500
INVITATION_BATCH = 200


def _without(context: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k != key}


async def _blank_template(
    uow: UnitOfWork, *, template: str, key: str, removed: str, cutoff: datetime, sent_only: bool,
) -> int:
    """Blank ``key`` of ``template`` messages older than ``cutoff``; returns how many changed.

    A notification's whole body is replaced by ``removed`` (the text quoted the
    secret); an outbox payload loses the context value. ``sent_only``: keep
    notifications not delivered yet. Pending outbox messages are always kept.
    """
    changed = 0
    stmt = select(Notification).where(
        Notification.template == template, Notification.created_at < cutoff,
        Notification.body != removed,
    )
    if sent_only:
        stmt = stmt.where(Notification.sent_at.is_not(None))
    for note in (await uow.session.execute(stmt.limit(BATCH))).scalars():
        note.body = removed
        note.context = _without(note.context, key)
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
        if message.payload.get("template") == template and key in context:
            message.payload = {**message.payload, "context": _without(context, key)}
            changed += 1
    return changed


async def scrub_expired_codes(services: Services) -> int:
    """Blank one-time codes older than their lifetime; returns how many records changed."""
    cutoff = services.clock.now() - timedelta(minutes=services.settings.otp_ttl_minutes)
    async with services.db.uow() as uow:
        return await _blank_template(uow, template=CODE_TEMPLATE, key="code", removed=CODE_REMOVED,
                                     cutoff=cutoff, sent_only=False)


async def scrub_sent_query_passwords(services: Services) -> int:
    """Blank query passwords (L3) of messages sent over ``QUERY_PASSWORD_RETENTION`` ago."""
    cutoff = services.clock.now() - QUERY_PASSWORD_RETENTION
    async with services.db.uow() as uow:
        return await _blank_template(uow, template=QUERY_PASSWORD_TEMPLATE, key="password",
                                     removed=PASSWORD_REMOVED, cutoff=cutoff, sent_only=True)


def invitation_message_key(invitation_id: int) -> str:
    """The outbox (and notification) key of an invitation's SMS (see ``invite_respondents``)."""
    return f"{NOTIFY_KIND}:respondent-invitation:{invitation_id}"


async def scrub_spent_invitation_links(services: Services) -> int:
    """Blank the links of used, closed or expired invitations in sent messages; returns how many
    invitations were scrubbed."""
    now = services.clock.now()
    done = 0
    async with services.db.uow() as uow:
        spent = (await uow.session.execute(
            select(RespondentInvitation).where(
                RespondentInvitation.token_hash.is_not(None),
                RespondentInvitation.link_scrubbed_at.is_(None),
                or_(RespondentInvitation.claimed_at.is_not(None),
                    RespondentInvitation.closed_at.is_not(None),
                    RespondentInvitation.expires_at <= now),
            ).order_by(RespondentInvitation.id).limit(INVITATION_BATCH)
        )).scalars().all()
        for invitation in spent:
            key = invitation_message_key(invitation.id)
            message = (await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
            )).scalar_one_or_none()
            notes = (await uow.session.execute(
                select(Notification).where(Notification.idempotency_key == key)
            )).scalars().all()
            if (message is not None and message.status == "pending") or any(
                n.sent_at is None for n in notes
            ):
                continue  # still to be sent: the link must reach the party first
            if message is not None and "link" in message.payload.get("context", {}):
                message.payload = {**message.payload,
                                   "context": _without(message.payload["context"], "link")}
            for note in notes:
                link = note.context.get("link")
                if link:
                    note.body = note.body.replace(link, LINK_REMOVED)
                note.context = _without(note.context, "link")
            invitation.link_scrubbed_at = now
            done += 1
    return done
