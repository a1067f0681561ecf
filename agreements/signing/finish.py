"""Outbox handler ``agreements.finish_pdf``: the effective agreement's signed PDF, stored and served.

``make_effective`` queues this job in the transaction that makes the
agreement effective, so the job exists exactly when the agreement is
effective. The job then does everything in ONE write transaction, with the
agreement row locked: build the data (ID numbers decrypted, audited), render,
PAdES-sign with the institution's key, store it as the case's ``agreement``
document (visible to all: the institution's copy, L17), mark ``pdf_state``
stored, serve it electronically on every party that consented (L33) and put
the others down for paper service on the timeline, then run the
``on_pdf_stored`` hooks. A crash anywhere before the commit leaves nothing
(the outbox retries); a second run after the commit sees ``stored`` and does
nothing, so there is one document and one service per party however often
the job runs.

Never nest a second write transaction here: every function called gets this
``uow``.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from agreements import effects
from agreements.models import Agreement, AgreementStatus, PdfState
from agreements.pdf.produce import signed_agreement_pdf
from agreements.signing.effect import FINISH_PDF_KIND
from odr.cases.documents.service import add_document
from odr.cases.models import Case, CaseDocument, CaseParty, DocumentKind, DocumentVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.eservice.addresses import parties_of, party_consent
from odr.eservice.models import PaperCopyRequest, PaperCopyStatus
from odr.eservice.service import serve_document
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.services import Services

WORKER = Who.system("agreements.finish_pdf")


async def finish_pdf(services: Services, message: OutboxMessage) -> None:
    """Outbox handler: idempotent per agreement (``pdf_state`` stored = done)."""
    agreement_id = int(message.payload["agreement_id"])
    async with services.db.uow() as uow:
        await finish_agreement_pdf(uow, services, agreement_id)


async def finish_agreement_pdf(uow: UnitOfWork, services: Services, agreement_id: int) -> CaseDocument | None:
    """Render, sign, store and serve the PDF of an effective agreement, in ``uow``.

    Returns the stored document, or None when there was nothing to do (already
    stored, or the agreement is not effective).
    """
    s = uow.session
    agreement = (await s.execute(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update()
        .execution_options(populate_existing=True)
    )).scalar_one_or_none()
    if agreement is None or agreement.pdf_state == PdfState.STORED:
        return None
    if agreement.status != AgreementStatus.EFFECTIVE:
        return None
    case = await s.get(Case, agreement.case_id)
    assert case is not None
    pdf = await signed_pdf(uow, services, case, agreement)
    document = await add_document(
        uow, services, case, title=_title(case, agreement), kind=DocumentKind.AGREEMENT,
        filename=_filename(case, agreement), data=pdf,
        content_type="application/pdf", visibility=DocumentVisibility.ALL,
    )
    agreement.pdf_document_id = document.id
    agreement.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    agreement.pdf_state = PdfState.STORED
    await s.flush()
    await serve_on_parties(uow, services, case, agreement, document)
    await effects.run_pdf_stored(services, uow, case, agreement, document)
    return document


def _filename(case: Case, agreement: Agreement) -> str:
    number = "".join(ch if ch.isalnum() or ch in "-_()（）" else "-" for ch in case.number)
    return f"调解协议书-{number}-v{agreement.effective_version}.pdf"


def _title(case: Case, agreement: Agreement) -> str:
    return f"调解协议书（{case.number}，第 {agreement.effective_version} 版）"


async def signed_pdf(uow: UnitOfWork, services: Services, case: Case, agreement: Agreement) -> bytes:
    """The rendered agreement, PAdES-signed with the institution's key (agreements.pdf/pki)."""
    del case  # the PDF part finds the case (and its institution) itself
    return await signed_agreement_pdf(uow, services, agreement)


async def serve_on_parties(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, document: CaseDocument
) -> tuple[list[int], list[int]]:
    """Serve ``document`` on each consenting party (L17, L33); paper service for the others.

    Returns (party ids served electronically, party ids put down for paper).
    """
    parties = await parties_of(uow.session, case.id)
    consenting: list[int] = []
    lacking: list[tuple[CaseParty, str]] = []
    for party in parties:
        consent = await party_consent(uow.session, case, party)
        if consent.consents:
            consenting.append(party.id)
        else:
            lacking.append((party, consent.refusal))
    if consenting:
        await serve_document(uow, services, case, document, recipients=consenting, who=WORKER)
    for party, why in lacking:
        await request_paper_service(uow, services, case, agreement, document, party, why)
    return consenting, [p.id for p, _ in lacking]


async def request_paper_service(
    uow: UnitOfWork, services: Services, case: Case, agreement: Agreement, document: CaseDocument,
    party: CaseParty, why: str,
) -> PaperCopyRequest:
    """A party without consent to e-service gets its copy on paper (L17, L33): staff's queue + timeline.

    ``odr.eservice.paper.request_paper_copy`` covers a party's own request after
    an electronic service (L35); here the platform itself asks staff to post
    the copy, so the row is written directly (one per document and party).
    """
    existing = (await uow.session.execute(
        select(PaperCopyRequest).where(
            PaperCopyRequest.document_id == document.id, PaperCopyRequest.party_id == party.id,
        )
    )).scalars().first()
    if existing is not None:
        return existing
    row = PaperCopyRequest(
        case_id=case.id, party_id=party.id, document_id=document.id, address=party.address or "",
        status=PaperCopyStatus.REQUESTED, requested_by_id=None, requested_at=services.clock.now(),
        note="agreement copy: no consent to electronic service (L17, L33)",
    )
    uow.session.add(row)
    await uow.session.flush()
    await add_event(uow, services, case, "agreement_paper_service_requested", WORKER, data={
        "agreement_id": agreement.id, "document_id": document.id, "party_id": party.id,
        "name": party.name, "request_id": row.id, "reason": why or "no consent to electronic service",
    })
    return row


register_handler(FINISH_PDF_KIND, finish_pdf)
