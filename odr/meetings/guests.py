"""Guests (witness, interpreter): a seat without an account, reached by a one-time link.

The host enters the guest's name, mobile and (optionally) ID document; the
mobile and the document are stored encrypted. The link ``{public_base_url}
/meeting-invite/{token}`` goes by SMS; only the token's SHA-256 is kept. The
link shows the meeting's time and the case's title, sends a fresh one-time
code to the guest's mobile, and with the right code is spent: the guest gets
a room token for its seat, its entry identity check already done (L2).
Wrong links are counted per network address against guessing, like the
respondent invitations.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.identity import mask_mobile
from odr.audit.chain import record
from odr.cases.models import Case
from odr.cases.parties.models import InvitationLookupFailure
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.errors import BadRequest, NotFound, OdrError, TooManyRequests
from odr.meetings.entry import (
    GUEST_ID_DOC_CONTEXT,
    GUEST_MOBILE_CONTEXT,
    check_entry_code,
    issue_entry_code,
)
from odr.meetings.models import Meeting, MeetingSeat, MeetingStatus, SeatRole, SeatState
from odr.meetings.notices import meeting_context
from odr.meetings.queries import load_meeting
from odr.meetings.schemas import GuestIn
from odr.notify.messages import NotificationRequest, queue_notification
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class Gone(OdrError):
    """The link existed but can no longer be used (used, or the meeting is over)."""

    status, code = 410, "gone"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_link(services: Services, token: str) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}/meeting-invite/{token}"


async def invite_guest(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int,
                       body: GuestIn) -> MeetingSeat:
    """Seat a guest and send its one-time link by SMS (audited)."""
    now = services.clock.now()
    meeting, case, view, _seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_INVITE_GUEST, view)
    token = secrets.token_urlsafe(32)
    document = (
        services.crypto.encrypt(f"{body.id_doc_type}:{body.id_doc_number}",
                                context=GUEST_ID_DOC_CONTEXT)
        if body.id_doc_type and body.id_doc_number else None
    )
    seat = MeetingSeat(
        meeting_id=meeting.id, user_id=None, role=SeatRole(body.role), display_name=body.name,
        invite_token_hash=token_hash(token),
        guest_mobile_encrypted=services.crypto.encrypt(body.mobile, context=GUEST_MOBILE_CONTEXT),
        guest_id_doc_encrypted=document, state=SeatState.INVITED, delegated=[],
        created_at=now, updated_at=now,
    )
    uow.session.add(seat)
    await uow.session.flush()
    who = Who.of(actor)
    await record(uow, services.clock, action="meeting.guest_invited", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id,
                 data={"seat_id": seat.id, "role": seat.role, "name": seat.display_name,
                       "id_document": document is not None})
    await _send_link(uow, services, meeting, case, seat, token)
    return seat


async def send_fresh_link(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int,
                          seat_id: int) -> MeetingSeat:
    """A new one-time link for a guest seat (the old one dies): a guest who lost the room
    after its link was spent comes back this way, with a fresh code check."""
    now = services.clock.now()
    meeting, case, view, seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_INVITE_GUEST, view)
    seat = next((s for s in seats if s.id == seat_id and s.user_id is None), None)
    if seat is None:
        raise NotFound("no such guest in this meeting", code="seat_unknown")
    if seat.state in (SeatState.REMOVED, SeatState.DENIED):
        raise Gone("this guest was removed from the meeting", code="invite_withdrawn")
    token = secrets.token_urlsafe(32)
    seat.invite_token_hash, seat.invite_used_at, seat.updated_at = token_hash(token), None, now
    who = Who.of(actor)
    await record(uow, services.clock, action="meeting.guest_link_renewed", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting_seat", subject_id=seat.id,
                 data={"meeting_id": meeting.id})
    await _send_link(uow, services, meeting, case, seat, token)
    return seat


async def _send_link(uow: UnitOfWork, services: Services, meeting: Meeting, case: Case,
                     seat: MeetingSeat, token: str) -> None:
    assert seat.guest_mobile_encrypted is not None
    await queue_notification(
        uow, services.clock,
        NotificationRequest(
            template="meeting_guest_invitation", channel="sms",
            recipient=_guest_mobile(services, seat),
            context={**meeting_context(meeting, case), "name": seat.display_name,
                     "guest_role": seat.role, "link": invite_link(services, token)},
        ),
        idempotency_key=f"meeting:{meeting.id}:guest:{seat.id}:invite:{token_hash(token)[:16]}",
    )


# ---- the public link ------------------------------------------------------------------


async def _throttle(session: AsyncSession, services: Services, address: str) -> None:
    settings = services.settings
    now = services.clock.now()
    window = timedelta(minutes=settings.invitation_failure_window_minutes)
    limit = settings.invitation_max_failures_per_address
    times = list((await session.execute(
        select(InvitationLookupFailure.at)
        .where(InvitationLookupFailure.address == address[:64],
               InvitationLookupFailure.at > now - window)
        .order_by(InvitationLookupFailure.at.desc()).limit(limit)
    )).scalars())
    if len(times) >= limit:
        seconds = max(1, math.ceil((times[-1] + window - now).total_seconds()))
        raise TooManyRequests(
            f"too many wrong links from this network address; try again in {seconds} seconds",
            code="throttled", details={"retry_after": seconds, "scope": "address"},
        )


async def _seat_for_token(uow: UnitOfWork, services: Services, token: str, address: str,
                          *, lock: bool = False) -> tuple[MeetingSeat, Meeting, Case]:
    """The guest seat behind ``token``; 404 (counted) if none, 410 if it cannot be used."""
    await _throttle(uow.session, services, address)
    seat = None
    if _TOKEN_SHAPE.match(token):
        stmt = select(MeetingSeat).where(MeetingSeat.invite_token_hash == token_hash(token))
        if lock:
            stmt = stmt.with_for_update()
        seat = (await uow.session.execute(stmt)).scalar_one_or_none()
    if seat is None:
        raise NotFound("no such invitation: check the link in the SMS", code="invite_unknown")
    meeting = await uow.session.get(Meeting, seat.meeting_id)
    case = await uow.session.get(Case, meeting.case_id) if meeting else None
    assert meeting is not None and case is not None
    now = services.clock.now()
    if seat.invite_used_at is not None:
        raise Gone("this invitation link was already used", code="invite_used")
    if seat.state in (SeatState.REMOVED, SeatState.DENIED):
        raise Gone("the host withdrew this invitation", code="invite_withdrawn")
    if meeting.status == MeetingStatus.CANCELLED:
        raise Gone("the meeting was cancelled", code="meeting_cancelled")
    if meeting.status == MeetingStatus.ENDED or meeting.ends_at <= now:
        raise Gone("the meeting is over: this link has expired", code="invite_expired")
    return seat, meeting, case


async def count_failure(services: Services, address: str) -> None:
    async with services.db.uow() as uow:
        uow.session.add(InvitationLookupFailure(address=address[:64], at=services.clock.now()))


async def link_summary(services: Services, token: str, address: str) -> tuple[Meeting, Case, str]:
    """The meeting and case behind a link, and the masked mobile the code goes to."""
    try:
        async with services.db.reader() as reader:
            seat, meeting, case = await _seat_for_token(reader, services, token, address)
            mobile = _guest_mobile(services, seat)
    except NotFound:
        await count_failure(services, address)
        raise
    return meeting, case, mask_mobile(mobile) or ""


def _guest_mobile(services: Services, seat: MeetingSeat) -> str:
    assert seat.guest_mobile_encrypted is not None
    return services.crypto.decrypt(seat.guest_mobile_encrypted, context=GUEST_MOBILE_CONTEXT)


async def send_link_code(services: Services, token: str, address: str) -> int:
    """Send a fresh one-time code to the guest's mobile; seconds until it expires (429 if just sent)."""
    try:
        async with services.db.uow() as uow:
            seat, _meeting, _case = await _seat_for_token(uow, services, token, address, lock=True)
            expires_in = await issue_entry_code(uow, services, seat)
            assert expires_in is not None  # a guest seat always has its mobile
            return expires_in
    except NotFound:
        await count_failure(services, address)
        raise


@dataclass(frozen=True)
class GuestEntry:
    seat: MeetingSeat
    meeting: Meeting
    token: str
    expires_at: datetime


async def enter_with_code(services: Services, token: str, code: str, address: str) -> GuestEntry:
    """The right code spends the link, counts as the guest's entry identity check (L2) and
    yields a room token for its seat, all in one transaction.

    A wrong code is counted (the code dies after its allowed tries) and
    refused with 400; the link stays usable until a right code spends it.
    """
    from odr.meetings.access import token_for_seat

    entry = None
    try:
        async with services.db.uow() as uow:
            seat, meeting, _case = await _seat_for_token(uow, services, token, address, lock=True)
            if await check_entry_code(uow, services, seat, code):
                seat.invite_used_at = services.clock.now()
                await record(uow, services.clock, action="meeting.guest_link_used",
                             actor_label=seat.display_name, subject_type="meeting_seat",
                             subject_id=seat.id, data={"meeting_id": meeting.id})
                room_token, expires, _required = await token_for_seat(uow, services, meeting, seat)
                entry = GuestEntry(seat, meeting, room_token, expires)
    except NotFound:
        await count_failure(services, address)
        raise
    if entry is None:
        raise BadRequest("the code is wrong or expired: request a new one", code="code_wrong")
    return entry


def guest_seat_expired(meeting: Meeting, now: datetime) -> bool:
    return meeting.ends_at <= now
