"""The effective agreement's PDF job (``agreements.finish_pdf``): crash-safe, idempotent, served (L17)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import odr.eservice.delivery  # registers eservice.send
import odr.notify.service  # noqa: F401  (registers notify.send)
from agreements.models import Agreement
from agreements.signing import finish
from agreements.signing.effect import FINISH_PDF_KIND
from odr.cases.models import CaseDocument, CaseEvent
from odr.eservice.models import DocumentService, PaperCopyRequest
from odr.outbox.drain import drain_until_empty
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.agreements.signing.support import World, sign_as, world
from tests.factories import add_signature

pytestmark = pytest.mark.usefixtures("db_url")

FAKE_PDF = b"%PDF-1.7\n% a stand-in for the rendered, signed agreement\n%%EOF\n"


async def effective_world(client: httpx.AsyncClient, services: Services) -> World:
    """Both parties and the mediator signed directly; the seal goes through the API last."""
    w = await world(services)
    await add_signature(services, w.agreement, role="party", signer=w.applicant,
                        party_id=w.applicant_party)
    await add_signature(services, w.agreement, role="party", signer=w.respondent,
                        party_id=w.respondent_party)
    await add_signature(services, w.agreement, role="mediator", signer=w.mediator)
    sealed = await sign_as(client, services, w.admin, w.agreement.id, "seal")
    assert sealed.status_code == 201 and sealed.json()["effective"] is True, sealed.text
    return w


async def counts(services: Services, w: World) -> dict[str, Any]:
    async with services.db.reader() as uow:
        s = uow.session

        async def count(model: Any, *where: Any) -> int:
            return int((await s.execute(select(func.count()).select_from(model).where(*where)))
                       .scalar_one())

        agreement = await s.get(Agreement, w.agreement.id)
        assert agreement is not None
        served = dict((await s.execute(
            select(DocumentService.party_id, func.count()).where(DocumentService.case_id == w.case.id)
            .group_by(DocumentService.party_id))).tuples().all())
        paper = dict((await s.execute(
            select(PaperCopyRequest.party_id, func.count())
            .where(PaperCopyRequest.case_id == w.case.id)
            .group_by(PaperCopyRequest.party_id))).tuples().all())
        return {
            "pdf_state": agreement.pdf_state, "pdf_sha256": agreement.pdf_sha256,
            "pdf_document_id": agreement.pdf_document_id,
            "documents": await count(CaseDocument, CaseDocument.case_id == w.case.id,
                                     CaseDocument.kind == "agreement"),
            "served": served, "paper": paper,
            "paper_events": await count(CaseEvent, CaseEvent.case_id == w.case.id,
                                        CaseEvent.kind == "agreement_paper_service_requested"),
            "pending_jobs": await count(OutboxMessage, OutboxMessage.kind == FINISH_PDF_KIND,
                                        OutboxMessage.status == "pending"),
        }


def job(agreement_id: int) -> OutboxMessage:
    return OutboxMessage(kind=FINISH_PDF_KIND, payload={"agreement_id": agreement_id},
                         idempotency_key=f"agreement:{agreement_id}:finish_pdf")


async def test_the_finish_job_run_twice_stores_one_document_and_serves_each_party_once_L17(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idempotency of the job itself (rendering and signing stubbed; the full path below)."""

    async def fake_pdf(*_args: Any) -> bytes:
        return FAKE_PDF

    monkeypatch.setattr(finish, "signed_pdf", fake_pdf)
    w = await effective_world(client, services)
    await finish.finish_pdf(services, job(w.agreement.id))
    first = await counts(services, w)
    await finish.finish_pdf(services, job(w.agreement.id))  # at-least-once delivery: again
    await drain_until_empty(services, "test")
    after = await counts(services, w)
    assert first["pdf_state"] == "stored" and first["documents"] == 1
    assert first["pdf_sha256"] == hashlib.sha256(FAKE_PDF).hexdigest()
    # The applicant filed online (consent presumed, L33): served electronically. The
    # respondent never consented: its copy goes on paper, and the timeline says so.
    assert first["served"] == {w.applicant_party: 1}
    assert first["paper"] == {w.respondent_party: 1} and first["paper_events"] == 1
    assert {k: v for k, v in after.items() if k != "pending_jobs"} == {
        k: v for k, v in first.items() if k != "pending_jobs"}
    assert after["pending_jobs"] == 0


async def test_a_crash_before_the_pdf_is_stored_leaves_the_job_to_finish_it(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fake_pdf(*_args: Any) -> bytes:
        return FAKE_PDF

    async def crash(*_args: Any) -> None:
        raise RuntimeError("worker killed between rendering and serving")

    monkeypatch.setattr(finish, "signed_pdf", fake_pdf)
    w = await effective_world(client, services)
    monkeypatch.setattr(finish, "serve_on_parties", crash)
    with pytest.raises(RuntimeError):
        await finish.finish_pdf(services, job(w.agreement.id))
    crashed = await counts(services, w)
    assert crashed["pdf_state"] == "pending" and crashed["documents"] == 0
    assert crashed["served"] == {} and crashed["pending_jobs"] == 1
    monkeypatch.undo()
    monkeypatch.setattr(finish, "signed_pdf", fake_pdf)
    await drain_until_empty(services, "test")
    done = await counts(services, w)
    assert done["pdf_state"] == "stored" and done["documents"] == 1
    assert done["served"] == {w.applicant_party: 1} and done["pending_jobs"] == 0


async def test_signatures_to_stored_signed_pdf_served_on_each_party_L16_L17(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The full path with the real renderer and PAdES signer: sign, effective, drain, served."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    from odr.eservice.models import ServiceRecord

    w = await world(services)
    for user, role, party_id in (
        (w.respondent, "party", w.respondent_party), (w.admin, "seal", None),
        (w.mediator, "mediator", None), (w.applicant, "party", w.applicant_party),
    ):
        r = await sign_as(client, services, user, w.agreement.id, role, party_id)
        assert r.status_code == 201, r.text
    assert r.json()["effective"] is True
    await drain_until_empty(services, "test")
    await drain_until_empty(services, "test")  # nothing left to do: nothing happens twice
    done = await counts(services, w)
    assert done["pdf_state"] == "stored" and done["documents"] == 1 and done["pending_jobs"] == 0
    assert done["served"] == {w.applicant_party: 1}
    assert done["paper"] == {w.respondent_party: 1} and done["paper_events"] == 1
    async with services.db.reader() as uow:
        document = await uow.session.get(CaseDocument, done["pdf_document_id"])
        assert document is not None
        assert (document.kind, document.visibility, document.content_type) == (
            "agreement", "all", "application/pdf")
        records = (await uow.session.execute(select(ServiceRecord).where(
            ServiceRecord.case_id == w.case.id))).scalars().all()
        events = (await uow.session.execute(select(CaseEvent.kind).where(
            CaseEvent.case_id == w.case.id).order_by(CaseEvent.id))).scalars().all()
    pdf = await services.storage.get_bytes(document.blob_sha256)
    assert hashlib.sha256(pdf).hexdigest() == done["pdf_sha256"]
    assert len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) == 1
    assert records and all(r.party_id == w.applicant_party and r.sent_at is not None for r in records)
    assert "document_served" in events and "agreement_paper_service_requested" in events
    assert events.index("agreement_takes_effect") < events.index("document_served")
