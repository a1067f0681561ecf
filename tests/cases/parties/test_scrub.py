"""Spent invitation links disappear from stored messages; only the token's hash stays (L3)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.notify.models import Notification
from odr.outbox.drain import drain_until_empty
from odr.outbox.models import OutboxMessage
from odr.scrub import LINK_REMOVED as REMOVED
from odr.scrub import scrub_spent_invitation_links
from odr.services import Services
from tests.cases.parties.support import accepted_world, as_user, invitation_token, user_with_doc


async def _stored_texts(services: Services) -> str:
    async with services.db.reader() as uow:
        notes = (await uow.session.execute(select(Notification.body, Notification.context).where(
            Notification.template == "respondent_invitation"))).all()
        payloads = (await uow.session.execute(select(OutboxMessage.payload))).scalars().all()
    return repr(notes) + repr(payloads)


async def test_a_used_link_is_removed_from_stored_messages_L3(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    assert await scrub_spent_invitation_links(services) == 0  # not sent yet, and still usable
    await drain_until_empty(services, "test-worker")
    assert await scrub_spent_invitation_links(services) == 0  # sent, but still usable
    assert token in await _stored_texts(services)

    await as_user(client, services, await user_with_doc(services, world.respondent_doc))
    assert (await client.post(f"/api/v1/invitations/{token}/claim")).status_code == 200
    assert await scrub_spent_invitation_links(services) == 1
    assert await scrub_spent_invitation_links(services) == 0
    stored = await _stored_texts(services)
    assert token not in stored and REMOVED in stored
    assert (await client.get(f"/api/v1/invitations/{token}")).status_code == 410
