"""The full path of issue 7, through the real routes and workers: a case in mediation →
the mediator drafts → both parties sign → the mediator signs → the seal → effective (L16) →
the signed PDF job drained (L17) → both parties apply jointly (L20-L22) → the court accepts
and designates its judge (L25) → the judge rules valid (L26) → the ruling is served with a
service receipt (L33-L35)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

import odr.eservice.delivery
import odr.eservice.receipts
import odr.notify.service  # noqa: F401  (registers notify.send)
from agreements.models import Agreement, ConfirmationApplication
from agreements.signing import finish  # noqa: F401  (registers agreements.finish_pdf)
from odr.cases.models import Case, CaseDocument, CaseParty
from odr.clock import to_local
from odr.eservice.models import DocumentService, ServiceRecord
from odr.outbox.drain import drain_until_empty
from odr.services import Services
from tests.agreements.signing.support import sign_as
from tests.factories import make_case, make_user, seeded_orgs, sign_in


async def as_user(client: httpx.AsyncClient, services: Services, user: object) -> None:
    client.cookies.clear()
    await sign_in(client, services, user)  # type: ignore[arg-type]


async def test_mediation_to_served_ruling_full_path_L16_L20_L25_L26_L34(
    services: Services, client: httpx.AsyncClient
) -> None:
    _courts, institutions = await seeded_orgs(services)
    inst = institutions[0]
    applicant = await make_user(services, "party")
    respondent = await make_user(services, "party")
    mediator = await make_user(services, "mediator", institution_id=inst)
    admin = await make_user(services, "institution_admin", institution_id=inst)
    case = await make_case(services, applicant=applicant, respondent=respondent,
                           mediator=mediator, status="in_mediation", institution_id=inst)
    async with services.db.reader() as uow:
        party_ids = dict((await uow.session.execute(
            select(CaseParty.side, CaseParty.id).where(CaseParty.case_id == case.id)
        )).tuples().all())

    # The mediator drafts from the template and completes the L15 items.
    await as_user(client, services, mediator)
    r = await client.post(f"/api/v1/cases/{case.id}/agreements",
                          json={"language": "zh-CN", "personal_status": "none"})
    assert r.status_code == 201, r.text
    agreement_id = r.json()["agreement"]["id"]
    content = r.json()["version"]["content"]
    due = (to_local(services.clock.now()) + timedelta(days=30)).date().isoformat()
    content.update(
        facts="申请人与被申请人因借款发生纠纷。", disputed_matters="借款本金的偿还。",
        responsibilities="被申请人应偿还借款本金。",
        terms=[{"key": "t1", "obligor_party_ids": [party_ids["respondent"]],
                "obligee_party_ids": [party_ids["applicant"]],
                "text": "被申请人向申请人支付借款本金人民币二万元。", "amount_fen": 2_000_000,
                "manner": "银行转账", "due_on": due}],
    )
    r = await client.put(f"/api/v1/agreements/{agreement_id}/content",
                         json={"base_version": 1, "content": content, "note": "完成条款"})
    assert r.status_code in (200, 201), r.text
    r = await client.get(f"/api/v1/agreements/{agreement_id}")
    assert r.json()["problems"] == [], r.json()["problems"]

    # Both parties sign (different devices), then the mediator, then the seal (L16).
    for user, side, device in ((applicant, "applicant", "phone-a"),
                               (respondent, "respondent", "phone-b")):
        client.cookies.clear()
        r = await sign_as(client, services, user, agreement_id, "party",
                          party_id=party_ids[side], device_id=device)
        assert r.status_code == 201, r.text
    client.cookies.clear()
    assert (await sign_as(client, services, mediator, agreement_id, "mediator")).status_code == 201
    client.cookies.clear()
    r = await sign_as(client, services, admin, agreement_id, "seal")
    assert r.status_code == 201, r.text
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.status == "effective"
    await drain_until_empty(services, "test")  # agreements.finish_pdf: signed PDF, served (L17)
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, agreement_id)
        assert agreement is not None and agreement.pdf_state == "stored"
        case_row = await uow.session.get(Case, case.id)
        assert case_row is not None and case_row.status == "agreement_effective"

    # The respondent confirms an address for electronic service (L33); the applicant's
    # consent is presumed from its own online filing.
    await as_user(client, services, respondent)
    r = await client.post(f"/api/v1/cases/{case.id}/service-address",
                          json={"decision": "agree", "inapp": True})
    assert r.status_code == 201, r.text

    # Both parties apply jointly to a competent court (L20-L22).
    await as_user(client, services, applicant)
    r = await client.get(f"/api/v1/cases/{case.id}/confirmation/courts")
    assert r.status_code == 200, r.text
    court_id = r.json()["courts"][0]["court"]["id"]
    r = await client.post(f"/api/v1/cases/{case.id}/confirmation-applications", json={
        "agreement_id": agreement_id, "court_id": court_id, "subject_kind": "debt",
        "device_id": "phone-a"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    await as_user(client, services, respondent)
    r = await client.post(f"/api/v1/confirmation-applications/{cid}/join",
                          json={"device_id": "phone-b"})
    assert r.status_code in (200, 201), r.text
    assert r.json()["status"] == "applied"

    # The court: its queue, acceptance with one designated judge (L25), the warning signs.
    judge = await make_user(services, "judge", court_id=court_id)
    clerk = await make_user(services, "clerk", court_id=court_id)
    await as_user(client, services, clerk)
    queue = (await client.get("/api/v1/court/confirmations")).json()["items"]
    assert [i["id"] for i in queue] == [cid] and queue[0]["agreed_sum_fen"] == 2_000_000
    r = await client.post(f"/api/v1/confirmation-applications/{cid}/accept",
                          json={"judge_user_id": judge.id})
    assert r.status_code == 200, r.text
    await as_user(client, services, judge)
    r = await client.get(f"/api/v1/confirmation-applications/{cid}/warnings")
    # Every request of this test comes from 127.0.0.1: the same-address sign rightly fires
    # (OMR 23); the devices differ, no one acts for both sides, the sum is small.
    assert r.status_code == 200, r.text
    assert [w["code"] for w in r.json()["warnings"]] == ["same_ip"]
    r = await client.post(f"/api/v1/confirmation-applications/{cid}/rule",
                          json={"outcome": "valid", "reason": "调解协议符合确认条件"})
    assert r.status_code == 201, r.text
    ruling = r.json()
    assert sorted(ruling["served_party_ids"]) == sorted(party_ids.values())

    # Service completes (L34) and each party's receipt (送达回证) exists.
    await drain_until_empty(services, "test")
    async with services.db.reader() as uow:
        application = await uow.session.get(ConfirmationApplication, cid)
        assert application is not None and application.status == "confirmed"
        case_row = await uow.session.get(Case, case.id)
        assert case_row is not None and case_row.status == "confirmed"
        services_rows = list((await uow.session.execute(select(DocumentService).where(
            DocumentService.document_id == ruling["document_id"]))).scalars())
        assert sorted(s.party_id for s in services_rows) == sorted(party_ids.values())
        assert all(s.completed_at is not None for s in services_rows)
        record_id = (await uow.session.execute(select(ServiceRecord.id).where(
            ServiceRecord.service_id == services_rows[0].id,
            ServiceRecord.party_id == services_rows[0].party_id,
        ).order_by(ServiceRecord.id))).scalars().first()
        receipts = list((await uow.session.execute(select(CaseDocument.id).where(
            CaseDocument.case_id == case.id, CaseDocument.kind == "service_receipt"))).scalars())
    assert receipts
    party_user = applicant if services_rows[0].party_id == party_ids["applicant"] else respondent
    await as_user(client, services, party_user)
    r = await client.get(f"/api/v1/service-records/{record_id}/receipt")
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
