"""Helpers for the account tests: a valid registration, codes read from the outbox."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import func, select

from odr.accounts.sessions import CSRF_COOKIE
from odr.app import create_app
from odr.audit.models import AuditEntry
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services

RESIDENT_ID = "11010519491231002X"  # the GB 11643 sample number
MOBILE = "13812345678"


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "zhangsan",
        "password": "Passw0rd!",
        "real_name": "张三",
        "id_doc_type": "resident_id",
        "id_doc_number": RESIDENT_ID,
        "mobile": MOBILE,
        "role": "party",
    }
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register through the API; the client then sends the CSRF header like the page does."""
    response = await client.post("/api/v1/auth/register", json=registration(**overrides))
    assert response.status_code == 201, response.text
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    return response.json()["user"]  # type: ignore[no-any-return]


async def sms_messages(
    services: Services, *, to: str, template: str = "otp_code"
) -> list[dict[str, Any]]:
    """Notification requests queued to ``to`` (outbox payloads), oldest first."""
    async with services.db.reader() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.kind == NOTIFY_KIND)
                    .order_by(OutboxMessage.id)
                )
            )
            .scalars()
            .all()
        )
    return [p for p in rows if p["recipient"] == to and p["template"] == template]


async def code_sent_to(services: Services, mobile: str, purpose: str) -> str:
    """The newest one-time code queued for ``mobile`` with ``purpose``."""
    codes = [
        m["context"]["code"]
        for m in await sms_messages(services, to=mobile)
        if m["context"]["purpose"] == purpose
    ]
    assert codes, f"no {purpose} code was sent to {mobile}"
    return str(codes[-1])


async def audit_actions(services: Services) -> list[str]:
    async with services.db.reader() as uow:
        return list(
            (await uow.session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)))
            .scalars()
            .all()
        )


async def count(services: Services, model: type[Any]) -> int:
    async with services.db.reader() as uow:
        return int(
            (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()
        )


@contextlib.asynccontextmanager
async def another_client(
    services: Services, address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, optionally from another network address."""
    transport = httpx.ASGITransport(app=create_app(services), client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
