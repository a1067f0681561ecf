"""L37: an entrusted case's agreement goes back to the court (statement or withdrawal ruling);
a delegated case's agreement is filed with the court for record."""

from __future__ import annotations

from pathlib import Path

import httpx
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select

from agreements.effects import run_pdf_stored
from agreements.models import Agreement, CourtFiling
from odr.cases.lifecycle import CaseEventKind, allowed_events
from odr.cases.models import Case, CaseDocument
from odr.cases.queries import case_view
from odr.eservice.models import DocumentService, PaperCopyRequest, ServiceRecord
from odr.policy import Actor, Permission, decide
from odr.services import Services
from tests.agreements.filing.support import (
    case_row,
    court_world,
    events,
    filings,
    notified,
    pdf_text,
)
from tests.factories import make_case, make_user, seeded_orgs, sign_in


async def _document_bytes(services: Services, document_id: int) -> bytes:
    async with services.db.reader() as uow:
        document = await uow.session.get(CaseDocument, document_id)
        assert document is not None
    return await services.storage.get_bytes(document.blob_sha256)


async def _served_parties(services: Services, document_id: int) -> set[int]:
    async with services.db.reader() as uow:
        return set((await uow.session.execute(
            select(DocumentService.party_id).where(DocumentService.document_id == document_id)
        )).scalars())


async def test_entrusted_agreement_goes_back_to_the_court_once_L37(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="entrusted")
    assert (await case_row(services, w.case_id)).status == "submitted_to_court"
    [filing] = await filings(services, w.case_id)
    assert (filing.kind, filing.status, filing.court_id) == ("return", "submitted", w.court_id)
    assert [e.data["to"] for e in await events(services, w.case_id, "submit_to_court")] == [
        "submitted_to_court"]
    assert {w.judge.id, w.clerk.id} <= await notified(services, "court_filing_received")
    assert w.other_judge.id not in await notified(services, "court_filing_received")
    # The PDF job running again (after a crash before commit, say) files nothing twice.
    async with services.db.uow() as uow:
        case = await uow.session.get(Case, w.case_id)
        agreement = await uow.session.get(Agreement, w.agreement_id)
        assert case is not None and agreement is not None and agreement.pdf_document_id
        document = await uow.session.get(CaseDocument, agreement.pdf_document_id)
        assert document is not None
        await run_pdf_stored(services, uow, case, agreement, document)
    assert len(await filings(services, w.case_id)) == 1
    assert (await case_row(services, w.case_id)).status == "submitted_to_court"


async def test_judge_issues_signed_mediation_statement_served_on_parties_L37(
    services: Services, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    w = await court_world(services, client, channel="entrusted")
    [filing] = await filings(services, w.case_id)
    await sign_in(client, services, w.judge)
    listed = (await client.get("/api/v1/court/filings?status=submitted")).json()["items"]
    assert [f["id"] for f in listed] == [filing.id]
    detail = (await client.get(f"/api/v1/court-filings/{filing.id}")).json()
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, w.agreement_id)
        assert agreement is not None
    assert detail["agreement_document_id"] == agreement.pdf_document_id is not None
    assert detail["actions"] == ["statement", "withdrawal_ruling"]

    response = await client.post(f"/api/v1/court-filings/{filing.id}/statement",
                                 json={"text": "经审查，上述协议系双方真实意思表示。"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filing"]["status"] == "statement_issued"
    assert sorted(body["served_party_ids"]) == sorted([w.applicant_party, w.respondent_party])
    assert body["paper_party_ids"] == []
    case = await case_row(services, w.case_id)
    assert case.status == "mediation_statement_issued"

    data = await _document_bytes(services, body["document_id"])
    text = pdf_text(data, tmp_path)
    for expected in ("民事调解书", w.number, w.applicant.real_name, w.respondent.real_name,
                     "12,345.67", body["outcome_code"], "经审查", "返还样品"):
        assert expected in text, expected
    signature = PdfFileReader(__import__("io").BytesIO(data)).embedded_signatures[0]
    assert signature.signer_cert is not None  # PAdES-signed with the court's certificate
    assert await _served_parties(services, body["document_id"]) == {
        w.applicant_party, w.respondent_party}
    async with services.db.reader() as uow:
        records = (await uow.session.execute(
            select(func.count()).select_from(ServiceRecord)
            .join(DocumentService, DocumentService.id == ServiceRecord.service_id)
            .where(DocumentService.document_id == body["document_id"])
        )).scalar_one()
    assert records >= 2

    # Twice, or the other outcome afterwards: 409, nothing changes.
    again = await client.post(f"/api/v1/court-filings/{filing.id}/statement", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "filing_already_handled"
    ruling = await client.post(f"/api/v1/court-filings/{filing.id}/withdrawal-ruling",
                               json={"reason": "原告申请撤诉"})
    assert ruling.status_code == 409
    assert (await case_row(services, w.case_id)).status == "mediation_statement_issued"
    async with services.db.reader() as uow:
        rulings = (await uow.session.execute(
            select(func.count()).select_from(CaseDocument)
            .where(CaseDocument.case_id == w.case_id, CaseDocument.kind == "ruling")
        )).scalar_one()
    assert rulings == 1


async def test_withdrawal_ruling_served_and_paper_for_non_consenting_party_L37_L33(
    services: Services, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    w = await court_world(services, client, channel="entrusted", consenting=("applicant",))
    [filing] = await filings(services, w.case_id)
    await sign_in(client, services, w.judge)
    response = await client.post(f"/api/v1/court-filings/{filing.id}/withdrawal-ruling",
                                 json={"reason": "双方已达成调解协议，原告申请撤回起诉。"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filing"]["status"] == "withdrawal_ruled"
    assert body["served_party_ids"] == [w.applicant_party]
    assert body["paper_party_ids"] == [w.respondent_party]
    case = await case_row(services, w.case_id)
    assert case.status == "withdrawal_ruled"
    [ruled] = await events(services, w.case_id, "rule_withdrawal")
    assert ruled.data["reason"].startswith("双方已达成")
    text = pdf_text(await _document_bytes(services, body["document_id"]), tmp_path)
    assert "民事裁定书" in text and "准许原告撤回起诉" in text and body["outcome_code"] in text
    async with services.db.reader() as uow:
        paper = list((await uow.session.execute(
            select(PaperCopyRequest.party_id).where(
                PaperCopyRequest.document_id == body["document_id"])
        )).scalars())
    assert paper == [w.respondent_party]
    assert await events(services, w.case_id, "paper_service_required")


async def test_judge_of_another_court_and_clerk_cannot_handle_L37(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="entrusted")
    [filing] = await filings(services, w.case_id)
    await sign_in(client, services, w.other_judge)
    assert (await client.get("/api/v1/court/filings")).json()["items"] == []
    assert (await client.get(f"/api/v1/court-filings/{filing.id}")).status_code == 403
    refused = await client.post(f"/api/v1/court-filings/{filing.id}/statement", json={})
    assert refused.status_code == 403
    await sign_in(client, services, w.clerk)
    assert (await client.get(f"/api/v1/court-filings/{filing.id}")).status_code == 200
    assert (await client.post(f"/api/v1/court-filings/{filing.id}/statement",
                              json={})).status_code == 403
    await sign_in(client, services, w.applicant)  # a party reads its case's filing
    assert (await client.get(f"/api/v1/court-filings/{filing.id}")).status_code == 200
    assert (await client.post(f"/api/v1/court-filings/{filing.id}/withdrawal-ruling",
                              json={"reason": "x"})).status_code == 403
    assert (await client.get("/api/v1/court/filings")).status_code == 403
    [unchanged] = await filings(services, w.case_id)
    assert unchanged.status == "submitted"
    assert (await case_row(services, w.case_id)).status == "submitted_to_court"


async def test_delegated_agreement_filed_for_record_confirmation_still_open_L37(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="delegated")
    case = await case_row(services, w.case_id)
    assert case.status == "agreement_effective"  # no return to the court
    [filing] = await filings(services, w.case_id)
    assert (filing.kind, filing.status) == ("record", "submitted")
    assert await events(services, w.case_id, "agreement_filed_for_record")
    async with services.db.reader() as uow:
        agreement = await uow.session.get(Agreement, w.agreement_id)
        assert agreement is not None and agreement.pdf_document_id is not None
    # Served on both parties (L37, SMR 19) by the PDF job.
    assert await _served_parties(services, agreement.pdf_document_id) == {
        w.applicant_party, w.respondent_party}

    await sign_in(client, services, w.judge)
    wrong = await client.post(f"/api/v1/court-filings/{filing.id}/statement", json={})
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "wrong_filing_kind"
    recorded = await client.post(f"/api/v1/court-filings/{filing.id}/record", json={"note": "已备案"})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "recorded"
    assert (await client.post(f"/api/v1/court-filings/{filing.id}/record",
                              json={})).status_code == 409
    assert await events(services, w.case_id, "agreement_recorded")
    assert {w.applicant.id, w.respondent.id} <= await notified(services, "court_filing_recorded")

    # Confirmation is still possible (L37: to the delegating court or the institution's).
    case = await case_row(services, w.case_id)
    assert case.status == "agreement_effective"
    assert CaseEventKind.APPLY_CONFIRMATION in allowed_events(case.status, case.channel)
    async with services.db.reader() as uow:
        view = await case_view(uow.session, case, services.clock.now())
    applicant = Actor(user_id=w.applicant.id, role=w.applicant.role, institution_ids=frozenset(),
                      court_ids=frozenset(), identity_level=w.applicant.identity_level)
    assert decide(applicant, Permission.CONFIRMATION_APPLY, view)


async def test_self_filed_agreement_is_not_filed_with_a_court(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="self_filed")
    assert await filings(services, w.case_id) == []
    assert (await case_row(services, w.case_id)).status == "agreement_effective"


async def test_unknown_filing_is_404(services: Services, client: httpx.AsyncClient) -> None:
    courts, _ = await seeded_orgs(services)
    judge = await make_user(services, "judge", password=None, court_id=courts[0])
    await make_case(services)  # something in the database
    await sign_in(client, services, judge)
    assert (await client.get("/api/v1/court-filings/999")).status_code == 404
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(CourtFiling))
                ).scalar_one() == 0
