"""Remove respondent invitation links from stored messages once the link can no longer be used.

The SMS has to carry the one-time link in clear, so the outbox payload and the
notification record hold it, while the invitation keeps only the token's hash.
Once the link is used, or the invitation closed or expired, nothing should
still show it: the periodic prune task calls ``scrub_spent_invitation_links``
(the lead wires it next to ``scrub_expired_codes``). A message not yet sent is
left alone until it is.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from odr.cases.parties.models import RespondentInvitation
from odr.notify.messages import NOTIFY_KIND
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services

REMOVED = "[link removed]"
BATCH = 200


def message_key(invitation_id: int) -> str:
    """The outbox (and notification) key of an invitation's SMS (see ``invite_respondents``)."""
    return f"{NOTIFY_KIND}:respondent-invitation:{invitation_id}"


async def scrub_spent_invitation_links(services: Services) -> int:
    """Blank the links of spent invitations in sent messages; returns how many invitations."""
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
            ).order_by(RespondentInvitation.id).limit(BATCH)
        )).scalars().all()
        for invitation in spent:
            key = message_key(invitation.id)
            message = (await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
            )).scalar_one_or_none()
            notes = (await uow.session.execute(
                select(Notification).where(Notification.idempotency_key == key)
            )).scalars().all()
            if (message is not None and message.status == "pending") or any(
                n.sent_at is None for n in notes
            ):
                continue  # still to be sent: the link must reach the respondent first
            if message is not None and "link" in message.payload.get("context", {}):
                context = {k: v for k, v in message.payload["context"].items() if k != "link"}
                message.payload = {**message.payload, "context": context}
            for note in notes:
                link = note.context.get("link")
                if link:
                    note.body = note.body.replace(link, REMOVED)
                note.context = {k: v for k, v in note.context.items() if k != "link"}
            invitation.link_scrubbed_at = now
            done += 1
    return done
