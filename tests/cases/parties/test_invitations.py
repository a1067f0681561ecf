"""Respondent invitations: SMS link, summary, claim by identity, the answer and its deadline (L8)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.cases.intake.notice import current_notice
from odr.cases.lifecycle import EndGround
from odr.cases.models import (
    CaseEvent,
    CaseParticipant,
    CaseParty,
    Consent,
    Deadline,
    DeadlineStatus,
)
from odr.cases.parties.invitations import respondents_all_agreed
from odr.cases.parties.models import RespondentInvitation
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.parties.support import (
    accepted_world,
    add_unlinked_respondent,
    answer_body,
    as_user,
    invitation_token,
    load_case,
    sms_messages,
    user_with_doc,
)
from tests.factories import make_user


async def _events(services: Services, case_id: int) -> list[str]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )).scalars())


async def test_acceptance_invites_each_unlinked_respondent_by_sms_with_a_reply_deadline_L8(
    services: Services,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    async with services.db.reader() as uow:
        invitation = (await uow.session.execute(select(RespondentInvitation))).scalar_one()
        deadline = (await uow.session.execute(select(Deadline).where(
            Deadline.kind == "respondent_reply"))).scalar_one()
    assert invitation.token_hash is not None and token not in invitation.token_hash  # hash only
    assert invitation.channel == "sms" and invitation.claimed_at is None
    assert (deadline.subject_type, deadline.subject_id) == ("case_party", world.respondent_party_id)
    assert deadline.rule == "L8" and deadline.length_days == services.settings.respondent_reply_days
    assert invitation.expires_at == deadline.due_at
    sms = (await sms_messages(services, "respondent_invitation"))[0]
    assert sms["channel"] == "sms" and sms["recipient"] == world.respondent_mobile
    assert sms["context"]["due"] == f"{deadline.last_day:%Y-%m-%d} 24:00"
    assert "respondent_invited" in await _events(services, world.case_id)


async def test_a_respondent_with_an_account_is_asked_in_app_L8(services: Services) -> None:
    respondent = await make_user(services, "party")
    world = await accepted_world(services, respondent=respondent)
    assert await sms_messages(services, "respondent_invitation") == []
    asked = await sms_messages(services, "respondent_question")
    assert [(m["channel"], m["recipient"]) for m in asked] == [("inapp", str(respondent.id))]
    async with services.db.reader() as uow:
        invitation = (await uow.session.execute(select(RespondentInvitation))).scalar_one()
    assert invitation.channel == "inapp" and invitation.token_hash is None
    assert invitation.party_id == world.respondent_party_id


async def test_the_link_shows_a_summary_only_L3(services: Services, client: httpx.AsyncClient) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    response = await client.get(f"/api/v1/invitations/{token}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"side", "case_number", "applicant_names", "category", "claim_amount_fen",
                         "due_at", "last_day", "notice_version"}
    assert body["applicant_names"] == [world.applicant.real_name]
    assert body["notice_version"] == current_notice().version
    text = response.text
    for secret in (world.respondent_doc, world.respondent_mobile, "测试路"):
        assert secret not in text


async def test_guessing_links_is_throttled_per_address_L3(
    services: Services, client: httpx.AsyncClient, clock: ManualClock,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    for i in range(services.settings.invitation_max_failures_per_address):
        wrong = await client.get(f"/api/v1/invitations/{'x' * 40}{i}")
        assert wrong.status_code == 404
    blocked = await client.get(f"/api/v1/invitations/{token}")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["details"]["retry_after"] > 0
    clock.advance(minutes=services.settings.invitation_failure_window_minutes + 1)
    assert (await client.get(f"/api/v1/invitations/{token}")).status_code == 200


async def test_claim_links_the_verified_user_whose_id_matches_L2(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    me = await user_with_doc(services, world.respondent_doc)
    await as_user(client, services, me)
    assert (await client.get(f"/api/v1/cases/{world.case_id}")).status_code == 403
    response = await client.post(f"/api/v1/invitations/{token}/claim")
    assert response.status_code == 200, response.text
    assert response.json() == {"case_id": world.case_id, "party_id": world.respondent_party_id,
                               "side": "respondent"}
    assert (await client.get(f"/api/v1/cases/{world.case_id}")).status_code == 200
    async with services.db.reader() as uow:
        party = await uow.session.get(CaseParty, world.respondent_party_id)
        assert party is not None and party.user_id == me.id
    used = await client.post(f"/api/v1/invitations/{token}/claim")
    assert used.status_code == 410 and used.json()["error"]["code"] == "invitation_used"
    assert (await client.get(f"/api/v1/invitations/{token}")).status_code == 410


async def test_claim_with_another_id_is_refused_and_changes_nothing_L2(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    stranger = await make_user(services, "party")
    await as_user(client, services, stranger)
    response = await client.post(f"/api/v1/invitations/{token}/claim")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "identity_mismatch"
    assert "does not match" in response.json()["error"]["message"]
    async with services.db.reader() as uow:
        party = await uow.session.get(CaseParty, world.respondent_party_id)
        assert party is not None and party.user_id is None
        roles = (await uow.session.execute(select(CaseParticipant.user_id).where(
            CaseParticipant.case_id == world.case_id))).scalars().all()
        audit = (await uow.session.execute(select(AuditEntry.action).where(
            AuditEntry.action == "invitation.claim_refused"))).scalars().all()
    assert stranger.id not in roles and audit == ["invitation.claim_refused"]
    # The link still works for the right person.
    assert (await client.get(f"/api/v1/invitations/{token}")).status_code == 200


async def test_claim_needs_a_verified_identity_L2(services: Services, client: httpx.AsyncClient) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    unverified = await user_with_doc(services, world.respondent_doc, identity_level="none")
    await as_user(client, services, unverified)
    response = await client.post(f"/api/v1/invitations/{token}/claim")
    assert response.status_code == 403
    assert "verify your identity" in response.json()["error"]["message"]


async def test_expired_and_unknown_links_L8(
    services: Services, client: httpx.AsyncClient, clock: ManualClock,
) -> None:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    me = await user_with_doc(services, world.respondent_doc)
    await as_user(client, services, me)
    assert (await client.post(f"/api/v1/invitations/{'y' * 43}/claim")).status_code == 404
    clock.advance(days=services.settings.respondent_reply_days + 3)
    expired = await client.get(f"/api/v1/invitations/{token}")
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "invitation_expired"
    await as_user(client, services, me)  # a new session: the first one timed out meanwhile
    assert (await client.post(f"/api/v1/invitations/{token}/claim")).status_code == 410


async def _claimed(services: Services, client: httpx.AsyncClient) -> tuple[int, int]:
    world = await accepted_world(services)
    token = await invitation_token(services, world.respondent_mobile)
    me = await user_with_doc(services, world.respondent_doc)
    await as_user(client, services, me)
    assert (await client.post(f"/api/v1/invitations/{token}/claim")).status_code == 200
    return world.case_id, world.respondent_party_id


async def test_agreeing_records_consent_by_sms_link_and_meets_the_deadline_L8_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    case_id, party_id = await _claimed(services, client)
    async with services.db.reader() as uow:
        assert not await respondents_all_agreed(uow, case_id)
    response = await client.post(f"/api/v1/cases/{case_id}/respondent-answer",
                                 json=answer_body("agree"))
    assert response.status_code == 200, response.text
    assert response.json() == {"party_id": party_id, "decision": "agree", "status": "accepted",
                               "all_agreed": True}
    async with services.db.reader() as uow:
        consent = (await uow.session.execute(select(Consent).where(
            Consent.party_id == party_id))).scalar_one()
        deadline = (await uow.session.execute(select(Deadline).where(
            Deadline.kind == "respondent_reply"))).scalar_one()
        assert await respondents_all_agreed(uow, case_id)
    assert (consent.stage, consent.decision, consent.channel) == ("mediation_online", "agree", "sms_link")
    assert consent.notice_version == current_notice().version
    assert deadline.status == DeadlineStatus.MET
    assert "respondent_agreed" in await _events(services, case_id)
    again = await client.post(f"/api/v1/cases/{case_id}/respondent-answer",
                              json=answer_body("refuse"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    assert (await load_case(services, case_id)).status == "accepted"


async def test_refusing_ends_the_mediation_L8(services: Services, client: httpx.AsyncClient) -> None:
    case_id, _party_id = await _claimed(services, client)
    response = await client.post(f"/api/v1/cases/{case_id}/respondent-answer",
                                 json=answer_body("refuse", reason="已起诉"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "failed"
    case = await load_case(services, case_id)
    assert case.end_ground == EndGround.RESPONDENT_REFUSED and "已起诉" in (case.end_reasons or "")
    async with services.db.reader() as uow:
        consent = (await uow.session.execute(select(Consent))).scalar_one()
        live = (await uow.session.execute(select(Deadline).where(
            Deadline.status.in_(("open", "paused"))))).scalars().all()
    assert consent.decision == "refuse" and live == []
    late = await client.post(f"/api/v1/cases/{case_id}/respondent-answer", json=answer_body("agree"))
    assert late.status_code == 403 and "(failed)" in late.json()["error"]["message"]


async def test_answer_needs_the_current_notice_L1(services: Services, client: httpx.AsyncClient) -> None:
    case_id, _ = await _claimed(services, client)
    response = await client.post(f"/api/v1/cases/{case_id}/respondent-answer",
                                 json=answer_body("agree", notice_version="1999-01"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "notice_outdated"
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(Consent))).first() is None


async def test_the_applicant_cannot_answer_for_the_respondent_L8(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world = await accepted_world(services)
    await as_user(client, services, world.applicant)
    response = await client.post(f"/api/v1/cases/{world.case_id}/respondent-answer",
                                 json=answer_body("refuse"))
    assert response.status_code == 403
    assert (await load_case(services, world.case_id)).status == "accepted"


async def test_silence_past_the_deadline_ends_the_mediation_L8(
    services: Services, clock: ManualClock,
) -> None:
    world = await accepted_world(services)
    clock.advance(days=services.settings.respondent_reply_days + 3)
    stats = await sweep_deadlines(services)
    assert stats.failed == 0
    case = await load_case(services, world.case_id)
    assert case.status == "failed" and case.end_ground == EndGround.RESPONDENT_NO_REPLY
    async with services.db.reader() as uow:
        invitation = (await uow.session.execute(select(RespondentInvitation))).scalar_one()
    assert invitation.answer == "no_reply" and invitation.closed_at is not None


async def test_every_respondent_must_agree_before_mediation_L8(
    services: Services, client: httpx.AsyncClient,
) -> None:
    first = await make_user(services, "party")
    world = await accepted_world(services, respondent=first, accept_now=False)
    await add_unlinked_respondent(services, world.case_id, name="第二被申请人")
    from tests.cases.parties.support import accept

    await accept(services, world.case_id, world.admin)
    await as_user(client, services, first)
    response = await client.post(f"/api/v1/cases/{world.case_id}/respondent-answer",
                                 json=answer_body("agree"))
    assert response.status_code == 200, response.text
    assert response.json()["all_agreed"] is False
    async with services.db.reader() as uow:
        assert not await respondents_all_agreed(uow, world.case_id)
        consent = (await uow.session.execute(select(Consent))).scalar_one()
    assert consent.channel == "web"


async def test_a_respondent_agent_answers_for_its_principal_L8(
    services: Services, client: httpx.AsyncClient,
) -> None:
    respondent = await make_user(services, "party")
    world = await accepted_world(services, respondent=respondent)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, respondent)
    granted = await client.post(f"/api/v1/cases/{world.case_id}/authorizations", json={
        "party_id": world.respondent_party_id, "agent_username": lawyer.username,
        "scopes": ["general"],
    })
    assert granted.status_code == 201, granted.text
    await as_user(client, services, lawyer)
    response = await client.post(f"/api/v1/cases/{world.case_id}/respondent-answer",
                                 json=answer_body("agree"))
    assert response.status_code == 200, response.text
    async with services.db.reader() as uow:
        consent = (await uow.session.execute(select(Consent))).scalar_one()
    assert consent.by_user_id == lawyer.id and consent.party_id == world.respondent_party_id


async def test_reaccepting_never_invites_twice(services: Services) -> None:
    world = await accepted_world(services)
    from odr.cases.parties.invitations import invite_respondents
    from odr.cases.transitions import load_case_for_update

    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, world.case_id)
        assert await invite_respondents(uow, services, case) == []
    assert len(await sms_messages(services, "respondent_invitation")) == 1
