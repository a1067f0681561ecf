"""Room tokens over HTTP: who may enter a meeting, and what they take with them.

A seated user the policy allows (identity verified, L2) gets a signed,
expiring, one-use room token for its seat (``odr.meetings.tokens``), plus a
fresh one-time entry code by SMS when the seat has not passed this meeting's
entry check yet. Before a mediation session of a case not yet filed with a
court, a party must have completed the service-address confirmation
(送达地址确认书, L9) — for an agent, each party it acts for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from odr.audit.chain import record
from odr.cases.models import Case, CaseChannel, CaseParty
from odr.cases.parties.authorizations import parties_acted_for
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden
from odr.eservice.addresses import latest_consent
from odr.meetings.entry import issue_entry_code, send_entry_code
from odr.meetings.models import Meeting, MeetingKind, MeetingSeat, SeatRole
from odr.meetings.queries import load_meeting
from odr.meetings.tokens import issue_room_token
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

# A token (and its entry code) is handed out from this long before the start: the lobby opens.
EARLY_ENTRY = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    meeting: Meeting
    seat: MeetingSeat
    entry_code_required: bool
    ice_servers: list[dict[str, Any]] | None


def ice_servers(services: Services, user_key: str) -> list[dict[str, Any]] | None:
    """STUN/TURN for the browser, when the RTC part is installed (None otherwise)."""
    try:
        from odr.rtc.ice import ice_servers_for
    except ImportError:  # pragma: no cover - the RTC part ships with the platform
        return None
    return ice_servers_for(services.settings, services.clock, user_key)


async def unconfirmed_parties(session: AsyncSession, case: Case, party_ids: set[int]
                              ) -> list[CaseParty]:
    """Parties among ``party_ids`` that never completed the address-confirmation form."""
    missing = []
    for party_id in sorted(party_ids):
        if await latest_consent(session, case.id, party_id) is None:
            party = await session.get(CaseParty, party_id)
            if party is not None:
                missing.append(party)
    return missing


async def require_address_confirmation(
    session: AsyncSession, case: Case, meeting: Meeting, seat: MeetingSeat, actor: Actor,
    now: datetime,
) -> None:
    """L9: before a pre-filing mediation session, the party's address confirmation is done."""
    if meeting.kind != MeetingKind.MEDIATION or case.channel == CaseChannel.ENTRUSTED:
        return  # an entrusted case is already filed with the court
    if seat.role not in (SeatRole.PARTY, SeatRole.AGENT):
        return
    missing = await unconfirmed_parties(
        session, case, await parties_acted_for(session, case.id, actor, now)
    )
    if missing:
        raise Conflict(
            "before a mediation session, complete the service-address confirmation "
            "(送达地址确认书) for: " + ", ".join(p.name for p in missing)
            + f" — POST /api/v1/cases/{case.id}/service-address (L9)",
            code="service_address_unconfirmed",
            details={"party_ids": [p.id for p in missing]},
        )


def refuse_too_early(meeting: Meeting, now: datetime) -> None:
    if now < meeting.starts_at - EARLY_ENTRY:
        opens = meeting.starts_at - EARLY_ENTRY
        raise Conflict(
            f"the meeting room opens one hour before the start ({opens.isoformat()})",
            code="too_early", details={"opens_at": opens.isoformat()},
        )


async def token_for_seat(uow: UnitOfWork, services: Services, meeting: Meeting,
                         seat: MeetingSeat) -> tuple[str, datetime, bool]:
    """Sign a token for ``seat``; send an entry code if its entry check is still to do."""
    now = services.clock.now()
    token, expires = issue_room_token(
        services.settings, now, meeting_id=meeting.id, seat_id=seat.id, user_id=seat.user_id,
        role=seat.role,
    )
    required = seat.entry_code_verified_at is None
    if required:
        await send_entry_code(uow, services, seat)
    await record(uow, services.clock, action="meeting.room_token_issued", actor_id=seat.user_id,
                 actor_label=seat.display_name, subject_type="meeting_seat", subject_id=seat.id,
                 data={"meeting_id": meeting.id, "role": seat.role,
                       "expires_at": expires.isoformat()})
    return token, expires, required


async def room_token(services: Services, actor: Actor, meeting_id: int) -> IssuedToken:
    now = services.clock.now()
    async with services.db.uow() as uow:
        meeting, case, view, seats = await load_meeting(uow, meeting_id, now)
        authorize(actor, Permission.MEETING_ROOM_TOKEN, view)
        seat = next((s for s in seats if s.user_id == actor.user_id), None)
        if seat is None:  # pragma: no cover - the policy checked the seat
            raise Forbidden("you have no seat in this meeting")
        refuse_too_early(meeting, now)
        await require_address_confirmation(uow.session, case, meeting, seat, actor, now)
        token, expires, required = await token_for_seat(uow, services, meeting, seat)
    return IssuedToken(token, expires, meeting, seat, required,
                       ice_servers(services, f"u{actor.user_id}"))


async def resend_entry_code(services: Services, actor: Actor, meeting_id: int) -> int | None:
    """A fresh entry code for the caller's seat: seconds until it expires (None: none due).

    429 while the mobile's sending limit holds (the earlier code stays valid).
    """
    now = services.clock.now()
    async with services.db.uow() as uow:
        meeting, _case, view, seats = await load_meeting(uow, meeting_id, now)
        authorize(actor, Permission.MEETING_ROOM_TOKEN, view)
        seat = next(s for s in seats if s.user_id == actor.user_id)
        refuse_too_early(meeting, now)
        if seat.entry_code_verified_at is not None:
            return None
        return await issue_entry_code(uow, services, seat)
