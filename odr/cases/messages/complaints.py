"""Repeated complaints: the same matter again is flagged for supervision.

Same matter = same case, same complainant side, same subject of complaint
(``about`` and, for a mediator, the same mediator). It counts as a repeat
while the earlier complaint is unanswered, or within
``complaint_repeat_window_days`` of it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.messages.models import MessageThread, ThreadKind, ThreadStatus

if TYPE_CHECKING:
    from odr.services import Services


async def earlier_complaint(
    session: AsyncSession, services: Services, case_id: int, side: str, about: str,
    target_user_id: int | None,
) -> MessageThread | None:
    """The latest complaint on the same matter still unanswered or within the repeat window."""
    cutoff = services.clock.now() - timedelta(days=services.settings.complaint_repeat_window_days)
    target = (
        MessageThread.target_user_id.is_(None) if target_user_id is None
        else MessageThread.target_user_id == target_user_id
    )
    return (
        await session.execute(
            select(MessageThread)
            .where(
                MessageThread.case_id == case_id,
                MessageThread.kind == ThreadKind.COMPLAINT,
                MessageThread.side == side,
                MessageThread.about == about,
                target,
                or_(
                    MessageThread.status == ThreadStatus.AWAITING_REPLY,
                    MessageThread.created_at >= cutoff,
                ),
            )
            .order_by(MessageThread.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
