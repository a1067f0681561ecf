"""Telling seat holders about a meeting: through the outbox, in the caller's transaction.

Users get in-app and SMS messages in their locale; a guest (no account) gets
an SMS at the mobile the host entered. Each message's idempotency key names
the meeting, the change and the seat, so a retried request never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from odr.cases.models import Case
from odr.db.uow import UnitOfWork
from odr.meetings.entry import GUEST_MOBILE_CONTEXT
from odr.meetings.models import Meeting, MeetingSeat, SeatState
from odr.notify.messages import Channel, NotificationRequest, queue_notification
from odr.notify.service import notify_users
from odr.notify.templates import local_time_text

if TYPE_CHECKING:
    from odr.services import Services

CHANNELS: tuple[Channel, ...] = ("inapp", "sms")
GONE = frozenset({SeatState.REMOVED, SeatState.DENIED})


def meeting_context(meeting: Meeting, case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "case_title": case.title,
        "meeting_kind": meeting.kind,
        "title": meeting.title,
        "starts": local_time_text(meeting.starts_at),
        "ends": local_time_text(meeting.ends_at),
    }


async def notify_guest(
    uow: UnitOfWork, services: Services, seat: MeetingSeat, *, template: str,
    context: dict[str, Any], key: str,
) -> bool:
    if seat.guest_mobile_encrypted is None:
        return False
    mobile = services.crypto.decrypt(seat.guest_mobile_encrypted, context=GUEST_MOBILE_CONTEXT)
    await queue_notification(
        uow, services.clock,
        NotificationRequest(
            template=template, channel="sms", recipient=mobile,
            context={**context, "name": seat.display_name},
        ),
        idempotency_key=f"{key}:seat{seat.id}",
    )
    return True


async def notify_seats(
    uow: UnitOfWork, services: Services, meeting: Meeting, case: Case, seats: Iterable[MeetingSeat],
    *, template: str, key: str, extra: dict[str, Any] | None = None,
    skip_user_id: int | None = None,
) -> int:
    """Queue ``template`` to every holder of ``seats`` (but the one who made the change)."""
    context = {**meeting_context(meeting, case), **(extra or {})}
    present = [s for s in seats if s.state not in GONE]
    users = [s.user_id for s in present if s.user_id is not None and s.user_id != skip_user_id]
    reached = await notify_users(uow, services, users, template=template, context=context, key=key)
    for seat in present:
        if seat.user_id is None:
            reached += await notify_guest(
                uow, services, seat, template=template, context=context, key=key
            )
    return reached
