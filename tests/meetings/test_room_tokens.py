"""Room tokens over HTTP: seated, verified (L2), address confirmed (L9), entry code by SMS."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from odr.accounts.models import IdentityLevel
from odr.meetings.entry import check_entry_code
from odr.meetings.models import MeetingSeat
from odr.meetings.tokens import verify_room_token
from odr.services import Services
from tests.factories import make_meeting, make_user
from tests.meetings.support import as_user, confirm_addresses, last_code, notices, world


async def test_a_seated_party_gets_a_token_for_its_seat_and_a_fresh_entry_code_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.applicant)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 200, r.text
    body = r.json()
    claims = verify_room_token(services.settings, services.clock.now(), body["token"])
    seat = made.seat_of(w.applicant)
    assert (claims.meeting_id, claims.seat_id, claims.user_id, claims.role) == (
        made.id, seat.id, w.applicant.id, "party")
    assert body["seat"]["id"] == seat.id and body["seat"]["you"] is True
    assert body["entry_code_required"] is True
    assert isinstance(body["ice_servers"], list)
    assert w.applicant.mobile is not None
    code = await last_code(services, w.applicant.mobile)
    # The room checks the code (signaling calls check_entry_code); a wrong one fails.
    async with services.db.uow() as uow:
        row = await uow.session.get(MeetingSeat, seat.id)
        assert row is not None
        assert await check_entry_code(uow, services, row, "000000" if code != "000000"
                                      else "111111") is False
        assert await check_entry_code(uow, services, row, code) is True
        assert row.entry_code_verified_at == services.clock.now()
    # Once verified for this meeting, a new token needs no second code.
    services.clock.advance(minutes=2)
    again = (await client.post(f"/api/v1/meetings/{made.id}/room-token")).json()
    assert again["entry_code_required"] is False


async def test_the_host_gets_a_host_token(client: httpx.AsyncClient, services: Services) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.mediator)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 200
    claims = verify_room_token(services.settings, services.clock.now(), r.json()["token"])
    assert claims.role == "host" and claims.seat_id == made.host_seat.id


async def test_no_token_without_a_verified_identity_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    async with services.db.uow() as uow:
        from odr.accounts.models import User

        user = await uow.session.get(User, w.applicant.id)
        assert user is not None
        user.identity_level = IdentityLevel.NONE
    await as_user(client, services, user)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 403 and "L2" in r.json()["error"]["message"]


async def test_no_token_for_a_meeting_one_has_no_seat_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    """A party seated in its own case's meeting gets nothing for another case's meeting; the
    token it holds names its own meeting and seat only."""
    w = await world(services)
    mine = await make_meeting(services, w.case)
    other = await world(services)
    theirs = await make_meeting(services, other.case)
    await as_user(client, services, w.applicant)
    assert (await client.post(f"/api/v1/meetings/{theirs.id}/room-token")).status_code == 403
    token = (await client.post(f"/api/v1/meetings/{mine.id}/room-token")).json()["token"]
    claims = verify_room_token(services.settings, services.clock.now(), token)
    assert claims.meeting_id == mine.id and claims.seat_id not in {s.id for s in theirs.seats}
    # Staff who hold no seat get no token either.
    await as_user(client, services, w.admin)
    assert (await client.post(f"/api/v1/meetings/{mine.id}/room-token")).status_code == 403


async def test_a_revoked_seat_gives_no_token(client: httpx.AsyncClient, services: Services) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    async with services.db.uow() as uow:
        row = await uow.session.get(MeetingSeat, made.seat_of(w.respondent).id)
        assert row is not None
        row.state = "removed"
    await as_user(client, services, w.respondent)
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 403


async def test_a_pre_filing_mediation_needs_the_address_confirmation_first_L9(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services, confirmed=False)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.applicant)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "service_address_unconfirmed" and "送达地址确认书" in error["message"]
    assert await notices(services, "otp_code") == []  # no code for a refused entry
    # The form filled in through the service part's endpoint is what counts.
    r = await client.post(f"/api/v1/cases/{w.case.id}/service-address",
                          json={"decision": "agree", "inapp": True})
    assert r.status_code in (200, 201), r.text
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 200
    # The mediator (no party) needs no form.
    await as_user(client, services, w.mediator)
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 200


async def test_an_entrusted_case_is_filed_already_so_no_address_form_is_asked_L9(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services, channel="entrusted", confirmed=False)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.respondent)
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 200


async def test_tokens_only_near_the_start_and_never_for_a_cancelled_meeting(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case, starts_in=timedelta(days=1))
    await as_user(client, services, w.applicant)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_early"
    services.clock.advance(hours=23, minutes=30)
    await as_user(client, services, w.applicant)  # the idle session expired meanwhile
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 200
    cancelled = await make_meeting(services, w.case, status="cancelled",
                                   starts_in=timedelta(minutes=10))
    assert (await client.post(f"/api/v1/meetings/{cancelled.id}/room-token")).status_code == 403


async def test_an_entry_code_is_resent_at_most_once_a_minute(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.respondent)
    assert (await client.post(f"/api/v1/meetings/{made.id}/room-token")).status_code == 200
    r = await client.post(f"/api/v1/meetings/{made.id}/entry-code")
    assert r.status_code == 429
    services.clock.advance(seconds=61)
    r = await client.post(f"/api/v1/meetings/{made.id}/entry-code")
    assert r.status_code == 200 and r.json()["sent"] is True
    codes = [p for p in await notices(services, "otp_code") if p["user_id"] == w.respondent.id]
    assert len(codes) == 2


@pytest.mark.parametrize("role", ["agent"])
async def test_an_agent_with_general_authority_is_seated_and_gets_a_token(
    client: httpx.AsyncClient, services: Services, role: str
) -> None:
    from odr.cases.models import AgentAuthorization, CaseParticipant, CaseParty

    w = await world(services)
    agent = await make_user(services, role, password=None)
    now = services.clock.now()
    async with services.db.uow() as uow:
        party = (await uow.session.execute(select(CaseParty).where(
            CaseParty.case_id == w.case.id, CaseParty.side == "respondent"))).scalar_one()
        uow.session.add(AgentAuthorization(case_id=w.case.id, party_id=party.id,
                                           agent_user_id=agent.id, scopes=["general"],
                                           valid_from=now, created_at=now))
        uow.session.add(CaseParticipant(case_id=w.case.id, user_id=agent.id, role="agent",
                                        party_id=party.id, created_at=now))
    made = await make_meeting(services, w.case)
    assert made.seat_of(agent).side == "respondent"
    await as_user(client, services, agent)
    r = await client.post(f"/api/v1/meetings/{made.id}/room-token")
    assert r.status_code == 200 and r.json()["seat"]["role"] == "agent"
    await confirm_addresses(services, w.case.id)  # nothing more to confirm
