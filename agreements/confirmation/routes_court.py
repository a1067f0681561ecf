"""The court's confirmation routes (L23-L27, OMR 23), all under /api/v1, CSRF on writes.

- ``GET /court/confirmations?status=``: the queue of the caller's courts;
- ``POST /confirmation-applications/{cid}/accept|refuse|request-supplement|extend|
  questioning|rule``;
- ``GET /confirmation-applications/{cid}/warnings``: sham-mediation signs for the judge.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.confirmation import court
from agreements.confirmation.court_deadlines import COURT_KINDS, SUBJECT
from agreements.confirmation.ruling import rule as rule_application
from agreements.confirmation.schemas import (
    AcceptIn,
    CourtApplicationOut,
    CourtQueueOut,
    CourtQueueQuery,
    DeadlineRef,
    ExtendIn,
    QuestioningIn,
    QuestioningOut,
    RefuseIn,
    RuleIn,
    RulingOut,
    SupplementIn,
    WarningOut,
    WarningsOut,
)
from agreements.confirmation.warnings import agreed_sum_fen, warnings_for
from agreements.models import (
    Agreement,
    AgreementVersion,
    ConfirmationApplication,
    ConfirmationStatus,
)
from odr.cases.deadlines.service import LIVE
from odr.cases.models import Case, Deadline
from odr.db.uow import UnitOfWork
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission
from odr.services import Services

TAGS = ("judicial confirmation (court)",)
QUEUE_STATUSES = (ConfirmationStatus.APPLIED, ConfirmationStatus.SUPPLEMENT_REQUESTED,
                  ConfirmationStatus.ACCEPTED)
QUEUE_LIMIT = 200


def _cid(request: Request) -> int:
    return int(request.path_params["application_id"])


async def application_out(
    uow: UnitOfWork, services: Services, application: ConfirmationApplication, case: Case
) -> CourtApplicationOut:
    settings = services.settings
    warnings = await warnings_for(
        uow.session, application, sum_threshold_fen=settings.confirmation_warning_sum_fen,
        within_minutes=settings.confirmation_warning_minutes,
    )
    agreement = await uow.session.get(Agreement, application.agreement_id)
    assert agreement is not None
    content = (await uow.session.execute(select(AgreementVersion.content).where(
        AgreementVersion.agreement_id == agreement.id,
        AgreementVersion.number == (agreement.effective_version or agreement.current_version),
    ))).scalar_one_or_none() or {}
    deadlines = (await uow.session.execute(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.subject_type == SUBJECT,
        Deadline.subject_id == application.id, Deadline.kind.in_(COURT_KINDS),
        Deadline.status.in_(LIVE),
    ).order_by(Deadline.id))).scalars()
    return CourtApplicationOut(
        id=application.id, case_id=case.id, case_number=case.number, case_title=case.title,
        agreement_id=application.agreement_id, court_id=application.court_id,
        status=application.status, applied_at=application.applied_at,
        accepted_at=application.accepted_at, judge_user_id=application.judge_user_id,
        supplement_note=application.supplement_note, extended_at=application.extended_at,
        extension_approved_by_id=application.extension_approved_by_id,
        questioning_meeting_id=application.questioning_meeting_id, ruled_at=application.ruled_at,
        rejection_ground=application.rejection_ground, ruling_reason=application.ruling_reason,
        ruling_document_id=application.ruling_document_id, ruling_code=application.ruling_code,
        closed_at=application.closed_at, close_reason=application.close_reason,
        claim_amount_fen=case.claim_amount_fen, agreed_sum_fen=agreed_sum_fen(content),
        warning_count=len(warnings),
        deadlines=[DeadlineRef(id=d.id, kind=d.kind, rule=d.rule, due_at=d.due_at,
                               last_day=d.last_day, status=d.status, provisional=d.provisional)
                   for d in deadlines],
    )


@endpoint(permission=Permission.CONFIRMATION_QUEUE, query=CourtQueueQuery, resp=CourtQueueOut,
          tags=TAGS)
async def court_queue(request: Request, actor: Actor, query: CourtQueueQuery) -> Response:
    """Applications awaiting the caller's courts: acceptance, supplements, rulings (L25)."""
    services = services_of(request)
    statuses = [query.status] if query.status else list(QUEUE_STATUSES)
    if not actor.court_ids:
        return ok(CourtQueueOut(items=[]))
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(ConfirmationApplication, Case)
            .join(Case, Case.id == ConfirmationApplication.case_id)
            .where(ConfirmationApplication.court_id.in_(sorted(actor.court_ids)),
                   ConfirmationApplication.status.in_(statuses))
            .order_by(ConfirmationApplication.applied_at, ConfirmationApplication.id)
            .limit(QUEUE_LIMIT)
        )).tuples().all()
        items = [await application_out(uow, services, a, c) for a, c in rows]
    return ok(CourtQueueOut(items=items))


@endpoint(permission=Permission.CONFIRMATION_COURT_ACT, json=AcceptIn, resp=CourtApplicationOut,
          tags=TAGS)
async def accept(request: Request, actor: Actor, json: AcceptIn) -> Response:
    """Accept within 3 days and designate the one judge (L25); the 15-day clock starts."""
    services = services_of(request)
    async with services.db.uow() as uow:
        loaded = await court.accept(uow, services, actor, _cid(request), json.judge_user_id)
        out = await application_out(uow, services, loaded.application, loaded.case)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_COURT_ACT, json=RefuseIn, resp=CourtApplicationOut,
          tags=TAGS)
async def refuse(request: Request, actor: Actor, json: RefuseIn) -> Response:
    """Not accepted (L24 kinds, no jurisdiction): the case returns to agreement_effective."""
    services = services_of(request)
    async with services.db.uow() as uow:
        loaded = await court.refuse(uow, services, actor, _cid(request), json.reason)
        out = await application_out(uow, services, loaded.application, loaded.case)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_COURT_ACT, json=SupplementIn,
          resp=CourtApplicationOut, tags=TAGS)
async def request_supplement(request: Request, actor: Actor, json: SupplementIn) -> Response:
    """Ask for missing materials by a deadline (L23); unanswered → deemed withdrawn (L27)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        await court.request_supplement(uow, services, actor, _cid(request), json.note, json.days)
        loaded = await court.load_application(uow, services, _cid(request), lock=False)
        out = await application_out(uow, services, loaded.application, loaded.case)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_RULE, json=ExtendIn, resp=CourtApplicationOut,
          tags=TAGS)
async def extend(request: Request, actor: Actor, json: ExtendIn) -> Response:
    """+10 days once with another judge's (the president's) approval (L25)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        await court.extend(uow, services, actor, _cid(request), json.approved_by_id, json.reason)
        loaded = await court.load_application(uow, services, _cid(request), lock=False)
        out = await application_out(uow, services, loaded.application, loaded.case)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_COURT_ACT, json=QuestioningIn, resp=QuestioningOut,
          status=201, tags=TAGS)
async def questioning(request: Request, actor: Actor, json: QuestioningIn) -> Response:
    """Both parties questioned together in a video hearing (INT 356)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        meeting = await court.schedule_questioning(
            uow, services, actor, _cid(request), json.starts_at, json.duration_minutes)
        loaded = await court.load_application(uow, services, _cid(request), lock=False)
        out = QuestioningOut(
            application=await application_out(uow, services, loaded.application, loaded.case),
            meeting_id=meeting.id, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
        )
    return ok(out, status=201)


@endpoint(permission=Permission.CONFIRMATION_RULE, json=RuleIn, resp=RulingOut, status=201,
          tags=TAGS)
async def rule(request: Request, actor: Actor, json: RuleIn) -> Response:
    """The designated judge rules valid or rejects on an INT 358 ground (L26); served (L33)."""
    services = services_of(request)
    ruled = await rule_application(services, actor, _cid(request), outcome=json.outcome,
                                   ground=json.ground, reason=json.reason)
    async with services.db.reader() as uow:
        loaded = await court.load_application(uow, services, _cid(request), lock=False)
        out = RulingOut(
            application=await application_out(uow, services, loaded.application, loaded.case),
            document_id=ruled.document.id, ruling_code=loaded.application.ruling_code or "",
            served_party_ids=ruled.served_party_ids, paper_party_ids=ruled.paper_party_ids,
        )
    return ok(out, status=201)


@endpoint(permission=Permission.CONFIRMATION_COURT_ACT, resp=WarningsOut, tags=TAGS)
async def warnings(request: Request, actor: Actor) -> Response:
    """Sham-mediation signs (OMR 23) for the court before it decides."""
    services = services_of(request)
    settings = services.settings
    async with services.db.reader() as uow:
        loaded = await court.authorized(uow, services, actor, _cid(request),
                                        Permission.CONFIRMATION_COURT_ACT, lock=False)
        found = await warnings_for(
            uow.session, loaded.application,
            sum_threshold_fen=settings.confirmation_warning_sum_fen,
            within_minutes=settings.confirmation_warning_minutes,
        )
    return ok(WarningsOut(
        application_id=_cid(request), count=len(found),
        warnings=[WarningOut(code=w.code, message=w.message, details=w.details) for w in found],
    ))


_BASE = "/api/v1/confirmation-applications/{application_id:int}"
routes = [
    Route("/api/v1/court/confirmations", court_queue, methods=["GET"]),
    Route(f"{_BASE}/accept", accept, methods=["POST"]),
    Route(f"{_BASE}/refuse", refuse, methods=["POST"]),
    Route(f"{_BASE}/request-supplement", request_supplement, methods=["POST"]),
    Route(f"{_BASE}/extend", extend, methods=["POST"]),
    Route(f"{_BASE}/questioning", questioning, methods=["POST"]),
    Route(f"{_BASE}/rule", rule, methods=["POST"]),
    Route(f"{_BASE}/warnings", warnings, methods=["GET"]),
]
