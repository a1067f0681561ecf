"""The service receipt (送达回证): a PDF with an embedded CJK font per service record (L34)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from sqlalchemy import select

from odr.cases.models import CaseDocument
from odr.services import Services
from tests.cases.eservice.support import PDF, confirm, link_of, make_world, records, serve, sha256
from tests.factories import sign_in
from tests.support.notify import deliver_pending


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


async def test_receipt_shows_the_whole_service_in_shanghai_time_L34(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    w = await make_world(services)  # the clock starts at 2026-11-02 01:00 UTC = 09:00 in Shanghai
    await confirm(client, services, w.respondent, w.case_id, email="r@example.test", inapp=True)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.respondent_party])
    services.clock.advance(minutes=1)  # 09:01
    await deliver_pending(services)
    email = (await records(services))[0]
    services.clock.advance(minutes=1)  # 09:02
    await sign_in(client, services, w.respondent)
    assert (await client.get(f"/api/v1/service/{await link_of(services, email)}")).status_code == 200

    response = await client.get(f"/api/v1/service-records/{email.id}/receipt")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "送达回证" in text
    assert w.number in text
    assert "调解通知书" in text
    assert sha256(PDF + "调解通知书".encode()) in text
    assert w.respondent.real_name in text
    last4 = w.respondent.id_doc_last4
    assert last4 is not None and ("*" * 14 + last4) in text
    assert "r@example.test" in text
    assert "2026-11-02 09:00:00" in text  # served
    assert "2026-11-02 09:01:00" in text  # sent, delivered and completed
    assert "2026-11-02 09:02:00" in text  # opened
    assert "送达信息到达受送达人确认的电子地址" in text  # the completion basis
    assert "WenQuanYiZenHei" in pdf_fonts(response.content, tmp_path)  # embedded, subset


async def test_the_completed_service_keeps_its_receipt_as_a_case_document_L34(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    w = await make_world(services)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    await deliver_pending(services)
    async with services.db.reader() as uow:
        receipt = (await uow.session.execute(
            select(CaseDocument).where(CaseDocument.kind == "service_receipt")
        )).scalar_one()
    assert receipt.case_id == w.case_id and receipt.content_type == "application/pdf"
    assert receipt.visibility == "own_side" and receipt.side == "applicant"
    stored = await services.storage.get_bytes(receipt.blob_sha256)
    text = pdf_text(stored, tmp_path)
    assert w.applicant.mobile is not None and w.applicant.mobile in text
    assert "受送达人在申请中主动提供的电子地址" in text  # consent presumed from the filing


async def test_receipts_are_for_staff_and_the_recipient_only_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    [record] = await records(services)
    url = f"/api/v1/service-records/{record.id}/receipt"
    for staff in (w.mediator, w.admin, w.judge, w.applicant):
        await sign_in(client, services, staff)
        assert (await client.get(url)).status_code == 200
    await sign_in(client, services, w.respondent)  # the other side
    assert (await client.get(url)).status_code == 404
    other = await make_world(services)
    await sign_in(client, services, other.applicant)
    assert (await client.get(url)).status_code == 403
    assert (await client.get("/api/v1/service-records/999999/receipt")).status_code == 404
