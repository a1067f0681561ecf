"""Sent one-time codes do not outlive their lifetime in stored messages."""

from __future__ import annotations

from sqlalchemy import select

from odr.accounts.otp import Purpose, issue_code
from odr.clock import ManualClock
from odr.outbox.models import OutboxMessage
from odr.scrub import CODE_REMOVED as REMOVED
from odr.scrub import scrub_expired_codes
from odr.services import Services
from tests.factories import make_user
from tests.support.notify import deliver_pending, sent_messages


async def test_expired_codes_are_removed_from_messages_and_outbox(
    services: Services, clock: ManualClock
) -> None:
    user = await make_user(services, "party")
    assert user.mobile is not None
    async with services.db.uow() as uow:
        await issue_code(uow, services, mobile=user.mobile, purpose=Purpose.LOGIN, user_id=user.id)
    await deliver_pending(services)
    [sms] = await sent_messages(services, recipient=user.mobile, template="otp_code")
    code = sms.context["code"]
    assert code in sms.body

    assert await scrub_expired_codes(services) == 0  # still valid: kept

    clock.advance(minutes=services.settings.otp_ttl_minutes + 1)
    assert await scrub_expired_codes(services) == 2
    [sms] = await sent_messages(services, recipient=user.mobile, template="otp_code")
    assert sms.body == REMOVED and "code" not in sms.context
    async with services.db.reader() as uow:
        payloads = (await uow.session.execute(select(OutboxMessage.payload))).scalars().all()
    assert all(code not in str(p) for p in payloads)
    assert await scrub_expired_codes(services) == 0  # nothing left to do
