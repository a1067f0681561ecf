"""The whole respondent journey through the API: filed, accepted, SMS link, claim, answer (L8)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import IdDocType
from odr.accounts.service import DOC_CONTEXT
from odr.cases.models import Consent
from odr.cases.parties.invitations import respondents_all_agreed
from odr.services import Services
from tests.cases.intake.support import application, company, file, institution, person_of
from tests.cases.parties.support import answer_body, as_user, invitation_token
from tests.factories import make_user, seeded_orgs


async def test_an_organisation_respondent_answers_through_its_sms_link_L8_L2_L1(
    services: Services, client: httpx.AsyncClient,
) -> None:
    await seeded_orgs(services)
    preferred = await institution(services, "SFCDMC")
    applicant = await make_user(services, "party")
    await as_user(client, services, applicant)
    bank = company()
    filed = await file(client, application(person_of(services, applicant), respondents=[bank],
                                           preferred_institution_id=preferred))
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["id"]
    admin = await make_user(services, "institution_admin", institution_id=preferred)
    await as_user(client, services, admin)
    accepted = await client.post(f"/api/v1/cases/{case_id}/review/accept")
    assert accepted.status_code == 200, accepted.text

    token = await invitation_token(services, bank["mobile"])
    client.cookies.clear()
    summary = await client.get(f"/api/v1/invitations/{token}")
    assert summary.status_code == 200, summary.text
    assert summary.json()["claim_amount_fen"] == 1_234_567
    assert summary.json()["applicant_names"] == [applicant.real_name]

    # The bank's representative registered with the bank's unified social credit code.
    representative = await make_user(
        services, "party", id_doc_type=IdDocType.USCC,
        id_doc_number_enc=services.crypto.encrypt(bank["id_doc_number"], context=DOC_CONTEXT),
        id_doc_lookup=services.crypto.lookup_hash(bank["id_doc_number"], context=DOC_CONTEXT),
        id_doc_last4=bank["id_doc_number"][-4:],
    )
    await as_user(client, services, representative)
    notice = (await client.get("/api/v1/notice")).json()
    claimed = await client.post(f"/api/v1/invitations/{token}/claim")
    assert claimed.status_code == 200, claimed.text
    answered = await client.post(f"/api/v1/cases/{case_id}/respondent-answer",
                                 json=answer_body("agree", notice_version=notice["version"]))
    assert answered.status_code == 200, answered.text
    assert answered.json()["all_agreed"] is True
    async with services.db.reader() as uow:
        assert await respondents_all_agreed(uow, case_id)
        consents = (await uow.session.execute(select(Consent.channel, Consent.decision).where(
            Consent.case_id == case_id).order_by(Consent.id))).all()
    assert [tuple(c) for c in consents] == [("web", "agree"), ("sms_link", "agree")]
    detail = await client.get(f"/api/v1/cases/{case_id}")
    assert detail.status_code == 200
