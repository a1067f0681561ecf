"""HTTP API of electronic service (L33-L35): addresses, serving, records, links, receipts, paper copies.

Every handler loads the case, builds its policy view and asks ``authorize``
first; a party (or its agent) then sees only its own parties' rows, the case's
staff see all.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.models import Case, CaseDocument, CaseParty
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.eservice.addresses import (
    AddressForm,
    PartyConsent,
    confirm_addresses,
    parties_acted_for,
    parties_of,
    party_consent,
)
from odr.eservice.delivery import open_record, record_for_token
from odr.eservice.models import DocumentService, PaperCopyRequest, ServiceRecord
from odr.eservice.paper import mark_sent, request_paper_copy
from odr.eservice.receipts import receipt_pdf
from odr.eservice.schemas import (
    AddressOut,
    PaperCopyBody,
    PaperCopyList,
    PaperCopyOut,
    PaperCopySentBody,
    PartyServiceAddress,
    ServeBody,
    ServedRecord,
    ServedTo,
    ServeResult,
    ServiceAddressForm,
    ServiceAddressList,
    ServiceRecordList,
    ServiceRecordOut,
    ServiceRecordQuery,
)
from odr.eservice.service import serve_document
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize, is_case_staff

TAGS = ("electronic service",)


async def _authorized_case(
    uow: UnitOfWork, request: Request, actor: Actor, permission: Permission, *, lock: bool = False
) -> tuple[Case, CaseView]:
    case_id = int(request.path_params["case_id"])
    if lock:
        case = await load_case_for_update(uow, case_id)
    else:
        found = await uow.session.get(Case, case_id)
        if found is None:
            raise NotFound("no such case")
        case = found
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, permission, view)
    return case, view


async def _visible_parties(
    uow: UnitOfWork, request: Request, case: Case, actor: Actor, view: CaseView
) -> set[int] | None:
    """The parties whose rows ``actor`` sees: None for the case's staff (all of them)."""
    if is_case_staff(actor, view):
        return None
    return await parties_acted_for(uow.session, case.id, actor.user_id, services_of(request).clock.now())


async def _acting_party(
    uow: UnitOfWork, request: Request, case: Case, actor: Actor, party_id: int | None
) -> CaseParty:
    """The party a form is for: the one named, which the actor must act for, or its only one."""
    mine = await parties_acted_for(uow.session, case.id, actor.user_id, services_of(request).clock.now())
    if party_id is None:
        if len(mine) != 1:
            raise ValidationFailed(
                "you act for several parties of this case: name the party",
                details=[{"field": "party_id", "message": "required", "choices": sorted(mine)}],
            )
        party_id = next(iter(mine))
    if party_id not in mine:
        raise Forbidden("you do not act for this party", code="not_your_party")
    party = await uow.session.get(CaseParty, party_id)
    assert party is not None
    return party


def _standing(party: CaseParty, consent: PartyConsent) -> PartyServiceAddress:
    return PartyServiceAddress(
        party_id=party.id, name=party.name, side=party.side, consents=consent.consents,
        basis=consent.basis, decision=consent.decision, decided_at=consent.decided_at,
        reason=consent.refusal,
        addresses=[AddressOut(channel=a.channel, address=a.address, confirmed=a.confirmed)
                   for a in consent.addresses],
    )


async def _document_of(uow: UnitOfWork, case: Case, document_id: int) -> CaseDocument:
    document = await uow.session.get(CaseDocument, document_id)
    if document is None or document.case_id != case.id:
        raise NotFound("no such document in this case", code="document_not_found")
    return document


@endpoint(permission=Permission.SERVICE_READ, resp=ServiceAddressList, tags=TAGS)
async def get_service_addresses(request: Request, actor: Actor) -> Response:
    """Who may be served electronically, on what basis and where (L33): a party sees its own."""
    async with services_of(request).db.reader() as uow:
        case, view = await _authorized_case(uow, request, actor, Permission.SERVICE_READ)
        visible = await _visible_parties(uow, request, case, actor, view)
        items = [
            _standing(p, await party_consent(uow.session, case, p))
            for p in await parties_of(uow.session, case.id)
            if visible is None or p.id in visible
        ]
    return ok(ServiceAddressList(items=items))


@endpoint(
    permission=Permission.SERVICE_ADDRESS_CONFIRM, json=ServiceAddressForm,
    resp=PartyServiceAddress, status=201, tags=TAGS,
)
async def confirm_service_address(request: Request, actor: Actor, json: ServiceAddressForm) -> Response:
    """Fill in the address-confirmation form: agree with addresses, or refuse (L33)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, _ = await _authorized_case(
            uow, request, actor, Permission.SERVICE_ADDRESS_CONFIRM, lock=True
        )
        party = await _acting_party(uow, request, case, actor, json.party_id)
        form = AddressForm(
            agree=json.decision == "agree", mobile=json.mobile or None, email=json.email or None,
            inapp=json.inapp, reason=json.reason,
        )
        await confirm_addresses(uow, services, case, party, form, Who.of(actor))
        out = _standing(party, await party_consent(uow.session, case, party))
    return ok(out, status=201)


@endpoint(permission=Permission.DOCUMENT_SERVE, json=ServeBody, resp=ServeResult, status=201, tags=TAGS)
async def serve(request: Request, actor: Actor, json: ServeBody) -> Response:
    """Serve a document on parties that consent (L33); 409 ``consent_missing`` serves nobody."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, _ = await _authorized_case(uow, request, actor, Permission.DOCUMENT_SERVE, lock=True)
        document = await _document_of(uow, case, int(request.path_params["document_id"]))
        served = await serve_document(uow, services, case, document, json.recipients, Who.of(actor))
        out = ServeResult(document_id=document.id, results=[
            ServedTo(
                party_id=s.party_id, service_id=s.service.id,
                status="already_served" if s.already_served else "served",
                consent_basis=s.service.consent_basis,
                records=[ServedRecord(id=r.id, channel=r.channel, address=r.address,
                                      address_confirmed=r.address_confirmed) for r in s.records],
            )
            for s in served
        ])
    fresh = any(r.status == "served" for r in out.results)
    return ok(out, status=201 if fresh else 200)


@endpoint(
    permission=Permission.SERVICE_READ, query=ServiceRecordQuery, resp=ServiceRecordList, tags=TAGS
)
async def list_service_records(request: Request, actor: Actor, query: ServiceRecordQuery) -> Response:
    """The service trail: staff see every record, a party its own."""
    async with services_of(request).db.reader() as uow:
        case, view = await _authorized_case(uow, request, actor, Permission.SERVICE_READ)
        visible = await _visible_parties(uow, request, case, actor, view)
        stmt = (
            select(ServiceRecord, DocumentService, CaseDocument.title, CaseDocument.kind, CaseParty.name)
            .join(DocumentService, DocumentService.id == ServiceRecord.service_id)
            .join(CaseDocument, CaseDocument.id == DocumentService.document_id)
            .join(CaseParty, CaseParty.id == ServiceRecord.party_id)
            .where(ServiceRecord.case_id == case.id)
            .order_by(ServiceRecord.id)
        )
        if query.document_id is not None:
            stmt = stmt.where(DocumentService.document_id == query.document_id)
        if visible is not None:
            stmt = stmt.where(ServiceRecord.party_id.in_(sorted(visible)))
        rows = (await uow.session.execute(stmt)).all()
        items = [
            ServiceRecordOut(
                id=r.id, service_id=s.id, document_id=s.document_id, document_title=title,
                document_kind=kind,
                party_id=r.party_id, recipient_name=name, consent_basis=s.consent_basis,
                channel=r.channel, address=r.address, address_confirmed=r.address_confirmed,
                queued_at=r.queued_at, sent_at=r.sent_at, delivered_at=r.delivered_at,
                opened_at=r.opened_at, completed_at=r.completed_at,
                completion_basis=r.completion_basis, service_completed_at=s.completed_at,
                service_completion_basis=s.completion_basis,
                counts_for_service=s.completed_record_id == r.id,
                receipt_url=f"/api/v1/service-records/{r.id}/receipt",
                receipt_document_id=s.receipt_document_id,
            )
            for r, s, title, kind, name in rows
        ]
    return ok(ServiceRecordList(items=items))


@endpoint(permission=Permission.SERVICE_OPEN, tags=TAGS)
async def open_service(request: Request, actor: Actor) -> Response:
    """The link in a service message: the signed-in recipient gets the document; opened once."""
    services = services_of(request)
    token = request.path_params["token"]
    async with services.db.uow() as uow:
        record = await record_for_token(uow, token)
        case = await uow.session.get(Case, record.case_id)
        assert case is not None
        authorize(actor, Permission.SERVICE_OPEN, await case_view(uow.session, case, services.clock.now()))
        opened = await open_record(uow, services, record, token, actor)
        document = opened.document
        record_id = opened.record.id
    data = await services.storage.get_bytes(document.blob_sha256)
    return Response(data, media_type=document.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
        "X-Service-Record-Id": str(record_id),
        "Cache-Control": "no-store",
    })


@endpoint(permission=Permission.SERVICE_READ, tags=TAGS)
async def get_receipt(request: Request, actor: Actor) -> Response:
    """The service receipt (送达回证) of one record, as PDF."""
    services = services_of(request)
    record_id = int(request.path_params["record_id"])
    async with services.db.reader() as uow:
        record = await uow.session.get(ServiceRecord, record_id)
        if record is None:
            raise NotFound("no such service record")
        case = await uow.session.get(Case, record.case_id)
        assert case is not None
        view = await case_view(uow.session, case, services.clock.now())
        authorize(actor, Permission.SERVICE_READ, view)
        visible = await _visible_parties(uow, request, case, actor, view)
        if visible is not None and record.party_id not in visible:
            raise NotFound("no such service record")
    pdf = await receipt_pdf(services, record_id)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="service-receipt-{record_id}.pdf"',
        "Cache-Control": "no-store",
    })


def _paper_out(row: PaperCopyRequest, title: str) -> PaperCopyOut:
    return PaperCopyOut(
        id=row.id, case_id=row.case_id, party_id=row.party_id, document_id=row.document_id,
        document_title=title, address=row.address, status=row.status,
        requested_by_id=row.requested_by_id, requested_at=row.requested_at, sent_at=row.sent_at,
        note=row.note,
    )


@endpoint(
    permission=Permission.PAPER_COPY_REQUEST, json=PaperCopyBody, resp=PaperCopyOut, status=201,
    tags=TAGS,
)
async def create_paper_copy_request(request: Request, actor: Actor, json: PaperCopyBody) -> Response:
    """Ask for a paper copy of a judgment, ruling or mediation statement served on you (L35)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, _ = await _authorized_case(uow, request, actor, Permission.PAPER_COPY_REQUEST, lock=True)
        party = await _acting_party(uow, request, case, actor, json.party_id)
        document = await _document_of(uow, case, json.document_id)
        row, created = await request_paper_copy(
            uow, services, case, party, document, json.address, Who.of(actor)
        )
        out = _paper_out(row, document.title)
    return ok(out, status=201 if created else 200)


@endpoint(permission=Permission.SERVICE_READ, resp=PaperCopyList, tags=TAGS)
async def list_paper_copy_requests(request: Request, actor: Actor) -> Response:
    """Paper-copy requests: staff see all (to send them), a party its own."""
    async with services_of(request).db.reader() as uow:
        case, view = await _authorized_case(uow, request, actor, Permission.SERVICE_READ)
        visible = await _visible_parties(uow, request, case, actor, view)
        stmt = (
            select(PaperCopyRequest, CaseDocument.title)
            .join(CaseDocument, CaseDocument.id == PaperCopyRequest.document_id)
            .where(PaperCopyRequest.case_id == case.id)
            .order_by(PaperCopyRequest.id)
        )
        if visible is not None:
            stmt = stmt.where(PaperCopyRequest.party_id.in_(sorted(visible)))
        items = [_paper_out(row, title) for row, title in (await uow.session.execute(stmt)).all()]
    return ok(PaperCopyList(items=items))


@endpoint(
    permission=Permission.PAPER_COPY_SEND, json=PaperCopySentBody, resp=PaperCopyOut, tags=TAGS
)
async def paper_copy_sent(request: Request, actor: Actor, json: PaperCopySentBody) -> Response:
    """Staff mark a paper copy as sent; the requester is told in the app."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, _ = await _authorized_case(uow, request, actor, Permission.PAPER_COPY_SEND, lock=True)
        row = await uow.session.get(PaperCopyRequest, int(request.path_params["request_id"]))
        if row is None or row.case_id != case.id:
            raise NotFound("no such paper-copy request in this case")
        await mark_sent(uow, services, case, row, json.note, Who.of(actor))
        document = await uow.session.get(CaseDocument, row.document_id)
        out = _paper_out(row, document.title if document else "")
    return ok(out)


routes = [
    Route("/api/v1/cases/{case_id:int}/service-address", get_service_addresses, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/service-address", confirm_service_address, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/documents/{document_id:int}/serve", serve, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/service-records", list_service_records, methods=["GET"]),
    Route("/api/v1/service/{token}", open_service, methods=["GET"]),
    Route("/api/v1/service-records/{record_id:int}/receipt", get_receipt, methods=["GET"]),
    Route(
        "/api/v1/cases/{case_id:int}/paper-copy-requests", create_paper_copy_request,
        methods=["POST"],
    ),
    Route(
        "/api/v1/cases/{case_id:int}/paper-copy-requests", list_paper_copy_requests,
        methods=["GET"],
    ),
    Route(
        "/api/v1/cases/{case_id:int}/paper-copy-requests/{request_id:int}/sent", paper_copy_sent,
        methods=["POST"],
    ),
]
