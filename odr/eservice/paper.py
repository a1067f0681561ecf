"""Paper copies on request (L35, CPL 90): a judgment, ruling or mediation statement served
electronically is also given on paper when the recipient asks.

Only documents of kind ``ruling`` (judgments, rulings and mediation statements)
qualify, and only for a party the document was served on electronically; the
request is recorded for staff, who mark it sent.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.models import Case, CaseDocument, CaseParty, DocumentKind
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, ValidationFailed
from odr.eservice.models import DocumentService, PaperCopyRequest, PaperCopyStatus
from odr.notify.service import queue_for_user
from odr.services import Services

PAPER_KINDS = frozenset({DocumentKind.RULING})


async def request_paper_copy(
    uow: UnitOfWork, services: Services, case: Case, party: CaseParty, document: CaseDocument,
    address: str, who: Who,
) -> tuple[PaperCopyRequest, bool]:
    """Record the request; returns it and whether it is new (an open one is returned as is)."""
    if document.kind not in PAPER_KINDS:
        raise ValidationFailed(
            "a paper copy is given on request for judgments, rulings and mediation statements "
            f"only (L35, CPL 90); this document is of kind {document.kind}",
            code="paper_copy_not_available",
            details=[{"field": "document_id", "kind": document.kind}],
        )
    served = (await uow.session.execute(
        select(DocumentService.id).where(
            DocumentService.document_id == document.id, DocumentService.party_id == party.id
        )
    )).scalar_one_or_none()
    if served is None:
        raise Conflict(
            "this document was not served on this party electronically; "
            "a paper copy on request follows an electronic service (L35)",
            code="not_served_electronically",
        )
    open_request = (await uow.session.execute(
        select(PaperCopyRequest).where(
            PaperCopyRequest.document_id == document.id,
            PaperCopyRequest.party_id == party.id,
            PaperCopyRequest.status == PaperCopyStatus.REQUESTED,
        )
    )).scalar_one_or_none()
    if open_request is not None:
        return open_request, False
    row = PaperCopyRequest(
        case_id=case.id, party_id=party.id, document_id=document.id, address=address,
        status=PaperCopyStatus.REQUESTED, requested_by_id=who.user_id,
        requested_at=services.clock.now(),
    )
    uow.session.add(row)
    await uow.session.flush()
    await add_event(uow, services, case, "paper_copy_requested", who, data={
        "request_id": row.id, "document_id": document.id, "party_id": party.id,
    })
    return row, True


async def mark_sent(
    uow: UnitOfWork, services: Services, case: Case, row: PaperCopyRequest, note: str | None,
    who: Who,
) -> PaperCopyRequest:
    """Staff sent the paper copy: record it and tell the requester."""
    if row.status != PaperCopyStatus.REQUESTED:
        raise Conflict("this paper copy was already marked sent", code="paper_copy_already_sent")
    row.status = PaperCopyStatus.SENT
    row.sent_at = services.clock.now()
    row.sent_by_id = who.user_id
    row.note = note
    await add_event(uow, services, case, "paper_copy_sent", who, data={
        "request_id": row.id, "document_id": row.document_id, "party_id": row.party_id,
    })
    requester = await uow.session.get(User, row.requested_by_id) if row.requested_by_id else None
    document = await uow.session.get(CaseDocument, row.document_id)
    if requester is not None and document is not None:
        await queue_for_user(
            uow, services.clock, requester, template="paper_copy_sent",
            context={"name": requester.real_name, "case_number": case.number,
                     "document_title": document.title},
            channels=("inapp",), idempotency_key=f"eservice.paper:{row.id}:sent",
        )
    return row
