"""Agent authorizations: grant, check, revoke, expire — proven through HTTP (L3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import AgentAuthorization, AgentScope, Case, CaseParticipant, CaseParty
from odr.cases.parties.authorizations import agent_may
from odr.cases.queries import case_view
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.parties.support import World, accepted_world, as_user
from tests.factories import make_user
from tests.storage import samples


async def _parties(services: Services, case_id: int) -> dict[str, int]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(select(CaseParty.side, CaseParty.id).where(
            CaseParty.case_id == case_id))).all()
    return {side: pid for side, pid in rows}


async def _world(services: Services) -> tuple[World, User, dict[str, int]]:
    respondent = await make_user(services, "party")
    world = await accepted_world(services, respondent=respondent)
    return world, respondent, await _parties(services, world.case_id)


async def _sees(client: httpx.AsyncClient, case_id: int) -> tuple[int, bool]:
    """(GET /cases/{id} status, whether the case is in GET /cases)."""
    one = await client.get(f"/api/v1/cases/{case_id}")
    listed = await client.get("/api/v1/cases")
    assert listed.status_code == 200
    return one.status_code, case_id in {c["id"] for c in listed.json()["items"]}


async def _grant(client: httpx.AsyncClient, case_id: int, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/cases/{case_id}/authorizations", json=body)


async def _grant_rows(services: Services) -> list[AgentAuthorization]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(select(AgentAuthorization))).scalars())


async def test_a_revoked_agent_loses_the_case_at_once_L3(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (403, False)
    await as_user(client, services, world.applicant)
    granted = await _grant(client, world.case_id, party_id=parties["applicant"],
                           agent_username=lawyer.username, scopes=["general"])
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert grant["status"] == "active" and grant["agent_user_id"] == lawyer.id
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (200, True)
    await as_user(client, services, world.applicant)
    revoked = await client.post(
        f"/api/v1/cases/{world.case_id}/authorizations/{grant['id']}/revoke",
        json={"reason": "更换代理人"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoke_reason"] == "更换代理人"
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (403, False)
    assert (await client.get(f"/api/v1/cases/{world.case_id}/consents")).status_code == 403
    await as_user(client, services, world.applicant)
    twice = await client.post(
        f"/api/v1/cases/{world.case_id}/authorizations/{grant['id']}/revoke", json={"reason": "x"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "authorization_revoked"


async def test_an_expired_authorization_has_the_same_effect_L3(
    services: Services, client: httpx.AsyncClient, clock: ManualClock,
) -> None:
    world, _, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    until = clock.now() + timedelta(days=1)
    granted = await _grant(client, world.case_id, party_id=parties["applicant"],
                           agent_mobile=lawyer.mobile, scopes=["general"],
                           valid_until=until.isoformat())
    assert granted.status_code == 201, granted.text
    async with services.db.reader() as uow:
        row = (await uow.session.execute(select(CaseParticipant).where(
            CaseParticipant.user_id == lawyer.id))).scalar_one()
    assert row.ends_at == until and row.role == "agent"
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (200, True)
    clock.advance(days=2)
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (403, False)
    await as_user(client, services, world.applicant)
    listed = (await client.get(f"/api/v1/cases/{world.case_id}/authorizations")).json()["items"]
    assert [g["status"] for g in listed] == ["expired"]
    late = await client.post(
        f"/api/v1/cases/{world.case_id}/authorizations/{listed[0]['id']}/revoke",
        json={"reason": "x"},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "authorization_expired"


async def test_special_authority_to_sign_needs_a_power_of_attorney(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    body = {"party_id": parties["applicant"], "agent_username": lawyer.username,
            "scopes": ["general", "sign_agreement"]}
    missing = await _grant(client, world.case_id, **body)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "power_of_attorney_required"
    unknown = await _grant(client, world.case_id, **body, document_sha256="0" * 64)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_document"
    assert await _grant_rows(services) == []
    uploaded = await client.post("/api/v1/files",
                                 files={"file": ("授权委托书.pdf", samples.pdf(), "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    granted = await _grant(client, world.case_id, **body, document_sha256=uploaded.json()["sha256"])
    assert granted.status_code == 201, granted.text
    assert granted.json()["scopes"] == ["general", "sign_agreement"]
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, world.case_id)
        assert case is not None
        view = await case_view(uow.session, case, services.clock.now())
    assert agent_may(view, lawyer.id, AgentScope.SIGN_AGREEMENT)
    assert not agent_may(view, lawyer.id, AgentScope.APPLY_CONFIRMATION)


async def test_staff_register_an_authorization_on_paper_evidence(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    body = {"party_id": parties["respondent"], "agent_username": lawyer.username,
            "scopes": ["general"]}
    await as_user(client, services, world.other_admin)
    assert (await _grant(client, world.case_id, **body)).status_code == 403
    await as_user(client, services, world.admin)
    without = await _grant(client, world.case_id, **body)
    assert without.status_code == 422
    assert without.json()["error"]["code"] == "power_of_attorney_required"
    uploaded = await client.post("/api/v1/files",
                                 files={"file": ("委托书.pdf", samples.pdf(), "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    granted = await _grant(client, world.case_id, **body, document_sha256=uploaded.json()["sha256"])
    assert granted.status_code == 201, granted.text
    grants = await _grant_rows(services)
    assert [(g.granted_by_id, g.party_id) for g in grants] == [(world.admin.id, parties["respondent"])]


async def test_bad_grants_are_refused_and_change_nothing(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, respondent, parties = await _world(services)
    not_an_agent = await make_user(services, "party")
    unverified = await make_user(services, "agent", identity_level="none")
    lawyer = await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    mine = parties["applicant"]
    refused = [
        ({"party_id": mine, "agent_username": not_an_agent.username, "scopes": ["general"]},
         422, "not_an_agent"),
        ({"party_id": mine, "agent_username": unverified.username, "scopes": ["general"]},
         422, "agent_not_verified"),
        ({"party_id": mine, "agent_username": "nobody-here", "scopes": ["general"]},
         422, "agent_unknown"),
        ({"party_id": mine, "agent_username": lawyer.username, "scopes": []}, 422, None),
        ({"party_id": mine, "agent_username": lawyer.username, "scopes": ["rule_the_world"]},
         422, None),
        ({"party_id": mine, "agent_username": lawyer.username, "agent_mobile": lawyer.mobile,
          "scopes": ["general"]}, 422, None),
        ({"party_id": mine, "agent_username": lawyer.username, "scopes": ["general"],
          "valid_until": "2020-01-01T00:00:00Z"}, 422, "validity_in_past"),
        ({"party_id": parties["respondent"], "agent_username": lawyer.username,
          "scopes": ["general"]}, 403, "not_principal"),
        ({"party_id": 999_999, "agent_username": lawyer.username, "scopes": ["general"]},
         404, None),
    ]
    for body, status, code in refused:
        response = await _grant(client, world.case_id, **body)
        assert response.status_code == status, (body, response.text)
        if code:
            assert response.json()["error"]["code"] == code
    assert await _grant_rows(services) == []
    async with services.db.reader() as uow:
        agents = (await uow.session.execute(select(CaseParticipant).where(
            CaseParticipant.role == "agent"))).scalars().all()
    assert agents == []
    # One agent never represents both sides, nor the same party twice.
    ok = await _grant(client, world.case_id, party_id=mine, agent_username=lawyer.username,
                      scopes=["general"])
    assert ok.status_code == 201
    again = await _grant(client, world.case_id, party_id=mine, agent_username=lawyer.username,
                         scopes=["general"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_authorized"
    await as_user(client, services, respondent)
    other_side = await _grant(client, world.case_id, party_id=parties["respondent"],
                              agent_username=lawyer.username, scopes=["general"])
    assert other_side.status_code == 409
    assert other_side.json()["error"]["code"] == "conflict_of_sides"


async def test_only_the_principal_or_staff_revoke(services: Services, client: httpx.AsyncClient) -> None:
    world, respondent, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    grant = (await _grant(client, world.case_id, party_id=parties["applicant"],
                          agent_username=lawyer.username, scopes=["general"])).json()
    url = f"/api/v1/cases/{world.case_id}/authorizations/{grant['id']}/revoke"
    for someone in (respondent, lawyer, world.other_admin):
        await as_user(client, services, someone)
        response = await client.post(url, json={"reason": "not mine"})
        assert response.status_code == 403, response.text
    assert [g.revoked_at for g in await _grant_rows(services)] == [None]
    await as_user(client, services, world.admin)
    assert (await client.post(url, json={"reason": "当事人书面撤销"})).status_code == 200
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (403, False)


async def test_one_agent_for_two_parties_of_a_side_stays_until_the_last_grant_ends(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _, parties = await _world(services)
    co_applicant = await make_user(services, "party")
    async with services.db.uow() as uow:
        first = await uow.session.get(CaseParty, parties["applicant"])
        assert first is not None
        second = CaseParty(
            case_id=world.case_id, side="applicant", kind="person", name=co_applicant.real_name,
            id_doc_type="resident_id", id_doc_number_enc=first.id_doc_number_enc,
            id_doc_lookup="x" * 64, id_doc_last4="0000", mobile=co_applicant.mobile or "",
            user_id=co_applicant.id, created_at=services.clock.now(),
        )
        uow.session.add(second)
        await uow.session.flush()
        uow.session.add(CaseParticipant(case_id=world.case_id, user_id=co_applicant.id,
                                        role="applicant", party_id=second.id,
                                        created_at=services.clock.now()))
        second_id = second.id
    lawyer = await make_user(services, "agent")
    grants = []
    for principal, party_id in ((world.applicant, parties["applicant"]), (co_applicant, second_id)):
        await as_user(client, services, principal)
        response = await _grant(client, world.case_id, party_id=party_id,
                                agent_username=lawyer.username, scopes=["general"])
        assert response.status_code == 201, response.text
        grants.append(response.json()["id"])
    await as_user(client, services, world.applicant)
    assert (await client.post(f"/api/v1/cases/{world.case_id}/authorizations/{grants[0]}/revoke",
                              json={"reason": "x"})).status_code == 200
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (200, True)
    await as_user(client, services, co_applicant)
    assert (await client.post(f"/api/v1/cases/{world.case_id}/authorizations/{grants[1]}/revoke",
                              json={"reason": "x"})).status_code == 200
    await as_user(client, services, lawyer)
    assert await _sees(client, world.case_id) == (403, False)


async def test_the_authorization_list_is_for_the_case_only(
    services: Services, client: httpx.AsyncClient,
) -> None:
    world, _, parties = await _world(services)
    lawyer = await make_user(services, "agent")
    await as_user(client, services, world.applicant)
    assert (await _grant(client, world.case_id, party_id=parties["applicant"],
                         agent_username=lawyer.username, scopes=["general"])).status_code == 201
    listed = await client.get(f"/api/v1/cases/{world.case_id}/authorizations")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["agent_name"] == lawyer.real_name and item["party_side"] == "applicant"
    await as_user(client, services, await make_user(services, "party"))
    assert (await client.get(f"/api/v1/cases/{world.case_id}/authorizations")).status_code == 403
