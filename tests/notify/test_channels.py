"""Real transports: an HTTP SMS gateway and an SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select

from odr.notify.channels import ChannelError, channel_for, transport_name
from odr.notify.messages import NotificationRequest, queue_notification
from odr.outbox.models import OutboxMessage
from odr.services import Services
from odr.settings import Settings
from tests.support.notify import deliver_pending, sent_messages

MOBILE = "13800138000"


@dataclass
class Gateway:
    url: str
    fail_first: int = 1
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["status"] == 200]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """An SMS gateway that answers 500 to its first call, then 200; it records every call."""
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            status = 500 if len(state.calls) < state.fail_first else 200
            state.calls.append({
                "status": status,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "authorization": self.headers.get("Authorization"),
                "body": body,
            })
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": %s}' % (b"true" if status == 200 else b"false"))

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


async def queue(services: Services, request: NotificationRequest, key: str) -> None:
    async with services.db.uow() as uow:
        await queue_notification(uow, services.clock, request, idempotency_key=key)


def test_transport_follows_what_is_configured() -> None:
    bare = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [transport_name(bare, c) for c in ("sms", "email", "inapp")] == [
        "console", "console", "database"]
    configured = bare.model_copy(update={"sms_gateway_url": "http://gw", "smtp_host": "mail"})
    assert [transport_name(configured, c) for c in ("sms", "email", "inapp")] == [
        "sms_gateway", "smtp", "database"]
    assert channel_for(configured, "sms").name == "sms_gateway"


async def test_gateway_failure_is_retried_and_the_sms_delivered_once(
    services: Services, gateway: Gateway
) -> None:
    services.settings = services.settings.model_copy(
        update={"sms_gateway_url": gateway.url, "sms_gateway_key": SecretStr("gw-secret")}
    )
    request = NotificationRequest(
        template="otp_code", channel="sms", recipient=MOBILE,
        context={"code": "731590", "minutes": 5, "purpose": "reset_password"},
    )
    await queue(services, request, "reset:1")

    await deliver_pending(services)  # the gateway answers 500: nothing is marked sent
    assert [c["status"] for c in gateway.calls] == [500]
    assert await sent_messages(services) == []
    async with services.db.reader() as uow:
        message = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        assert message.status == "pending"
        assert "SMS gateway answered 500" in (message.last_error or "")
        retry_at = message.available_at

    services.clock.set(retry_at)  # type: ignore[attr-defined]
    await deliver_pending(services)
    await deliver_pending(services)  # nothing left: no third call

    assert [c["status"] for c in gateway.calls] == [500, 200]
    keys = {c["idempotency_key"] for c in gateway.calls}
    assert keys == {"notify.send:reset:1"}
    assert gateway.calls[1]["authorization"] == "Bearer gw-secret"
    assert gateway.calls[1]["body"]["to"] == MOBILE
    assert "731590" in gateway.calls[1]["body"]["text"]
    [sent] = await sent_messages(services, recipient=MOBILE)
    assert sent.sent_at == retry_at


async def test_unreachable_gateway_is_a_channel_error(services: Services) -> None:
    services.settings = services.settings.model_copy(
        update={"sms_gateway_url": f"http://127.0.0.1:{free_port()}/sms"}
    )
    channel = channel_for(services.settings, "sms")
    from odr.notify.channels import Outgoing

    with pytest.raises(ChannelError, match="SMS gateway unreachable"):
        await channel.send(Outgoing(1, "sms", MOBILE, "", "text", "otp_code", "zh-CN", "k"))


async def test_email_reaches_a_real_smtp_server_with_chinese_subject(
    services: Services, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    services.settings = services.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "noreply@odr.example"}
    )
    request = NotificationRequest(
        template="password_changed", channel="email", recipient="zhang@example.test",
        context={"name": "张三", "at": "2026-11-02 09:00"},
    )
    await queue(services, request, "pw:1")
    await deliver_pending(services)
    await deliver_pending(services)

    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received["Subject"] == "您的密码已修改"
    assert received["To"] == "zhang@example.test"
    assert mailbox.envelopes == [("noreply@odr.example", ["zhang@example.test"])]
    text = received.get_content()
    assert "张三，您的账户密码已于2026-11-02 09:00修改" in text
    [sent] = await sent_messages(services, channel="email")
    assert sent.subject == "您的密码已修改"


async def test_smtp_refusal_is_a_channel_error_and_nothing_is_marked_sent(
    services: Services,
) -> None:
    services.settings = services.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port()}
    )
    request = NotificationRequest(
        template="welcome", channel="email", recipient="li@example.test", context={"name": "李四"},
    )
    await queue(services, request, "welcome:1")
    await deliver_pending(services)
    assert await sent_messages(services) == []
    async with services.db.reader() as uow:
        message = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        assert "SMTP 127.0.0.1" in (message.last_error or "")
