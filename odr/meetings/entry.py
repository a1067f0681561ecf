"""The entry identity check of a room (L2, L9): a fresh one-time code at each session.

A code goes to the seat's verified mobile — the account's for a user, the
mobile the host entered for a guest — when a room token is issued (or the
guest asks for one through its link). The room's ``entry.code`` event (and
the guest link) calls ``check_entry_code``; a right code sets the seat's
``entry_code_verified_at``.

Codes are the accounts part's one-time codes (``odr.accounts.otp``) with the
purpose ``room_entry``: hashed at rest, expiring, limited tries, one use.
Sending is throttled per mobile; when a code was sent moments ago the
earlier one stays valid, so a second token request does not fail.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.accounts import otp
from odr.accounts.models import User
from odr.accounts.otp import Purpose
from odr.audit.chain import record
from odr.db.uow import UnitOfWork
from odr.errors import TooManyRequests
from odr.meetings.models import MeetingSeat

if TYPE_CHECKING:
    from odr.services import Services

GUEST_MOBILE_CONTEXT = "meeting_seat.guest_mobile"
GUEST_ID_DOC_CONTEXT = "meeting_seat.guest_id_doc"


async def seat_mobile(uow: UnitOfWork, services: Services, seat: MeetingSeat) -> tuple[str, str] | None:
    """The (mobile, locale) the seat's entry code goes to; None when there is none."""
    if seat.user_id is None:
        if seat.guest_mobile_encrypted is None:
            return None
        mobile = services.crypto.decrypt(seat.guest_mobile_encrypted, context=GUEST_MOBILE_CONTEXT)
        return mobile, "zh-CN"
    user = (
        await uow.session.execute(select(User).where(User.id == seat.user_id))
    ).scalar_one_or_none()
    if user is None or not user.mobile or user.mobile_verified_at is None:
        return None
    return user.mobile, user.locale or "zh-CN"


async def issue_entry_code(uow: UnitOfWork, services: Services, seat: MeetingSeat) -> int | None:
    """Queue a fresh entry code; seconds until it expires, None if the seat has no mobile.

    Raises 429 (``TooManyRequests``) while the mobile's sending limit holds.
    """
    target = await seat_mobile(uow, services, seat)
    if target is None:
        return None
    mobile, locale = target
    expires_in = await otp.issue_code(
        uow, services, mobile=mobile, purpose=Purpose.ROOM_ENTRY, user_id=seat.user_id,
        locale=locale,
    )
    await record(
        uow, services.clock, action="meeting.entry_code_sent", actor_id=seat.user_id,
        actor_label=seat.display_name, subject_type="meeting_seat", subject_id=str(seat.id),
        data={"meeting_id": seat.meeting_id},
    )
    return expires_in


async def send_entry_code(uow: UnitOfWork, services: Services, seat: MeetingSeat) -> None:
    """Queue a fresh entry code to the seat's mobile (within ``uow``).

    A seat with no usable mobile gets none (the room then refuses its entry
    code). When the mobile's sending limit holds (a code was just sent), the
    earlier live code stays valid and nothing new is sent.
    """
    with contextlib.suppress(TooManyRequests):
        await issue_entry_code(uow, services, seat)


async def check_entry_code(uow: UnitOfWork, services: Services, seat: MeetingSeat, code: str) -> bool:
    """Check ``code`` against the seat's live entry code; a right one marks the seat verified.

    A wrong try is counted in ``uow`` (let it commit before refusing). The
    caller decides what to tell the participant; this only answers yes or no.
    """
    target = await seat_mobile(uow, services, seat)
    if target is None:
        return False
    mobile, _locale = target
    check = await otp.check_code(uow, services, mobile=mobile, purpose=Purpose.ROOM_ENTRY, code=code)
    if not check.ok:
        return False
    if seat.user_id is not None and check.user_id not in (None, seat.user_id):
        return False
    now = services.clock.now()
    seat.entry_code_verified_at = now
    seat.updated_at = now
    await uow.session.flush()
    await record(
        uow, services.clock, action="meeting.entry_code_verified", actor_id=seat.user_id,
        actor_label=seat.display_name, subject_type="meeting_seat", subject_id=str(seat.id),
        data={"meeting_id": seat.meeting_id},
    )
    return True
