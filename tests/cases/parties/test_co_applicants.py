"""Other applicants named at filing join their case: at once with an account, later by SMS link."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update

from odr.accounts.models import IdentityLevel, User
from odr.cases.models import CaseParticipant, CaseParty
from odr.services import Services
from tests.cases.intake.support import application, file, person, person_of
from tests.cases.parties.support import as_user, sms_messages
from tests.factories import make_user, seeded_orgs, sign_in


async def _participants(services: Services, case_id: int) -> list[tuple[int, str, int | None]]:
    async with services.db.reader() as uow:
        return [(r[0], r[1], r[2]) for r in (await uow.session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role, CaseParticipant.party_id)
            .where(CaseParticipant.case_id == case_id).order_by(CaseParticipant.id)
        )).all()]


async def test_a_co_applicant_with_an_account_is_linked_at_filing_and_sees_the_case(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    filer = await make_user(services, "party")
    partner = await make_user(services, "party")  # verified, with its own identity document
    await sign_in(client, services, filer)
    body = application(person_of(services, filer),
                       applicants=[person_of(services, filer), person_of(services, partner)])
    response = await file(client, body)
    assert response.status_code == 201, response.text
    case_id = response.json()["id"]

    async with services.db.reader() as uow:
        parties = list((await uow.session.execute(select(CaseParty).where(
            CaseParty.case_id == case_id, CaseParty.side == "applicant").order_by(CaseParty.id)
        )).scalars())
    assert [p.user_id for p in parties] == [filer.id, partner.id]
    assert (partner.id, "applicant", parties[1].id) in await _participants(services, case_id)
    linked = [m for m in await sms_messages(services, "co_applicant_linked")]
    assert [m["user_id"] for m in linked] == [partner.id]

    await as_user(client, services, partner)
    listed = (await client.get("/api/v1/cases")).json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    detail = (await client.get(f"/api/v1/cases/{case_id}")).json()
    assert detail["my_roles"] == ["applicant"]
    assert [(p["name"], p["mine"]) for p in detail["parties"] if p["side"] == "applicant"] == [
        (filer.real_name, False), (partner.real_name, True)]


async def test_a_co_applicant_without_an_account_claims_later_by_the_sms_link_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    filer = await make_user(services, "party")
    # Registered but not yet verified: not linked at filing; it claims after verifying (L2).
    later = await make_user(services, "party", identity_level=IdentityLevel.NONE)
    stranger = await make_user(services, "party")
    await sign_in(client, services, filer)
    other = {**person_of(services, later), "mobile": "13912345678"}
    response = await file(client, application(person_of(services, filer),
                                              applicants=[person_of(services, filer), other]))
    case_id = response.json()["id"]
    (sms,) = await sms_messages(services, "co_applicant_invitation")
    assert sms["recipient"] == "13912345678" and sms["context"]["filer"] == filer.real_name
    token = sms["context"]["link"].rsplit("/", 1)[1]

    summary = await client.get(f"/api/v1/invitations/{token}")
    assert summary.status_code == 200, summary.text
    assert summary.json()["side"] == "applicant"
    # Someone else's verified account does not take the applicant's place.
    await as_user(client, services, stranger)
    refused = await client.post(f"/api/v1/invitations/{token}/claim")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "identity_mismatch"

    async with services.db.uow() as uow:
        await uow.session.execute(update(User).where(User.id == later.id)
                                  .values(identity_level=IdentityLevel.BASIC))
    await as_user(client, services, later)
    claimed = await client.post(f"/api/v1/invitations/{token}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["side"] == "applicant" and claimed.json()["case_id"] == case_id
    assert (later.id, "applicant", claimed.json()["party_id"]) in await _participants(
        services, case_id)
    assert (await client.get(f"/api/v1/cases/{case_id}")).json()["my_roles"] == ["applicant"]
    # Used once; nothing is left to answer (the applicants consented at filing, L1).
    assert (await client.post(f"/api/v1/invitations/{token}/claim")).status_code == 410
    consents = (await client.get(f"/api/v1/cases/{case_id}/consents")).json()
    assert consents["awaiting_answer"] == []


async def test_an_applicant_without_an_account_gets_a_link_and_is_not_linked_yet(
    client: httpx.AsyncClient, services: Services
) -> None:
    await seeded_orgs(services)
    filer = await make_user(services, "party")
    await sign_in(client, services, filer)
    response = await file(client, application(person_of(services, filer),
                                              applicants=[person(), person_of(services, filer)]))
    assert response.status_code == 201
    assert len(await sms_messages(services, "co_applicant_invitation")) == 1
    assert [r for _, r, _ in await _participants(services, response.json()["id"])] == ["applicant"]
