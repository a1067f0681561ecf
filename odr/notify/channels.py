"""Where a rendered notification goes: small channels behind one ABC and one factory.

``channel_for(settings, "sms" | "email" | "inapp")`` is the only place that
decides between a real transport and the development console:

- ``sms``: the HTTP SMS gateway when ``sms_gateway_url`` is set, else console;
- ``email``: SMTP when ``smtp_host`` is set, else console;
- ``inapp``: the database (the ``Notification`` row is the message the user
  reads in the workspace).

``settings.notify_channels`` lists the fallbacks that may be used when no real
transport is configured (default ``console`` and ``database``). Remove
``console`` in production and an unconfigured SMS gateway becomes a delivery
error the outbox keeps retrying and reports, not a log line nobody reads.

A channel raises ``ChannelError`` when delivery failed; the outbox retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import smtplib
import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import ClassVar

import httpx

from odr.settings import Settings

log = logging.getLogger(__name__)
console_log = logging.getLogger("odr.notify.console")

IDEMPOTENCY_HEADER = "Idempotency-Key"


class ChannelError(RuntimeError):
    """Delivery failed; raising it from the outbox handler makes the outbox retry."""


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient."""

    notification_id: int
    channel: str  # sms | email | inapp
    recipient: str
    subject: str
    body: str
    template: str
    locale: str
    idempotency_key: str


class NotificationChannel(ABC):
    name: ClassVar[str]

    @abstractmethod
    async def send(self, message: Outgoing) -> None:
        """Deliver ``message`` or raise ``ChannelError``."""


class ConsoleChannel(NotificationChannel):
    """The development SMS and e-mail: the message goes to the process log (stderr)."""

    name = "console"

    async def send(self, message: Outgoing) -> None:
        console_log.info(
            "%s to %s: %s",
            message.channel,
            message.recipient,
            message.body,
            extra={
                "notification_id": message.notification_id,
                "recipient": message.recipient,
                "subject": message.subject,
                "idempotency_key": message.idempotency_key,
            },
        )


class DatabaseChannel(NotificationChannel):
    """In-app messages: the ``Notification`` row already written is the delivery."""

    name = "database"

    async def send(self, message: Outgoing) -> None:
        return None


class SmtpChannel(NotificationChannel):
    """E-mail through an SMTP relay; blocking smtplib runs in a worker thread."""

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_from
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value()
        self.starttls = settings.smtp_starttls
        self.timeout = settings.notify_timeout_seconds

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        # A Message-ID derived from the idempotency key: a resend after a crash
        # carries the same id, so mail systems that de-duplicate can drop it.
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        domain = self.sender.rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{digest}@{domain}>"
        email.set_content(message.body)
        return email

    def _send_blocking(self, email: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)

    async def send(self, message: Outgoing) -> None:
        try:
            await asyncio.to_thread(self._send_blocking, self.build(message))
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP {self.host}:{self.port} refused the e-mail: {exc}") from exc


class SmsGatewayChannel(NotificationChannel):
    """SMS through an HTTP gateway: POST JSON, key in ``Authorization``.

    The notification's idempotency key travels in the ``Idempotency-Key``
    header, so a gateway that honours it sends a retried request only once.
    """

    name = "sms_gateway"

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = settings.sms_gateway_url
        self.key = settings.sms_gateway_key.get_secret_value()
        self.timeout = settings.notify_timeout_seconds
        self.transport = transport

    async def send(self, message: Outgoing) -> None:
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        payload = {
            "to": message.recipient,
            "text": message.body,
            "template": message.template,
            "locale": message.locale,
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"SMS gateway unreachable: {exc!r}") from exc
        if not response.is_success:
            raise ChannelError(
                f"SMS gateway answered {response.status_code}: {response.text[:200]}"
            )


def transport_name(settings: Settings, channel: str) -> str:
    """Which transport a logical channel uses under these settings."""
    if channel == "inapp":
        return DatabaseChannel.name
    if channel == "sms":
        return SmsGatewayChannel.name if settings.sms_gateway_url else ConsoleChannel.name
    if channel == "email":
        return SmtpChannel.name if settings.smtp_host else ConsoleChannel.name
    raise ValueError(f"unknown notification channel {channel!r}")


def channel_for(settings: Settings, channel: str) -> NotificationChannel:
    """The channel object that delivers ``channel`` messages under these settings."""
    name = transport_name(settings, channel)
    if name == SmsGatewayChannel.name:
        return SmsGatewayChannel(settings)
    if name == SmtpChannel.name:
        return SmtpChannel(settings)
    if name == DatabaseChannel.name:
        return DatabaseChannel()
    if ConsoleChannel.name not in settings.notify_channels:
        raise ChannelError(
            f"no transport configured for {channel} (set ODR_SMS_GATEWAY_URL / ODR_SMTP_HOST) "
            "and the console fallback is not in ODR_NOTIFY_CHANNELS"
        )
    return ConsoleChannel()
