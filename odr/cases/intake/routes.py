"""HTTP endpoints of intake and review (all JSON under /api/v1; CSRF on writes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.intake import review
from odr.cases.intake.notice import Notice, current_notice
from odr.cases.intake.schemas import (
    AmendIn,
    ApplicationIn,
    CaseRef,
    QueueQuery,
    ReferralIn,
    RejectIn,
    ReviewQueue,
    WalkInIn,
)
from odr.cases.intake.service import (
    Filed,
    file_application,
    idempotency_key,
    refer_case,
    register_walk_in,
)
from odr.cases.models import Case
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission


def _filed(filed: Filed) -> Response:
    """201 for a new case, 200 when the key repeats an earlier request; Location either way."""
    response = ok(filed.case, status=201 if filed.created else 200)
    response.headers["Location"] = f"/api/v1/cases/{filed.case.id}"
    return response


def _ref(case: Case) -> Response:
    return ok(CaseRef(id=case.id, number=case.number, status=case.status))


@endpoint(permission=Permission.PUBLIC_READ, resp=Notice, tags=("cases",))
async def get_notice(_request: Request, _actor: Actor) -> Response:
    """The platform notice (zh-CN and en) and the version an applicant confirms when filing (L1)."""
    return ok(current_notice())


@endpoint(permission=Permission.CASE_FILE, json=ApplicationIn, resp=CaseRef, status=201,
          tags=("cases",))
async def post_application(request: Request, actor: Actor, json: ApplicationIn) -> Response:
    """File a mediation application online, as an applicant or as an applicant's agent.

    Needs the header `Idempotency-Key`: a retry with the same key returns the
    same case with 200 and files nothing. The body confirms the current
    notice (`notice_version`) and `consent_to_online_mediation: true` (L1).
    An agent names its principal (`agent.principal_index`) and the power of
    attorney uploaded with POST /api/v1/files.
    """
    key = idempotency_key(request, required=True)
    return _filed(await file_application(services_of(request), actor, json, key))


@endpoint(permission=Permission.CASE_REFER, json=ReferralIn, resp=CaseRef, status=201,
          tags=("cases",))
async def post_referral(request: Request, actor: Actor, json: ReferralIn) -> Response:
    """A judge or clerk refers a dispute: `delegated` (委派, before filing) or `entrusted`
    (委托, after filing, with the court case number and procedure). `Idempotency-Key` optional."""
    key = idempotency_key(request, required=False)
    return _filed(await refer_case(services_of(request), actor, json, key))


@endpoint(permission=Permission.CASE_WALK_IN, json=WalkInIn, resp=CaseRef, status=201,
          tags=("cases",))
async def post_walk_in(request: Request, actor: Actor, json: WalkInIn) -> Response:
    """An institution admin registers a dispute brought to the desk; the applicants'
    consent was taken in person (L1). `Idempotency-Key` optional."""
    key = idempotency_key(request, required=False)
    return _filed(await register_walk_in(services_of(request), actor, json, key))


@endpoint(permission=Permission.REVIEW_QUEUE, query=QueueQuery, resp=ReviewQueue,
          tags=("review",))
async def get_review_queue(request: Request, actor: Actor, query: QueueQuery) -> Response:
    """Cases awaiting this user's review, oldest first."""
    return ok(await review.review_queue(services_of(request), actor, query))


@endpoint(permission=Permission.CASE_REVIEW, resp=CaseRef, tags=("review",))
async def post_start_review(request: Request, actor: Actor) -> Response:
    """Take a submitted case into review."""
    case_id = request.path_params["case_id"]
    return _ref(await review.start_review(services_of(request), actor, case_id))


@endpoint(permission=Permission.CASE_REVIEW, resp=CaseRef, tags=("review",))
async def post_accept(request: Request, actor: Actor) -> Response:
    """Accept the case; an institution admin's acceptance also assigns it to the institution."""
    case_id = request.path_params["case_id"]
    return _ref(await review.accept(services_of(request), actor, case_id))


@endpoint(permission=Permission.CASE_REVIEW, json=RejectIn, resp=CaseRef, tags=("review",))
async def post_reject(request: Request, actor: Actor, json: RejectIn) -> Response:
    """Send the application back with a reason the applicant sees."""
    case_id = request.path_params["case_id"]
    return _ref(await review.reject(services_of(request), actor, case_id, json.reason))


@endpoint(permission=Permission.CASE_AMEND, json=AmendIn, resp=CaseRef, tags=("cases",))
async def put_application(request: Request, actor: Actor, json: AmendIn) -> Response:
    """Fix a rejected application (then resubmit it)."""
    case_id = request.path_params["case_id"]
    return _ref(await review.amend(services_of(request), actor, case_id, json))


@endpoint(permission=Permission.CASE_AMEND, resp=CaseRef, tags=("cases",))
async def post_resubmit(request: Request, actor: Actor) -> Response:
    """Submit a rejected application again."""
    case_id = request.path_params["case_id"]
    return _ref(await review.resubmit(services_of(request), actor, case_id))


routes = [
    Route("/api/v1/notice", get_notice, methods=["GET"]),
    Route("/api/v1/cases/applications", post_application, methods=["POST"]),
    Route("/api/v1/cases/referrals", post_referral, methods=["POST"]),
    Route("/api/v1/cases/walk-ins", post_walk_in, methods=["POST"]),
    Route("/api/v1/review/queue", get_review_queue, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/review/start", post_start_review, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/review/accept", post_accept, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/review/reject", post_reject, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/application", put_application, methods=["PUT"]),
    Route("/api/v1/cases/{case_id:int}/resubmit", post_resubmit, methods=["POST"]),
]
