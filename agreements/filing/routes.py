"""HTTP API of court filings (L37): the court's list, one filing, and the court's acts.

Every handler loads the filing and its case, builds the policy's
``CourtFilingView`` and asks ``authorize`` first. A statement or ruling is
rendered and signed in a read transaction, then stored, served and the case
moved in one write transaction that checks the filing again (so two judges
acting at once leave one 409 and one document).
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.filing.schemas import (
    FilingList,
    FilingOut,
    FilingQuery,
    IssuedOut,
    RecordBody,
    StatementBody,
    WithdrawalBody,
)
from agreements.filing.service import (
    court_act,
    issue_court_document,
    prepare_court_document,
    record_filing,
)
from agreements.filing.statement_pdf import CourtDocumentKind
from agreements.models import Agreement, CourtFiling, CourtFilingKind, CourtFilingStatus
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.orgs.models import Court
from odr.policy import Actor, Permission, authorize
from odr.policy.agreements import CourtFilingView

TAGS = ("court filings",)


def _actions(filing: CourtFiling) -> list[str]:
    if filing.status != CourtFilingStatus.SUBMITTED:
        return []
    if filing.kind == CourtFilingKind.RECORD:
        return ["record"]
    return ["statement", "withdrawal_ruling"]


async def filing_out(uow: UnitOfWork, filing: CourtFiling, case: Case) -> FilingOut:
    agreement = await uow.session.get(Agreement, filing.agreement_id)
    court = await uow.session.get(Court, filing.court_id)
    assert agreement is not None
    return FilingOut(
        id=filing.id, case_id=case.id, case_number=case.number, case_title=case.title,
        case_status=case.status, channel=case.channel, court_id=filing.court_id,
        court_name=court.name_zh if court else "", kind=filing.kind,  # type: ignore[arg-type]
        status=filing.status,  # type: ignore[arg-type]
        submitted_at=filing.submitted_at, agreement_id=agreement.id,
        agreement_verification_code=agreement.verification_code,
        agreement_document_id=agreement.pdf_document_id, handled_by_id=filing.handled_by_id,
        handled_at=filing.handled_at, outcome_document_id=filing.outcome_document_id,
        outcome_code=filing.outcome_code, note=filing.note,
        actions=_actions(filing),  # type: ignore[arg-type]
    )


async def _authorized(
    uow: UnitOfWork, request: Request, actor: Actor, permission: Permission, *, lock: bool = False
) -> tuple[CourtFiling, Case]:
    filing_id = int(request.path_params["filing_id"])
    stmt = select(CourtFiling).where(CourtFiling.id == filing_id)
    found = (await uow.session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("no such court filing", code="filing_not_found")
    if lock:
        case = await load_case_for_update(uow, found.case_id)
        await uow.session.refresh(found, with_for_update=True)
    else:
        loaded = await uow.session.get(Case, found.case_id)
        if loaded is None:
            raise NotFound("no such case")
        case = loaded
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, permission, CourtFilingView(
        case=view, court_id=found.court_id, kind=found.kind, status=found.status,
    ))
    return found, case


@endpoint(permission=Permission.COURT_FILING_QUEUE, query=FilingQuery, resp=FilingList, tags=TAGS)
async def list_filings(request: Request, actor: Actor, query: FilingQuery) -> Response:
    """Agreements returned or filed for record with the actor's courts, newest first."""
    async with services_of(request).db.reader() as uow:
        stmt = (
            select(CourtFiling, Case).join(Case, Case.id == CourtFiling.case_id)
            .where(CourtFiling.court_id.in_(sorted(actor.court_ids)))
            .order_by(CourtFiling.submitted_at.desc(), CourtFiling.id.desc())
        )
        if query.status is not None:
            stmt = stmt.where(CourtFiling.status == query.status)
        rows = (await uow.session.execute(stmt)).all()
        items = [await filing_out(uow, filing, case) for filing, case in rows]
    return ok(FilingList(items=items))


@endpoint(permission=Permission.COURT_FILING_READ, resp=FilingOut, tags=TAGS)
async def get_filing(request: Request, actor: Actor) -> Response:
    async with services_of(request).db.reader() as uow:
        filing, case = await _authorized(uow, request, actor, Permission.COURT_FILING_READ)
        out = await filing_out(uow, filing, case)
    return ok(out)


@endpoint(permission=Permission.COURT_FILING_HANDLE, json=RecordBody, resp=FilingOut, tags=TAGS)
async def record(request: Request, actor: Actor, json: RecordBody) -> Response:
    """Acknowledge a delegated agreement filed for record (备案, L37)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        filing, case = await _authorized(
            uow, request, actor, Permission.COURT_FILING_HANDLE, lock=True
        )
        await record_filing(uow, services, case, filing, await court_act(uow, Who.of(actor)),
                            json.note)
        out = await filing_out(uow, filing, case)
    return ok(out)


async def _issue(request: Request, actor: Actor, kind: CourtDocumentKind, text: str) -> Response:
    services = services_of(request)
    async with services.db.reader() as uow:
        filing, case = await _authorized(uow, request, actor, Permission.COURT_FILING_HANDLE)
        act = await court_act(uow, Who.of(actor))
        data, pdf = await prepare_court_document(uow, services, case, filing, kind, act, text)
    async with services.db.uow() as uow:
        filing, case = await _authorized(
            uow, request, actor, Permission.COURT_FILING_HANDLE, lock=True
        )
        issued = await issue_court_document(uow, services, case, filing, kind, act, text, data, pdf)
        out = IssuedOut(
            filing=await filing_out(uow, filing, case), document_id=issued.document.id,
            outcome_code=data.outcome_code, served_party_ids=issued.served_party_ids,
            paper_party_ids=issued.paper_party_ids,
        )
    return ok(out, status=201)


@endpoint(permission=Permission.COURT_FILING_HANDLE, json=StatementBody, resp=IssuedOut,
          status=201, tags=TAGS)
async def issue_statement(request: Request, actor: Actor, json: StatementBody) -> Response:
    """Review the returned agreement and issue the mediation statement (调解书, L37, SMR 20)."""
    return await _issue(request, actor, CourtDocumentKind.STATEMENT, json.text)


@endpoint(permission=Permission.COURT_FILING_HANDLE, json=WithdrawalBody, resp=IssuedOut,
          status=201, tags=TAGS)
async def rule_withdrawal(request: Request, actor: Actor, json: WithdrawalBody) -> Response:
    """The plaintiff withdraws after the agreement: rule, serve the ruling (L37, SMR 20)."""
    return await _issue(request, actor, CourtDocumentKind.WITHDRAWAL, json.reason)


routes = [
    Route("/api/v1/court/filings", list_filings, methods=["GET"]),
    Route("/api/v1/court-filings/{filing_id:int}", get_filing, methods=["GET"]),
    Route("/api/v1/court-filings/{filing_id:int}/record", record, methods=["POST"]),
    Route("/api/v1/court-filings/{filing_id:int}/statement", issue_statement, methods=["POST"]),
    Route(
        "/api/v1/court-filings/{filing_id:int}/withdrawal-ruling", rule_withdrawal,
        methods=["POST"],
    ),
]
