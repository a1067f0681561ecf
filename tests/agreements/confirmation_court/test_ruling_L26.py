"""L26: the designated judge rules valid or rejects on an INT 358 ground; the signed ruling
(民事裁定书) is stored, served on every consenting party (L33) and on the timeline."""

from __future__ import annotations

import io
import subprocess

import httpx
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from agreements.pki.signers import trust_roots
from agreements.verification.verify import verify_pdf
from odr.cases.lifecycle import allowed_events
from odr.cases.models import CaseDocument, CaseParty
from odr.eservice.models import DocumentService
from odr.orgs.models import Court as CourtRow
from odr.services import Services
from tests.agreements.confirmation_court.support import (
    Court,
    application,
    as_user,
    case_of,
    court_world,
    events,
)


async def accepted(services: Services, client: httpx.AsyncClient, w: Court) -> None:
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
    assert r.status_code == 200, r.text


async def respondent_consents(services: Services, client: httpx.AsyncClient, w: Court) -> None:
    await as_user(client, services, w.respondent)
    r = await client.post(f"/api/v1/cases/{w.made.case.id}/service-address",
                          json={"decision": "agree", "inapp": True})
    assert r.status_code == 201, r.text


async def pdf_of(services: Services, document_id: int) -> bytes:
    async with services.db.reader() as uow:
        document = await uow.session.get(CaseDocument, document_id)
        assert document is not None and document.kind == "ruling"
        sha = document.blob_sha256
    return await services.storage.get_bytes(sha)


def text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


async def party_names(services: Services, case_id: int) -> list[str]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(CaseParty.name).where(CaseParty.case_id == case_id))).scalars())


async def court_name(services: Services, court_id: int) -> str:
    async with services.db.reader() as uow:
        row = await uow.session.get(CourtRow, court_id)
        assert row is not None
        return row.name_zh


async def test_valid_ruling_is_signed_stored_and_served_on_each_party_L26(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await respondent_consents(services, client, w)
    await accepted(services, client, w)
    await as_user(client, services, w.judge)
    r = await client.post(f"{w.base}/rule", json={"outcome": "valid", "reason": "协议合法有效"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["application"]["status"] == "confirmed"
    assert sorted(body["served_party_ids"]) == sorted(w.made.party_ids.values())
    assert body["paper_party_ids"] == []
    assert (await case_of(services, w.made.case.id)).status == "confirmed"
    async with services.db.reader() as uow:
        served = list((await uow.session.execute(select(DocumentService.party_id).where(
            DocumentService.document_id == body["document_id"]))).scalars())
    assert sorted(served) == sorted(w.made.party_ids.values())
    pdf = await pdf_of(services, body["document_id"])
    text = text_of(pdf)
    assert "民事裁定书" in text and await court_name(services, w.court_id) in text
    for name in await party_names(services, w.made.case.id):
        assert name in text
    assert "调解协议有效" in text and "10,000.00" in text and body["ruling_code"] in text
    assert w.judge.real_name in text
    reader = PdfFileReader(io.BytesIO(pdf))
    [signature] = reader.embedded_signatures
    status = await async_validate_pdf_signature(signature, ValidationContext(
        trust_roots=trust_roots(services.settings), allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    verdict = await verify_pdf(services, pdf)  # the platform's own verification names it
    assert verdict.intact, verdict.problems
    assert verdict.document is not None and verdict.document.kind == "ruling"
    assert verdict.document.code == body["ruling_code"] and verdict.document.matches_stored_copy
    [ruled] = await events(services, w.made.case.id, "confirmation_ruled")
    assert ruled.data["outcome"] == "valid" and ruled.visibility == "all"
    assert await events(services, w.made.case.id, "confirm")
    again = await client.post(f"{w.base}/rule", json={"outcome": "valid", "reason": "x"})
    assert again.status_code == 403  # ruled once; the application is closed


async def test_rejection_names_the_ground_and_the_remedies_L26(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await accepted(services, client, w)
    await as_user(client, services, w.judge)
    r = await client.post(f"{w.base}/rule", json={"outcome": "rejected", "reason": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "ground_required"
    r = await client.post(f"{w.base}/rule", json={"outcome": "rejected", "ground": "unknown",
                                                  "reason": "x"})
    assert r.status_code == 422
    r = await client.post(f"{w.base}/rule", json={
        "outcome": "rejected", "ground": "not_voluntary", "reason": "被申请人在询问中表示受到胁迫"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["application"]["status"] == "rejected"
    assert body["application"]["rejection_ground"] == "not_voluntary"
    # Only the self-filing applicant consents (presumed from its filing); the other on paper.
    assert body["served_party_ids"] == [w.made.party_ids["applicant"]]
    assert body["paper_party_ids"] == [w.made.party_ids["respondent"]]
    [paper] = await events(services, w.made.case.id, "ruling_paper_service")
    assert paper.data["parties"][0]["party_id"] == w.made.party_ids["respondent"]
    case = await case_of(services, w.made.case.id)
    assert case.status == "confirmation_rejected"
    assert "remediate" in allowed_events(case.status, case.channel)  # CPL 206: mediate again
    text = text_of(await pdf_of(services, body["document_id"]))
    assert "驳回" in text and "违反自愿原则" in text and "提起诉讼" in text
    row = await application(services, w.cid)
    assert row.ruling_code and row.ruling_code in text.replace(" ", "")


async def test_only_the_designated_judge_rules_L25(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.judge)
    r = await client.post(f"{w.base}/rule", json={"outcome": "valid", "reason": "x"})
    assert r.status_code == 403  # not accepted yet, no judge designated
    await accepted(services, client, w)
    for user in (w.clerk, w.judge2, w.other_judge, w.applicant):
        await as_user(client, services, user)
        r = await client.post(f"{w.base}/rule", json={"outcome": "valid", "reason": "x"})
        assert r.status_code == 403, (user.role, r.text)
    assert (await application(services, w.cid)).status == "accepted"
    assert (await case_of(services, w.made.case.id)).status == "confirmation_applied"
