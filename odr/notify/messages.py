"""Asking for a notification: a typed request queued through the outbox.

The outbox handler for kind ``notify.send`` (``odr.notify.service``) renders
the template in the recipient's locale and sends it through the channel;
the ``idempotency_key`` makes a retried delivery a no-op.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.notify.templates import render
from odr.outbox.service import enqueue

NOTIFY_KIND = "notify.send"

Channel = Literal["sms", "email", "inapp"]


class NotificationRequest(BaseModel):
    template: str
    channel: Channel
    recipient: str  # mobile number, e-mail address, or user id for in-app
    locale: str = "zh-CN"
    user_id: int | None = None
    context: dict[str, Any] = Field(default_factory=dict)


async def queue_notification(
    uow: UnitOfWork, clock: Clock, request: NotificationRequest, *, idempotency_key: str
) -> None:
    """Queue ``request`` with its cause; raise ``TemplateError`` now if it cannot be rendered.

    Rendering here (and again when sending) means a wrong template name or a
    missing context field fails the caller's transaction with a clear message
    instead of dying later in a worker.
    """
    render(request.template, request.locale, request.context)
    await enqueue(
        uow,
        clock,
        kind=NOTIFY_KIND,
        payload=request.model_dump(mode="json"),
        idempotency_key=f"{NOTIFY_KIND}:{idempotency_key}",
    )
