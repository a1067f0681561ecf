"""HTTP: respondent invitations and answers (L8), consents (L1), agent authorizations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.models import AgentScope, Case, ConsentDecision, ConsentStage
from odr.cases.parties import authorizations, consents, invitations
from odr.cases.queries import case_view
from odr.cases.transitions import load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize
from odr.services import Services

TAGS = ("cases",)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


# ---- invitations -------------------------------------------------------------------


class InvitationOut(BaseModel):
    """What an invitation link shows before anyone signs in (L3: no restricted content)."""

    side: str = Field(description="respondent: asked to agree (L8); applicant: a co-applicant joins")
    case_number: str
    applicant_names: list[str]
    category: str
    claim_amount_fen: int
    due_at: datetime
    last_day: date
    notice_version: str = Field(description="the platform notice (GET /api/v1/notice) to read")


@endpoint(permission=Permission.INVITATION_READ, resp=InvitationOut, tags=TAGS)
async def get_invitation(request: Request, _actor: Actor) -> Response:
    """The summary behind a respondent's SMS link; wrong links are throttled per address."""
    summary = await invitations.invitation_summary(
        services_of(request), request.path_params["token"], _address(request)
    )
    return ok(InvitationOut.model_validate(summary, from_attributes=True))


class ClaimOut(BaseModel):
    case_id: int
    party_id: int
    side: str  # respondent: answer next (L8); applicant: nothing to answer


@endpoint(permission=Permission.INVITATION_CLAIM, resp=ClaimOut, tags=TAGS)
async def claim_invitation(request: Request, actor: Actor) -> Response:
    """A verified user whose ID document is the party's takes its place (L2): a respondent
    (who answers next, L8) or a co-applicant named at filing."""
    claimed = await invitations.claim(
        services_of(request), actor, request.path_params["token"], _address(request)
    )
    return ok(ClaimOut(case_id=claimed.case_id, party_id=claimed.party_id, side=claimed.side))


class AnswerIn(StrictModel):
    decision: Literal["agree", "refuse"]
    reason: str | None = Field(default=None, max_length=1000)
    notice_version: str = Field(max_length=40)
    party_id: int | None = Field(
        default=None, description="needed only by an agent acting for several respondents"
    )


class AnswerOut(BaseModel):
    party_id: int
    decision: str
    status: str
    all_agreed: bool = Field(description="every respondent has now agreed to mediate (L8)")


@endpoint(permission=Permission.RESPONDENT_ANSWER, json=AnswerIn, resp=AnswerOut, tags=TAGS)
async def respondent_answer(request: Request, actor: Actor, json: AnswerIn) -> Response:
    """The respondent agrees or refuses to mediate; a refusal ends the mediation (L8)."""
    result = await invitations.answer(
        services_of(request), actor, request.path_params["case_id"], decision=json.decision,
        reason=json.reason or None, notice_version=json.notice_version, party_id=json.party_id,
    )
    return ok(AnswerOut.model_validate(result, from_attributes=True))


# ---- consents ------------------------------------------------------------------------


class ConsentOut(BaseModel):
    party_id: int
    party_name: str
    side: str
    stage: str
    decision: str
    channel: str
    at: datetime
    by_user_id: int | None
    reason: str | None
    notice_version: str | None


class ConsentList(BaseModel):
    online: bool
    offline_reason: str | None
    awaiting_answer: list[int] = Field(
        description="respondent parties still to answer whether they agree to mediate (L8)"
    )
    items: list[ConsentOut]


@endpoint(permission=Permission.CONSENT_READ, resp=ConsentList, tags=TAGS)
async def list_consents(request: Request, actor: Actor) -> Response:
    """Each party's latest answer per stage, with time and channel (L1)."""
    services = services_of(request)
    case_id = request.path_params["case_id"]
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case")
        view = await case_view(uow.session, case, services.clock.now())
        authorize(actor, Permission.CONSENT_READ, view)
        rows = await consents.latest_consents(uow.session, case.id)
        out = ConsentList(
            online=case.online, offline_reason=case.offline_reason,
            awaiting_answer=await invitations.awaiting_parties(uow.session, case.id),
            items=[ConsentOut.model_validate(r, from_attributes=True) for r in rows],
        )
    return ok(out)


class ConsentIn(StrictModel):
    party_id: int
    stage: ConsentStage
    decision: ConsentDecision
    reason: str | None = Field(default=None, max_length=1000)


class ConsentRecorded(BaseModel):
    consent_id: int
    party_id: int
    stage: str
    decision: str
    at: datetime
    online: bool = Field(description="whether the case is still handled online (L1)")


async def _locked_case(
    services: Services, uow: UnitOfWork, case_id: int, actor: Actor, permission: Permission
) -> tuple[Case, CaseView]:
    """The case locked for this write, after the policy allowed ``permission`` on it."""
    case = await load_case_for_update(uow, case_id)
    view = await case_view(uow.session, case, services.clock.now())
    authorize(actor, permission, view)
    return case, view


@endpoint(permission=Permission.CONSENT_RECORD, json=ConsentIn, resp=ConsentRecorded, status=201,
          tags=TAGS)
async def record_consent(request: Request, actor: Actor, json: ConsentIn) -> Response:
    """A party (or its agent) agrees, refuses or withdraws consent for one stage (L1).

    Withdrawing (or refusing) online mediation switches the case to offline handling.
    """
    services = services_of(request)
    async with services.db.uow() as uow:
        case, _view = await _locked_case(
            services, uow, request.path_params["case_id"], actor, Permission.CONSENT_RECORD
        )
        consent = await consents.give_consent(
            uow, services, case, actor, party_id=json.party_id, stage=json.stage,
            decision=json.decision, reason=json.reason or None,
        )
        out = ConsentRecorded(
            consent_id=consent.id, party_id=consent.party_id, stage=consent.stage,
            decision=consent.decision, at=consent.at, online=case.online,
        )
    return ok(out, 201)


# ---- agent authorizations ------------------------------------------------------------


class AuthorizationOut(BaseModel):
    id: int
    party_id: int
    party_name: str
    party_side: str
    agent_user_id: int
    agent_name: str
    agent_username: str
    scopes: list[str]
    valid_from: datetime
    valid_until: datetime | None
    status: Literal["active", "revoked", "expired"]
    document_sha256: str | None
    revoked_at: datetime | None
    revoke_reason: str | None


class AuthorizationList(BaseModel):
    items: list[AuthorizationOut]


def _grant_out(row: authorizations.GrantRow, now: datetime) -> AuthorizationOut:
    g = row.authorization
    return AuthorizationOut(
        id=g.id, party_id=g.party_id, party_name=row.party_name, party_side=row.party_side,
        agent_user_id=g.agent_user_id, agent_name=row.agent_name, agent_username=row.agent_username,
        scopes=list(g.scopes), valid_from=g.valid_from, valid_until=g.valid_until,
        status=authorizations.grant_status(g, now),  # type: ignore[arg-type]
        document_sha256=g.document_sha256, revoked_at=g.revoked_at, revoke_reason=g.revoke_reason,
    )


@endpoint(permission=Permission.AUTHORIZATION_READ, resp=AuthorizationList, tags=TAGS)
async def list_authorizations(request: Request, actor: Actor) -> Response:
    """The case's agent authorizations, active, revoked and expired."""
    services = services_of(request)
    now = services.clock.now()
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, request.path_params["case_id"])
        if case is None:
            raise NotFound("no such case")
        authorize(actor, Permission.AUTHORIZATION_READ, await case_view(uow.session, case, now))
        rows = await authorizations.list_grants(uow.session, case.id)
    return ok(AuthorizationList(items=[_grant_out(r, now) for r in rows]))


class GrantIn(StrictModel):
    party_id: int
    agent_username: str | None = Field(default=None, max_length=64)
    agent_mobile: str | None = Field(default=None, max_length=20)
    scopes: list[AgentScope] = Field(min_length=1)
    valid_until: datetime | None = None
    document_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one_agent(self) -> GrantIn:
        if bool(self.agent_username) == bool(self.agent_mobile):
            raise ValueError("name the agent by agent_username or by agent_mobile (one of them)")
        if self.valid_until is not None and self.valid_until.tzinfo is None:
            raise ValueError("valid_until needs a time zone (e.g. 2026-12-31T16:00:00Z)")
        return self


async def _grant_row(services: Services, case_id: int, grant_id: int) -> AuthorizationOut:
    async with services.db.reader() as uow:
        rows = await authorizations.list_grants(uow.session, case_id)
    return _grant_out(next(r for r in rows if r.authorization.id == grant_id), services.clock.now())


@endpoint(permission=Permission.AUTHORIZATION_GRANT, json=GrantIn, resp=AuthorizationOut,
          status=201, tags=TAGS)
async def grant_authorization(request: Request, actor: Actor, json: GrantIn) -> Response:
    """The party (or staff, on the paper power of attorney) authorizes a verified agent."""
    services = services_of(request)
    case_id = request.path_params["case_id"]
    async with services.db.uow() as uow:
        case, view = await _locked_case(
            services, uow, case_id, actor, Permission.AUTHORIZATION_GRANT
        )
        grant_request = authorizations.GrantRequest(
            party_id=json.party_id, scopes=json.scopes, agent_username=json.agent_username,
            agent_mobile=json.agent_mobile, valid_until=json.valid_until,
            document_sha256=json.document_sha256,
        )
        grant = await authorizations.grant(uow, services, case, actor, view, grant_request)
        grant_id = grant.id
    return ok(await _grant_row(services, case_id, grant_id), 201)


class RevokeIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


@endpoint(permission=Permission.AUTHORIZATION_REVOKE, json=RevokeIn, resp=AuthorizationOut,
          tags=TAGS)
async def revoke_authorization(request: Request, actor: Actor, json: RevokeIn) -> Response:
    """The principal party (or staff) revokes: from now the agent cannot see the case."""
    services = services_of(request)
    case_id = request.path_params["case_id"]
    grant_id = request.path_params["authorization_id"]
    async with services.db.uow() as uow:
        case, view = await _locked_case(
            services, uow, case_id, actor, Permission.AUTHORIZATION_REVOKE
        )
        await authorizations.revoke(uow, services, case, actor, view, grant_id, json.reason)
    return ok(await _grant_row(services, case_id, grant_id))


routes = [
    Route("/api/v1/invitations/{token}", get_invitation, methods=["GET"]),
    Route("/api/v1/invitations/{token}/claim", claim_invitation, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/respondent-answer", respondent_answer, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/consents", list_consents, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/consents", record_consent, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/authorizations", list_authorizations, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/authorizations", grant_authorization, methods=["POST"]),
    Route(
        "/api/v1/cases/{case_id:int}/authorizations/{authorization_id:int}/revoke",
        revoke_authorization, methods=["POST"],
    ),
]
