"""Guests (witness, interpreter): one-time link by SMS, a code to their mobile, a room token."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from odr.meetings.entry import check_entry_code, send_entry_code
from odr.meetings.models import MeetingSeat
from odr.meetings.tokens import verify_room_token
from odr.services import Services
from tests.factories import make_meeting, resident_id
from tests.meetings.support import as_user, audit_actions, last_code, notices, world

GUEST_MOBILE = "13712345678"


async def _invite(client: httpx.AsyncClient, services: Services, meeting_id: int,
                  **kw: str) -> tuple[int, str]:
    """The host invites a witness; returns the seat id and the token of the SMS link."""
    body = {"role": "witness", "name": "证人赵六", "mobile": GUEST_MOBILE, **kw}
    r = await client.post(f"/api/v1/meetings/{meeting_id}/guests", json=body)
    assert r.status_code == 201, r.text
    sent = [p for p in await notices(services, "meeting_guest_invitation")
            if p["recipient"] == GUEST_MOBILE]
    link: str = sent[-1]["context"]["link"]
    assert link.startswith(services.settings.public_base_url + "/meeting-invite/")
    return r.json()["id"], link.rsplit("/", 1)[1]


async def test_a_guest_link_works_once_and_its_code_is_the_entry_check_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    await as_user(client, services, w.mediator)
    doc = resident_id(4242)
    seat_id, token = await _invite(client, services, made.id, id_doc_type="resident_id",
                                   id_doc_number=doc)
    # Mobile and ID are stored encrypted; the link's token only as a hash.
    async with services.db.reader() as uow:
        seat = await uow.session.get(MeetingSeat, seat_id)
        assert seat is not None and seat.user_id is None and seat.role == "witness"
        assert seat.guest_mobile_encrypted and GUEST_MOBILE.encode() not in seat.guest_mobile_encrypted
        assert seat.guest_id_doc_encrypted and doc.encode() not in seat.guest_id_doc_encrypted
        assert seat.invite_token_hash and token not in seat.invite_token_hash
    # The guest appears among the seats; nobody sees its mobile.
    detail = (await client.get(f"/api/v1/meetings/{made.id}")).json()
    guest = next(s for s in detail["seats"] if s["id"] == seat_id)
    assert guest["guest"] is True and guest["invite_used"] is False
    assert GUEST_MOBILE not in str(detail) and doc not in str(detail)

    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    link = f"/api/v1/meeting-invitations/{token}"
    summary = await client.get(link)
    assert summary.status_code == 200
    assert summary.json()["case_title"] == w.case.title
    assert summary.json()["mobile_masked"] == "137****5678"
    assert set(summary.json()) == {"starts_at", "ends_at", "case_title", "mobile_masked"}
    r = await client.post(f"{link}/code")
    assert r.status_code == 200 and r.json()["sent"] is True
    code = await last_code(services, GUEST_MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    r = await client.post(f"{link}/enter", json={"code": wrong})
    assert r.status_code == 400
    r = await client.post(f"{link}/enter", json={"code": code})
    assert r.status_code == 200, r.text
    body = r.json()
    claims = verify_room_token(services.settings, services.clock.now(), body["token"])
    assert (claims.meeting_id, claims.seat_id, claims.user_id, claims.role) == (
        made.id, seat_id, None, "witness")
    assert body["entry_code_required"] is False
    async with services.db.reader() as uow:
        seat = await uow.session.get(MeetingSeat, seat_id)
        assert seat is not None and seat.entry_code_verified_at is not None
        assert seat.invite_used_at is not None
    # Used once: the link now answers 410 everywhere.
    for method, path in (("GET", link), ("POST", f"{link}/code")):
        r = await client.request(method, path)
        assert r.status_code == 410 and r.json()["error"]["code"] == "invite_used"
    r = await client.post(f"{link}/enter", json={"code": code})
    assert r.status_code == 410
    assert {"meeting.guest_invited", "meeting.guest_link_used"} <= set(
        await audit_actions(services))


async def test_wrong_links_are_refused_and_throttled(
    client: httpx.AsyncClient, services: Services
) -> None:
    r = await client.get("/api/v1/meeting-invitations/not-a-real-link-token-at-all")
    assert r.status_code == 404 and r.json()["error"]["code"] == "invite_unknown"
    assert (await client.get("/api/v1/meeting-invitations/x")).status_code == 404
    for _ in range(services.settings.invitation_max_failures_per_address):
        await client.post("/api/v1/meeting-invitations/guessed-token-guessed-token/code")
    assert (await client.get("/api/v1/meeting-invitations/another-guess-xxxxxxxxxx")).status_code == 429


async def test_a_link_expires_with_its_meeting_and_dies_when_cancelled(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case, guests=(("interpreter", "翻译", GUEST_MOBILE),))
    cancelled = await make_meeting(services, w.case, status="cancelled",
                                   starts_in=timedelta(days=2),
                                   guests=(("witness", "证人", "13700000001"),))
    (token,) = made.guest_tokens.values()
    (dead,) = cancelled.guest_tokens.values()
    r = await client.get(f"/api/v1/meeting-invitations/{dead}")
    assert r.status_code == 410 and r.json()["error"]["code"] == "meeting_cancelled"
    assert (await client.get(f"/api/v1/meeting-invitations/{token}")).status_code == 200
    services.clock.advance(hours=2)
    r = await client.get(f"/api/v1/meeting-invitations/{token}")
    assert r.status_code == 410 and r.json()["error"]["code"] == "invite_expired"


async def test_only_the_host_invites_guests(client: httpx.AsyncClient, services: Services) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    body = {"role": "witness", "name": "证人", "mobile": GUEST_MOBILE}
    for user in (w.applicant, w.outsider, w.admin):
        await as_user(client, services, user)
        assert (await client.post(f"/api/v1/meetings/{made.id}/guests", json=body)).status_code == 403
    await as_user(client, services, w.mediator)
    bad = {**body, "mobile": "12345"}
    assert (await client.post(f"/api/v1/meetings/{made.id}/guests", json=bad)).status_code == 422
    bad_doc = {**body, "id_doc_type": "resident_id", "id_doc_number": "123"}
    assert (await client.post(f"/api/v1/meetings/{made.id}/guests", json=bad_doc)).status_code == 422


async def test_a_guests_entry_code_goes_to_the_guest_mobile(services: Services) -> None:
    """``send_entry_code``/``check_entry_code`` as the room calls them, for a guest seat (L2)."""
    w = await world(services)
    made = await make_meeting(services, w.case, guests=(("witness", "证人", GUEST_MOBILE),))
    guest = made.seats[-1]
    async with services.db.uow() as uow:
        seat = (await uow.session.execute(select(MeetingSeat).where(
            MeetingSeat.id == guest.id))).scalar_one()
        await send_entry_code(uow, services, seat)
        await send_entry_code(uow, services, seat)  # throttled: the first code stays valid
    sent = [p for p in await notices(services, "otp_code") if p["recipient"] == GUEST_MOBILE]
    assert len(sent) == 1 and sent[0]["user_id"] is None
    async with services.db.uow() as uow:
        seat = (await uow.session.execute(select(MeetingSeat).where(
            MeetingSeat.id == guest.id))).scalar_one()
        assert await check_entry_code(uow, services, seat, sent[0]["context"]["code"]) is True
        assert await check_entry_code(uow, services, seat, sent[0]["context"]["code"]) is False


async def test_the_host_renews_a_spent_link_and_the_old_one_stops_working(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case, guests=(("witness", "证人", GUEST_MOBILE),))
    ((seat_id, old),) = made.guest_tokens.items()
    assert (await client.get(f"/api/v1/meeting-invitations/{old}")).status_code == 200
    url = f"/api/v1/meetings/{made.id}/guests/{seat_id}/link"
    await as_user(client, services, w.applicant)
    assert (await client.post(url)).status_code == 403
    await as_user(client, services, w.mediator)
    party_seat = made.seat_of(w.applicant).id
    assert (await client.post(f"/api/v1/meetings/{made.id}/guests/{party_seat}/link")
            ).status_code == 404
    assert (await client.post(url)).status_code == 200
    (sent,) = await notices(services, "meeting_guest_invitation")
    new = sent["context"]["link"].rsplit("/", 1)[1]
    client.cookies.clear()
    assert (await client.get(f"/api/v1/meeting-invitations/{old}")).status_code == 404
    assert (await client.get(f"/api/v1/meeting-invitations/{new}")).status_code == 200
    assert "meeting.guest_link_renewed" in await audit_actions(services)
