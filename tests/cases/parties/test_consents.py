"""Consents per party and per stage, and the switch to offline handling (L1)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.audit.models import AuditEntry
from odr.cases.models import Case, CaseEvent, CaseParty, Consent, ConsentDecision, ConsentStage
from odr.services import Services
from tests.cases.parties.support import (
    World,
    accepted_world,
    answer_body,
    as_user,
    load_case,
    sms_messages,
)
from tests.factories import make_case, make_user


async def _agreed_world(services: Services, client: httpx.AsyncClient) -> tuple[World, User]:
    """An accepted case whose applicant consented at filing and whose respondent agreed."""
    respondent = await make_user(services, "party")
    world = await accepted_world(services, respondent=respondent)
    party_id = await _applicant_party(services, world.case_id)
    async with services.db.uow() as uow:
        uow.session.add(Consent(  # what intake records for an online filing
            case_id=world.case_id, party_id=party_id, stage=ConsentStage.MEDIATION_ONLINE,
            decision=ConsentDecision.AGREE, channel="web", by_user_id=world.applicant.id,
            at=services.clock.now(),
        ))
    await as_user(client, services, respondent)
    answered = await client.post(f"/api/v1/cases/{world.case_id}/respondent-answer",
                                 json=answer_body("agree"))
    assert answered.status_code == 200, answered.text
    return world, respondent


async def _applicant_party(services: Services, case_id: int) -> int:
    async with services.db.reader() as uow:
        return (await uow.session.execute(select(CaseParty.id).where(
            CaseParty.case_id == case_id, CaseParty.side == "applicant"))).scalar_one()


async def test_participants_and_staff_see_each_partys_latest_consent_with_time_and_channel_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _respondent = await _agreed_world(services, client)
    for viewer in (world.applicant, world.admin):
        await as_user(client, services, viewer)
        response = await client.get(f"/api/v1/cases/{world.case_id}/consents")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["online"] is True and body["awaiting_answer"] == []
        assert sorted((i["side"], i["stage"], i["decision"], i["channel"]) for i in body["items"]) == [
            ("applicant", "mediation_online", "agree", "web"),
            ("respondent", "mediation_online", "agree", "web"),
        ]
        assert all(i["at"] for i in body["items"])
    for outsider in (world.other_admin, await make_user(services, "party")):
        await as_user(client, services, outsider)
        assert (await client.get(f"/api/v1/cases/{world.case_id}/consents")).status_code == 403


async def test_consent_to_mediate_online_is_not_consent_to_a_hearing_online_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _ = await _agreed_world(services, client)
    applicant_party = await _applicant_party(services, world.case_id)
    await as_user(client, services, world.applicant)
    stages = {(i["party_id"], i["stage"]) for i in
              (await client.get(f"/api/v1/cases/{world.case_id}/consents")).json()["items"]}
    assert (applicant_party, "hearing_online") not in stages
    response = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": applicant_party, "stage": "hearing_online", "decision": "refuse",
        "reason": "希望到庭",
    })
    assert response.status_code == 201, response.text
    assert response.json()["online"] is True  # refusing a hearing online leaves mediation online
    items = (await client.get(f"/api/v1/cases/{world.case_id}/consents")).json()["items"]
    mine = {i["stage"]: i["decision"] for i in items if i["party_id"] == applicant_party}
    assert mine == {"mediation_online": "agree", "hearing_online": "refuse"}
    assert (await load_case(services, world.case_id)).online is True


async def test_withdrawing_online_consent_switches_the_case_offline_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _ = await _agreed_world(services, client)
    applicant_party = await _applicant_party(services, world.case_id)
    await as_user(client, services, world.applicant)
    no_reason = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": applicant_party, "stage": "mediation_online", "decision": "withdraw",
    })
    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "reason_required"
    assert (await load_case(services, world.case_id)).online is True
    response = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": applicant_party, "stage": "mediation_online", "decision": "withdraw",
        "reason": "网络条件不足，希望线下调解",
    })
    assert response.status_code == 201, response.text
    assert response.json()["online"] is False
    case: Case = await load_case(services, world.case_id)
    assert case.online is False and "网络条件不足" in (case.offline_reason or "")
    async with services.db.reader() as uow:
        events = (await uow.session.execute(select(CaseEvent.kind).where(
            CaseEvent.case_id == world.case_id))).scalars().all()
        audit = (await uow.session.execute(select(AuditEntry.action).where(
            AuditEntry.action == "case.switched_offline"))).scalars().all()
    assert "switched_offline" in events and audit == ["case.switched_offline"]
    told = await sms_messages(services, "case_switched_offline")
    assert str(world.admin.id) in {m["recipient"] for m in told}
    listed = (await client.get(f"/api/v1/cases/{world.case_id}/consents")).json()
    assert listed["online"] is False and "网络条件不足" in listed["offline_reason"]
    again = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": applicant_party, "stage": "mediation_online", "decision": "withdraw",
        "reason": "again",
    })
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_withdraw"


async def test_a_party_answers_only_for_itself_L1(services: Services, client: httpx.AsyncClient) -> None:
    world, respondent = await _agreed_world(services, client)
    applicant_party = await _applicant_party(services, world.case_id)
    await as_user(client, services, respondent)
    response = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": applicant_party, "stage": "mediation_online", "decision": "withdraw",
        "reason": "x",
    })
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_your_party"
    assert (await load_case(services, world.case_id)).online is True


async def test_an_agent_needs_general_authority_to_answer_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _ = await _agreed_world(services, client)
    applicant_party = await _applicant_party(services, world.case_id)
    reader, general = await make_user(services, "agent"), await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    for agent, scopes in ((reader, ["read_file"]), (general, ["general"])):
        granted = await client.post(f"/api/v1/cases/{world.case_id}/authorizations", json={
            "party_id": applicant_party, "agent_username": agent.username, "scopes": scopes,
        })
        assert granted.status_code == 201, granted.text
    body = {"party_id": applicant_party, "stage": "hearing_online", "decision": "agree"}
    await as_user(client, services, reader)
    assert (await client.post(f"/api/v1/cases/{world.case_id}/consents", json=body)).status_code == 403
    await as_user(client, services, general)
    response = await client.post(f"/api/v1/cases/{world.case_id}/consents", json=body)
    assert response.status_code == 201, response.text
    async with services.db.reader() as uow:
        consent = await uow.session.get(Consent, response.json()["consent_id"])
    assert consent is not None and consent.by_user_id == general.id


async def test_bad_consent_requests_change_nothing_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _ = await _agreed_world(services, client)
    applicant_party = await _applicant_party(services, world.case_id)
    await as_user(client, services, world.applicant)
    url = f"/api/v1/cases/{world.case_id}/consents"
    cases = [
        ({"party_id": applicant_party, "stage": "mediation_online", "decision": "agree"}, 409),
        ({"party_id": applicant_party, "stage": "electronic_service", "decision": "agree"}, 422),
        ({"party_id": applicant_party, "stage": "dancing", "decision": "agree"}, 422),
        ({"party_id": 999_999, "stage": "hearing_online", "decision": "agree"}, 404),
        ({"party_id": applicant_party, "stage": "hearing_online", "decision": "refuse"}, 422),
    ]
    async with services.db.reader() as uow:
        before = len((await uow.session.execute(select(Consent.id))).all())
    for body, status in cases:
        response = await client.post(url, json=body)
        assert response.status_code == status, (body, response.text)
    async with services.db.reader() as uow:
        assert len((await uow.session.execute(select(Consent.id))).all()) == before


async def test_an_unanswered_respondent_answers_the_invitation_first_L8(
    services: Services, client: httpx.AsyncClient,
) -> None:
    respondent = await make_user(services, "party")
    world = await accepted_world(services, respondent=respondent)
    await as_user(client, services, respondent)
    listed = (await client.get(f"/api/v1/cases/{world.case_id}/consents")).json()
    assert listed["awaiting_answer"] == [world.respondent_party_id]
    response = await client.post(f"/api/v1/cases/{world.case_id}/consents", json={
        "party_id": world.respondent_party_id, "stage": "mediation_online", "decision": "refuse",
        "reason": "no",
    })
    assert response.status_code == 409 and response.json()["error"]["code"] == "invitation_unanswered"


async def test_no_consent_after_the_case_ended_L1(services: Services, client: httpx.AsyncClient) -> None:
    applicant = await make_user(services, "party")
    case = await make_case(services, applicant=applicant, status="failed")
    party = await _applicant_party(services, case.id)
    await as_user(client, services, applicant)
    response = await client.post(f"/api/v1/cases/{case.id}/consents", json={
        "party_id": party, "stage": "hearing_online", "decision": "agree",
    })
    assert response.status_code == 403 and "ended" in response.json()["error"]["message"]
