"""GET /api/v1/cases/{id}: the full case for its participants, masked, and for nobody else."""

from __future__ import annotations

import httpx

from odr.services import Services
from tests.cases.intake.support import application, company, file, person, person_of
from tests.factories import make_case, make_user, seeded_orgs, sign_in


async def test_a_party_never_sees_another_case_L3(client: httpx.AsyncClient, services: Services) -> None:
    alice, bob = await make_user(services, "party"), await make_user(services, "party")
    await sign_in(client, services, alice)
    alices = (await file(client, application(person_of(services, alice)))).json()["id"]
    await sign_in(client, services, bob)
    bobs = (await file(client, application(person_of(services, bob)))).json()["id"]

    mine = await client.get(f"/api/v1/cases/{bobs}")
    theirs = await client.get(f"/api/v1/cases/{alices}")
    listed = (await client.get("/api/v1/cases")).json()

    assert mine.status_code == 200
    assert theirs.status_code == 403
    assert [c["id"] for c in listed["items"]] == [bobs]


async def test_identity_numbers_and_mobiles_never_leave_in_full_L3(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, "party")
    await sign_in(client, services, user)
    bank, other = company(), person()
    body = application(person_of(services, user), respondents=[bank, other])
    case_id = (await file(client, body)).json()["id"]

    response = await client.get(f"/api/v1/cases/{case_id}")

    text = response.text
    for party in (*body["applicants"], bank, other):
        assert party["id_doc_number"] not in text
        assert party["mobile"] not in text
    parties = response.json()["parties"]
    assert [p["side"] for p in parties] == ["applicant", "respondent", "respondent"]
    assert parties[1]["id_doc_number"] == "*" * 14 + bank["id_doc_number"][-4:]
    assert parties[1]["mobile"] == bank["mobile"][:3] + "****" + bank["mobile"][-4:]
    assert parties[1]["legal_representative"] == "李四"
    assert [p["linked"] for p in parties] == [True, False, False]


async def test_detail_shows_status_label_allowed_events_and_people(
    client: httpx.AsyncClient, services: Services
) -> None:
    courts, institutions = await seeded_orgs(services)
    applicant = await make_user(services, "party")
    mediator = await make_user(services, "mediator", institution_id=institutions[0])
    case = await make_case(services, applicant=applicant, status="in_mediation",
                           channel="delegated", institution_id=institutions[0],
                           court_id=courts[0], mediator=mediator)
    await sign_in(client, services, applicant)

    detail = (await client.get(f"/api/v1/cases/{case.id}")).json()

    assert detail["status"] == "in_mediation" and detail["status_label"] == "调解中"
    assert detail["mediator"] == {"id": mediator.id, "name": mediator.real_name}
    assert detail["institution"]["id"] == institutions[0] and detail["court"]["id"] == courts[0]
    assert detail["claim_amount"] == "10000.00"
    assert "agreement_takes_effect" in detail["allowed_events"]
    assert "accept" not in detail["allowed_events"]
    assert detail["online"] is True and detail["channel"] == "delegated"


async def test_a_case_that_does_not_exist_is_404(client: httpx.AsyncClient, services: Services) -> None:
    await sign_in(client, services, await make_user(services, "party"))

    response = await client.get("/api/v1/cases/424242")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
