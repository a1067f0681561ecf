"""The public progress query (L3): issued at acceptance, progress fields only, throttled."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseParty
from odr.cases.transitions import Who, load_case_for_update, transition
from odr.clock import ManualClock
from odr.meetings.queries import next_session_at
from odr.orgs.models import Institution
from odr.services import Services
from tests.cases.messages.support import World, add_agent, make_world, notices, party_of
from tests.factories import make_meeting, make_user, sign_in

PROGRESS_KEYS = {
    "case_number", "status", "status_label", "submitted_at", "accepted_at",
    "mediation_started_at", "closed_at", "institution_name", "mediator_name", "next_session_at",
}


async def accept(services: Services, case_id: int) -> None:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        case.accepted_at = services.clock.now()
        await transition(uow, services, case, CaseEventKind.ACCEPT, Who.system("reviewer"))


async def passwords_sent(services: Services) -> dict[str, str]:
    """mobile -> the latest query password sent to it by SMS."""
    return {
        p["recipient"]: p["context"]["password"]
        for p in await notices(services, "case_query_password")
    }


async def accepted_world(services: Services) -> World:
    world = await make_world(services, status="under_review")
    await accept(services, world.case.id)
    return world


async def query(client: httpx.AsyncClient, number: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/progress-query",
                             json={"case_number": number, "password": password})


async def test_acceptance_sends_each_party_its_own_password_and_stores_only_a_hash_L3(
    services: Services,
) -> None:
    world = await accepted_world(services)
    sent = await passwords_sent(services)
    assert set(sent) == {world.applicant.mobile, world.respondent.mobile}
    assert sent[world.applicant.mobile] != sent[world.respondent.mobile]
    for user in (world.applicant, world.respondent):
        party = await party_of(services, world.case.id, user)
        assert party.query_password_hash and sent[party.mobile].replace("-", "") not in (
            party.query_password_hash
        )
    async with services.db.reader() as uow:
        issued = (await uow.session.execute(
            select(AuditEntry.data).where(AuditEntry.action == "case.query_password_issued")
        )).scalars().all()
    assert len(issued) == 2 and all(d["reason"] == "accepted" for d in issued)
    assert not any(sent[world.applicant.mobile] in str(d) for d in issued)


async def test_query_shows_progress_fields_only_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    password = (await passwords_sent(services))[world.respondent.mobile]
    response = await query(client, world.case.number, password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == PROGRESS_KEYS
    async with services.db.reader() as uow:
        institution = await uow.session.get(Institution, world.institution_id)
        case = await uow.session.get(Case, world.case.id)
        assert institution is not None and case is not None
    assert body["case_number"] == world.case.number
    assert (body["status"], body["status_label"]) == ("accepted", "已受理")
    assert body["institution_name"] == institution.name_zh
    assert body["mediator_name"] == world.mediator.real_name
    assert body["accepted_at"] is not None and body["closed_at"] is None
    assert body["next_session_at"] is None  # nothing scheduled yet
    text = response.text
    for secret in (world.applicant.real_name, world.respondent.real_name, world.applicant.mobile,
                   case.title, str(case.claim_amount_fen)):
        assert secret not in text


async def test_next_session_is_the_earliest_meeting_not_yet_over_L3(services: Services) -> None:
    world = await make_world(services)
    now = services.clock.now()
    async with services.db.reader() as uow:
        assert await next_session_at(uow.session, world.case.id, now) is None
    later = await make_meeting(services, world.case, host=world.mediator, starts_in=timedelta(days=3))
    sooner = await make_meeting(services, world.case, host=world.mediator, starts_in=timedelta(days=1))
    await make_meeting(services, world.case, host=world.mediator, starts_in=timedelta(hours=2),
                       status="cancelled")
    async with services.db.reader() as uow:
        assert await next_session_at(uow.session, world.case.id, now) == sooner.meeting.starts_at
        # once that one is over, the next
        after = sooner.meeting.ends_at + timedelta(minutes=1)
        assert await next_session_at(uow.session, world.case.id, after) == later.meeting.starts_at


async def test_wrong_password_and_unknown_case_answer_identically_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    wrong = await query(client, world.case.number, "ZZZZ-ZZZZ")
    unknown = await query(client, "TEST-2026-99999", "ZZZZ-ZZZZ")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "no_match"
    assert dict(wrong.headers).keys() == dict(unknown.headers).keys()


async def test_case_without_issued_passwords_never_matches_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services, status="submitted")
    response = await query(client, world.case.number, "")
    assert response.status_code == 422
    response = await query(client, world.case.number, "ABCD-2345")
    assert response.status_code == 404


async def test_wrong_passwords_are_throttled_per_case_number_with_retry_after_L3(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await accepted_world(services)
    password = (await passwords_sent(services))[world.applicant.mobile]
    limit = services.settings.login_max_failures_per_account
    for _ in range(limit):
        assert (await query(client, world.case.number, "ZZZZ-ZZZZ")).status_code == 404
    blocked = await query(client, world.case.number, password)  # even the right one waits
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == services.settings.login_window_minutes * 60
    assert blocked.json()["error"]["details"]["scope"] == "case_number"
    # an unknown number locks the same way (no enumeration through the throttle)
    for _ in range(limit):
        await query(client, "TEST-2026-99999", "ZZZZ-ZZZZ")
    assert (await query(client, "TEST-2026-99999", "ZZZZ-ZZZZ")).status_code == 429
    async with services.db.reader() as uow:
        lockouts = (await uow.session.execute(
            select(AuditEntry.subject_id).where(AuditEntry.action == "progress.lockout")
        )).scalars().all()
    assert sorted(lockouts) == sorted([world.case.number.upper(), "TEST-2026-99999"])
    clock.advance(minutes=services.settings.login_window_minutes, seconds=1)
    assert (await query(client, world.case.number, password)).status_code == 200


async def test_wrong_passwords_are_throttled_per_address_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    password = (await passwords_sent(services))[world.applicant.mobile]
    limit = services.settings.login_max_failures_per_address
    for n in range(limit):
        assert (await query(client, f"TEST-2026-{90000 + n}", "ZZZZ-ZZZZ")).status_code == 404
    blocked = await query(client, world.case.number, password)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["details"]["scope"] == "address"
    assert "Retry-After" in blocked.headers


async def test_a_party_resets_its_password_and_the_old_one_stops_working_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    old = (await passwords_sent(services))[world.applicant.mobile]
    other_side = (await passwords_sent(services))[world.respondent.mobile]
    await sign_in(client, services, world.applicant)
    response = await client.post(f"/api/v1/cases/{world.case.id}/query-password/reset")
    assert response.status_code == 200, response.text
    assert response.json()["sent_to"].endswith(world.applicant.mobile[-4:])
    assert "*" in response.json()["sent_to"]
    new = (await passwords_sent(services))[world.applicant.mobile]
    assert new != old
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with anonymous:
        assert (await query(anonymous, world.case.number, old)).status_code == 404
        assert (await query(anonymous, world.case.number, new)).status_code == 200
        assert (await query(anonymous, world.case.number, other_side)).status_code == 200
    async with services.db.reader() as uow:
        reasons = (await uow.session.execute(
            select(AuditEntry.data["reason"].as_string(), AuditEntry.actor_id)
            .where(AuditEntry.action == "case.query_password_issued")
            .order_by(AuditEntry.seq)
        )).all()
    assert reasons[-1] == ("reset", world.applicant.id)


async def test_an_agent_resets_its_principals_password_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    agent = await make_user(services, "agent", password=None)
    await add_agent(services, world.case.id, world.respondent, agent)
    before = (await passwords_sent(services))[world.respondent.mobile]
    await sign_in(client, services, agent)
    response = await client.post(f"/api/v1/cases/{world.case.id}/query-password/reset")
    assert response.status_code == 200, response.text
    assert (await passwords_sent(services))[world.respondent.mobile] != before


async def test_only_a_verified_party_of_an_accepted_case_resets_L3(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await accepted_world(services)
    unverified = await make_user(services, "party", password=None, identity_level="none")
    for user in (world.outsider, world.mediator, world.admin, world.judge, unverified):
        await sign_in(client, services, user)
        response = await client.post(f"/api/v1/cases/{world.case.id}/query-password/reset")
        assert response.status_code == 403, (user.role, response.text)
    fresh = await make_world(services, status="under_review")
    await sign_in(client, services, fresh.applicant)
    response = await client.post(f"/api/v1/cases/{fresh.case.id}/query-password/reset")
    assert response.status_code == 403
    assert "accepted" in response.json()["error"]["message"]
    async with services.db.reader() as uow:
        hashes = (await uow.session.execute(
            select(CaseParty.query_password_hash).where(CaseParty.case_id == fresh.case.id)
        )).scalars().all()
    assert hashes == [None, None]
    client.cookies.clear()
    response = await client.post(f"/api/v1/cases/{world.case.id}/query-password/reset")
    assert response.status_code == 401


async def test_the_query_audits_a_disclosure(services: Services, client: httpx.AsyncClient,
                                             clock: ManualClock) -> None:
    world = await accepted_world(services)
    password = (await passwords_sent(services))[world.applicant.mobile]
    clock.advance(timedelta(minutes=1))
    assert (await query(client, world.case.number, password)).status_code == 200
    async with services.db.reader() as uow:
        entry = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.progress_queried")
        )).scalar_one()
    assert entry.subject_id == str(world.case.id)


async def test_sent_passwords_do_not_stay_readable_in_stored_messages_L3(
    services: Services, clock: ManualClock
) -> None:
    from odr.outbox.models import OutboxMessage
    from odr.scrub import PASSWORD_REMOVED as REMOVED
    from odr.scrub import scrub_sent_query_passwords
    from tests.support.notify import deliver_pending, sent_messages

    world = await accepted_world(services)
    password = (await passwords_sent(services))[world.applicant.mobile]
    await deliver_pending(services)
    [sms] = await sent_messages(services, recipient=world.applicant.mobile,
                                template="case_query_password")
    assert password in sms.body and world.case.number in sms.body
    assert await scrub_sent_query_passwords(services) == 0  # just sent: kept for now
    clock.advance(hours=2)
    assert await scrub_sent_query_passwords(services) == 4  # two SMS, two outbox payloads
    [sms] = await sent_messages(services, recipient=world.applicant.mobile,
                                template="case_query_password")
    assert sms.body == REMOVED and "password" not in sms.context
    async with services.db.reader() as uow:
        payloads = (await uow.session.execute(select(OutboxMessage.payload))).scalars().all()
    assert all(password not in str(p) for p in payloads)
    assert await scrub_sent_query_passwords(services) == 0
