"""In-app (and, for escalations, SMS) notices about threads; never the message text itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from odr.accounts.models import User
from odr.db.uow import UnitOfWork
from odr.notify.messages import Channel
from odr.notify.service import queue_for_user

if TYPE_CHECKING:
    from odr.services import Services


async def notify(
    uow: UnitOfWork, services: Services, user_ids: Iterable[int], *, template: str,
    context: dict[str, Any], key: str, channels: tuple[Channel, ...] = ("inapp",),
) -> int:
    """Queue ``template`` to each active user of ``user_ids``; returns how many were queued."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return 0
    users = (
        await uow.session.execute(
            select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
        )
    ).scalars().all()
    sent = 0
    for user in users:
        queued = await queue_for_user(
            uow, services.clock, user, template=template, context=context, channels=channels,
            idempotency_key=f"{key}:u{user.id}",
        )
        sent += bool(queued)
    return sent
