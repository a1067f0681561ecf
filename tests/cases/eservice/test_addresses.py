"""The address-confirmation form and presumed consent to electronic service (L33)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.models import Consent
from odr.services import Services
from tests.cases.eservice.support import add_agent, confirm, make_world
from tests.factories import make_user, sign_in


async def _standing(client: httpx.AsyncClient, case_id: int) -> dict[int, dict]:
    response = await client.get(f"/api/v1/cases/{case_id}/service-address")
    assert response.status_code == 200, response.text
    return {item["party_id"]: item for item in response.json()["items"]}


async def test_online_filer_is_presumed_to_consent_at_its_filed_mobile_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await sign_in(client, services, w.admin)
    items = await _standing(client, w.case_id)
    filer = items[w.applicant_party]
    assert filer["consents"] is True
    assert filer["basis"] == "presumed_from_filing"
    assert filer["addresses"] == [
        {"channel": "sms", "address": w.applicant.mobile, "confirmed": True}
    ]
    other = items[w.respondent_party]
    assert other["consents"] is False and other["basis"] is None
    assert other["reason"] == "has not confirmed an address for electronic service"


async def test_referred_case_gives_no_presumption_from_filing_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, channel="delegated")
    await sign_in(client, services, w.judge)
    items = await _standing(client, w.case_id)
    assert items[w.applicant_party]["consents"] is False


async def test_party_confirms_its_addresses_on_the_form_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    response = await confirm(
        client, services, w.respondent, w.case_id, mobile="13912345678",
        email="Resp@Example.TEST", inapp=True,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["party_id"] == w.respondent_party
    assert body["consents"] is True and body["basis"] == "confirmed"
    assert body["addresses"] == [
        {"channel": "sms", "address": "13912345678", "confirmed": True},
        {"channel": "email", "address": "resp@example.test", "confirmed": True},
        {"channel": "inapp", "address": str(w.respondent.id), "confirmed": True},
    ]
    async with services.db.reader() as uow:
        consent = (await uow.session.execute(
            select(Consent).where(Consent.party_id == w.respondent_party)
        )).scalar_one()
        audit = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.service_address_confirmed")
        )).scalar_one()
    assert (consent.stage, consent.decision, consent.channel) == ("electronic_service", "agree", "web")
    assert consent.by_user_id == w.respondent.id and consent.at == services.clock.now()
    assert audit.data["channels"] == ["sms", "email", "inapp"]
    # A party sees only its own standing.
    items = await _standing(client, w.case_id)
    assert list(items) == [w.respondent_party]


async def test_refusal_is_recorded_and_beats_the_filing_presumption_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    response = await confirm(
        client, services, w.applicant, w.case_id, decision="refuse", inapp=False,
        reason="请邮寄纸质文书",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["consents"] is False and body["decision"] == "refuse"
    assert body["reason"] == "refused electronic service"
    # Agreeing later counts again: the latest form decides.
    services.clock.advance(minutes=5)
    again = await confirm(client, services, w.applicant, w.case_id, email="a@example.test")
    assert again.json()["consents"] is True and again.json()["basis"] == "confirmed"


async def test_agent_with_general_authority_fills_the_form_for_its_principal_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    agent = await add_agent(services, w.case_id, w.respondent_party, ["general"])
    response = await confirm(client, services, agent, w.case_id, mobile="13800001111", inapp=False)
    assert response.status_code == 201, response.text
    assert response.json()["party_id"] == w.respondent_party

    signer_only = await add_agent(services, w.case_id, w.respondent_party, ["sign_agreement"])
    refused = await confirm(client, services, signer_only, w.case_id, mobile="13800001111")
    assert refused.status_code == 403


async def test_bad_forms_are_refused_with_nothing_stored_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    no_address = await confirm(client, services, w.respondent, w.case_id, inapp=False)
    assert no_address.status_code == 422
    bad = await confirm(client, services, w.respondent, w.case_id, mobile="12345", email="nope")
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"mobile", "email"}
    not_mine = await confirm(
        client, services, w.respondent, w.case_id, party_id=w.applicant_party
    )
    assert not_mine.status_code == 403
    unknown = await client.post(
        f"/api/v1/cases/{w.case_id}/service-address", json={"decision": "maybe"}
    )
    assert unknown.status_code == 422
    stranger = await make_user(services, "party", password=None)
    outsider = await confirm(client, services, stranger, w.case_id)
    assert outsider.status_code == 403
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(Consent))).first() is None


async def test_a_party_never_sees_another_cases_service_addresses_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    other = await make_world(services)
    await sign_in(client, services, other.applicant)
    response = await client.get(f"/api/v1/cases/{w.case_id}/service-address")
    assert response.status_code == 403
    client.cookies.clear()
    anonymous = await client.get(f"/api/v1/cases/{w.case_id}/service-address")
    assert anonymous.status_code == 401


async def test_an_agreement_without_addresses_keeps_the_presumption_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    """An *agree* recorded elsewhere (not on the form) names no address: no objection either."""
    w = await make_world(services)
    async with services.db.uow() as uow:
        uow.session.add(Consent(
            case_id=w.case_id, party_id=w.applicant_party, stage="electronic_service",
            decision="agree", channel="in_person", at=services.clock.now(),
        ))
    await sign_in(client, services, w.applicant)
    [item] = (await _standing(client, w.case_id)).values()
    assert (item["basis"], item["decision"], item["consents"]) == (
        "presumed_from_filing", "agree", True,
    )
