"""Ending a mediation without agreement, and the court's transfer package."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.documents.routes import load_case
from odr.cases.documents.schemas import DocumentOut
from odr.cases.ending.package import ensure_transfer_package
from odr.cases.ending.service import CONSEQUENCE_ZH, COURT_CHANNELS, consequence_of, end_mediation
from odr.cases.lifecycle import EndGround
from odr.cases.models import CaseDocument
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize


class EndRequest(StrictModel):
    ground: EndGround
    reasons: str = Field(min_length=1, max_length=5000)
    cost_conduct: str | None = Field(default=None, max_length=2000)  # conduct that raised costs


class EndResult(BaseModel):
    case_id: int
    status: str
    end_ground: str
    end_reasons: str
    closed_at: datetime
    consequence: str  # sent_for_filing | returned_to_trial | may_sue
    consequence_text: str
    transfer_package_queued: bool


class TransferPackageOut(BaseModel):
    case_id: int
    generated_at: datetime
    pdf: DocumentOut
    zip: DocumentOut
    included_document_ids: list[int]
    excluded_count: int


@endpoint(permission=Permission.CASE_END, json=EndRequest, resp=EndResult, tags=("cases",))
async def end_case(request: Request, actor: Actor, json: EndRequest) -> Response:
    """End the mediation without agreement on a recorded ground (L14).

    By the case's mediator or its institution's staff. The case fails with
    its ground and reasons kept; a delegated case is sent to the court for
    filing, an entrusted one back to trial, and in other cases the parties
    are told they may sue. Court cases get their transfer package at once.
    """
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        authorize(actor, Permission.CASE_END, await case_view(uow.session, case, services.clock.now()))
        await end_mediation(
            uow, services, case, Who.of(actor), ground=json.ground, reasons=json.reasons,
            cost_conduct=json.cost_conduct,
        )
        consequence = consequence_of(case.channel)
        assert case.closed_at is not None
        out = EndResult(
            case_id=case.id, status=case.status, end_ground=case.end_ground or json.ground,
            end_reasons=case.end_reasons or json.reasons, closed_at=case.closed_at,
            consequence=consequence, consequence_text=CONSEQUENCE_ZH[consequence],
            transfer_package_queued=case.channel in COURT_CHANNELS,
        )
    return ok(out)


@endpoint(permission=Permission.TRANSFER_PACKAGE_READ, resp=TransferPackageOut, tags=("cases",))
async def get_transfer_package(request: Request, actor: Actor) -> Response:
    """The transfer package of a failed case (made now if the worker has not made it yet).

    Staff only. Its two documents download through the documents API.
    Confidential and mediator-only material is never in it (L11).
    """
    services = services_of(request)
    case_id = request.path_params["case_id"]
    async with services.db.reader() as uow:
        case = await load_case(uow.session, case_id)
        authorize(actor, Permission.TRANSFER_PACKAGE_READ, await case_view(uow.session, case, services.clock.now()))
    package = await ensure_transfer_package(services, case_id, Who.of(actor))
    async with services.db.reader() as uow:
        pdf = await uow.session.get(CaseDocument, package.pdf_document_id)
        archive = await uow.session.get(CaseDocument, package.zip_document_id)
        assert pdf is not None and archive is not None
        out = TransferPackageOut(
            case_id=case_id, generated_at=package.generated_at, pdf=DocumentOut.of(pdf),
            zip=DocumentOut.of(archive), included_document_ids=list(package.included_document_ids),
            excluded_count=package.excluded_count,
        )
    return ok(out)


routes = [
    Route("/api/v1/cases/{case_id:int}/end", end_case, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/transfer-package", get_transfer_package, methods=["GET"]),
]
