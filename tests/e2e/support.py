"""Helpers for the end-to-end tests: read one-time codes, make rows in the live app's database."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from sqlalchemy import select

from odr.accounts.models import User
from odr.notify.messages import NOTIFY_KIND
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests import factories

CODE_WAIT_S = 10


async def latest_code(services: Services, *, mobile: str, purpose: str) -> str:
    """The newest one-time code texted to ``mobile`` for ``purpose``.

    Read from the outbox message that carries the SMS (``payload.context.code``):
    the message is written in the same transaction as the code, whether or not
    a worker has delivered it yet.
    """
    deadline = time.monotonic() + CODE_WAIT_S
    while True:
        async with services.db.reader() as uow:
            rows = (
                await uow.session.execute(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.kind == NOTIFY_KIND)
                    .order_by(OutboxMessage.id.desc())
                )
            ).scalars().all()
        for payload in rows:
            context = payload.get("context", {})
            if payload.get("recipient") == mobile and context.get("purpose") == purpose:
                return str(context["code"])
        if time.monotonic() > deadline:
            raise AssertionError(f"no {purpose} code was queued for {mobile}")
        await asyncio.sleep(0.1)


async def make_case(
    services: Services,
    *,
    user_id: int,
    number: str,
    title: str,
    claim_amount_fen: int,
    updated_at: datetime,
    category: str = "banking",
    channel: str = "self_filed",
    status: str = "submitted",
) -> int:
    """A case with the user ``user_id`` as its applicant (through the shared factory)."""
    async with services.db.reader() as uow:
        applicant = await uow.session.get(User, user_id)
    assert applicant is not None
    case = await factories.make_case(
        services, applicant=applicant, number=number, title=title, category=category,
        channel=channel, status=status, claim_amount_fen=claim_amount_fen,
        created_at=updated_at, updated_at=updated_at,
    )
    return int(case.id)
