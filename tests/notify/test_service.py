"""The notify.send handler: queue-time validation, exactly-once rows, channel choice."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from odr.notify.channels import ChannelError
from odr.notify.messages import NOTIFY_KIND, NotificationRequest, queue_notification
from odr.notify.models import Notification
from odr.notify.service import queue_for_user, send_notification
from odr.notify.templates import TemplateError
from odr.outbox.handlers import get_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import make_user
from tests.support.notify import deliver_pending, sent_messages

MOBILE = "13800138000"


def otp_request(**overrides: object) -> NotificationRequest:
    values: dict[str, object] = {
        "template": "otp_code",
        "channel": "sms",
        "recipient": MOBILE,
        "context": {"code": "582014", "minutes": 5, "purpose": "login"},
    }
    values.update(overrides)
    return NotificationRequest.model_validate(values)


async def queue(services: Services, request: NotificationRequest, key: str = "otp-1") -> OutboxMessage:
    async with services.db.uow() as uow:
        await queue_notification(uow, services.clock, request, idempotency_key=key)
    async with services.db.reader() as uow:
        message = (
            await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.idempotency_key == f"{NOTIFY_KIND}:{key}")
            )
        ).scalar_one()
        uow.session.expunge(message)
    return message


async def count_rows(services: Services, model: type) -> int:
    async with services.db.reader() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


def test_importing_the_service_registers_the_handler() -> None:
    assert get_handler(NOTIFY_KIND) is send_notification


async def test_queue_with_missing_field_fails_in_the_callers_transaction(services: Services) -> None:
    bad = otp_request(context={"code": "582014", "purpose": "login"})
    with pytest.raises(TemplateError, match=r"needs context field.*minutes"):
        async with services.db.uow() as uow:
            await queue_notification(uow, services.clock, bad, idempotency_key="otp-1")
    assert await count_rows(services, OutboxMessage) == 0


async def test_queue_with_unknown_template_fails(services: Services) -> None:
    with pytest.raises(TemplateError, match="unknown notification template 'otp_cod'"):
        async with services.db.uow() as uow:
            await queue_notification(
                uow, services.clock, otp_request(template="otp_cod"), idempotency_key="otp-1"
            )
    assert await count_rows(services, OutboxMessage) == 0


async def test_handler_run_twice_sends_once(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="odr.notify.console")
    message = await queue(services, otp_request())

    await send_notification(services, message)
    await send_notification(services, message)

    console_lines = [r for r in caplog.records if r.name == "odr.notify.console"]
    assert len(console_lines) == 1
    assert "582014" in console_lines[0].getMessage()
    assert await count_rows(services, Notification) == 1
    [sent] = await sent_messages(services, recipient=MOBILE, template="otp_code")
    assert sent.context["code"] == "582014"
    assert "582014" in sent.body and "登录" in sent.body
    assert sent.sent_at == services.clock.now()
    assert sent.channel == "sms"


async def test_english_recipient_gets_english_text(services: Services) -> None:
    message = await queue(services, otp_request(locale="en-US"))
    await send_notification(services, message)
    [sent] = await sent_messages(services, recipient=MOBILE)
    assert sent.locale == "en"
    assert sent.body.startswith("[ODR] Your code to sign in is 582014.")


async def test_in_app_message_is_delivered_by_its_row_once(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="odr.notify.console")
    user = await make_user(services)
    message = await queue(
        services,
        otp_request(template="welcome", channel="inapp", recipient=str(user.id), user_id=user.id,
                    context={"name": user.real_name}),
    )
    await send_notification(services, message)
    await send_notification(services, message)
    [sent] = await sent_messages(services, user_id=user.id, channel="inapp")
    assert sent.body.startswith(f"{user.real_name}，欢迎使用")
    assert not [r for r in caplog.records if r.name == "odr.notify.console"]


async def test_without_console_fallback_an_unconfigured_sms_is_an_error(services: Services) -> None:
    services.settings = services.settings.model_copy(update={"notify_channels": ["database"]})
    message = await queue(services, otp_request())
    with pytest.raises(ChannelError, match="no transport configured for sms"):
        await send_notification(services, message)
    assert await sent_messages(services) == []


async def test_deliver_pending_lets_a_test_read_the_code(services: Services) -> None:
    await queue(services, otp_request(context={"code": "900417", "minutes": 5, "purpose": "sign"}))
    await deliver_pending(services)
    [sent] = await sent_messages(services, recipient=MOBILE, template="otp_code")
    assert sent.context["code"] == "900417"
    async with services.db.reader() as uow:
        statuses = (await uow.session.execute(select(OutboxMessage.status))).scalars().all()
    assert statuses == ["done"]


async def test_queue_for_user_uses_each_address_the_user_has(services: Services) -> None:
    user = await make_user(services, email=None, locale="en")
    async with services.db.uow() as uow:
        queued = await queue_for_user(
            uow, services.clock, user, template="password_changed",
            context={"name": user.real_name, "at": "2026-11-02 09:00"},
            channels=("sms", "email", "inapp"), idempotency_key=f"pw:{user.id}:1",
        )
    assert queued == ["sms", "inapp"]
    await deliver_pending(services)
    sent = await sent_messages(services, user_id=user.id)
    assert sorted(s.channel for s in sent) == ["inapp", "sms"]
    assert {s.recipient for s in sent} == {user.mobile, str(user.id)}
    assert all(s.locale == "en" and "your password was changed" in s.body for s in sent)
