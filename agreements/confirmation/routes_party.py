"""Judicial confirmation over HTTP, the applicants' side (L20-L24, L27, L37).

- ``GET /api/v1/cases/{id}/confirmation/courts`` — competent courts with their basis
  (L22), or the refusal (L24 excluded matter, L21 window passed, L37 entrusted);
- ``GET /api/v1/cases/{id}/confirmation-applications`` — the case's applications;
- ``POST /api/v1/cases/{id}/confirmation-applications`` — start; the caller's party joins;
- ``POST /api/v1/confirmation-applications/{cid}/join`` — another party joins (L20);
- ``GET /api/v1/confirmation-applications/{cid}`` — status, court, joins, materials, deadlines;
- ``POST /api/v1/confirmation-applications/{cid}/materials`` — link documents (L23);
- ``POST /api/v1/confirmation-applications/{cid}/withdraw`` — withdraw before the ruling (L27).

A party of the case learns why it cannot apply (an entrusted case, 409; an
application already open, 409) before the status check of the policy, which
would only say "not in this status"; anyone else gets the policy's 403.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.confirmation.apply import (
    OPEN_STATUSES,
    Client,
    conflict,
    effective_agreement,
    join_application,
    joins_of,
    load_application,
    parties_of,
    start_application,
    supplement_materials,
    withdraw_application,
)
from agreements.confirmation.jurisdiction import (
    SUBJECT_KINDS,
    Refusal,
    assess,
    entrusted_refusal,
    excluded_matter,
)
from agreements.confirmation.materials import checklist
from agreements.confirmation.schemas import (
    ApplyIn,
    CompetentCourtOut,
    CompetentCourtsOut,
    ConfirmationOut,
    CourtRef,
    CourtsQuery,
    DeadlineRef,
    JoinIn,
    JoinOut,
    MaterialItemOut,
    MaterialsIn,
    MaterialsOut,
    PendingPartyOut,
    RefusalOut,
    SubjectKindOut,
    WindowOut,
    WithdrawIn,
)
from agreements.confirmation.window import (
    WINDOW_KIND,
    is_open,
    window_closed_refusal,
    window_due,
)
from agreements.models import ConfirmationApplication
from odr.cases.models import Case, Deadline
from odr.cases.queries import case_view
from odr.cases.transitions import load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound
from odr.http.api import endpoint, ok, services_of
from odr.orgs.models import Court
from odr.policy import Actor, CaseView, Permission, authorize
from odr.policy.agreements import ConfirmationView, applies_for_party
from odr.policy.core import is_case_staff

# ---- pictures --------------------------------------------------------------------------


def court_ref(court: Court) -> CourtRef:
    return CourtRef(id=court.id, code=court.code, name_zh=court.name_zh, name_en=court.name_en,
                    level=court.level, intermediate_rank=court.intermediate_rank)


def refusal_out(refusal: Refusal) -> RefusalOut:
    return RefusalOut(code=refusal.code, rule=refusal.rule, reason=refusal.reason)


def subject_kinds_out() -> list[SubjectKindOut]:
    return [SubjectKindOut(key=k.key, label_zh=k.label_zh, excluded=k.excluded,
                           property_related=k.property_related) for k in SUBJECT_KINDS.values()]


async def confirmation_out(
    uow: UnitOfWork, now: datetime, application: ConfirmationApplication
) -> ConfirmationOut:
    """The one picture of an application both sides read."""
    s = uow.session
    case = await s.get(Case, application.case_id)
    court = await s.get(Court, application.court_id)
    if case is None or court is None:
        raise NotFound("no such confirmation application")
    agreement = await effective_agreement(uow, case, application.agreement_id)
    parties = {p.id: p for p in await parties_of(uow, case.id)}
    joins = await joins_of(uow, application.id)
    joined = {j.party_id for j in joins}
    items = await checklist(uow, case, agreement, application)
    subjects = [("confirmation_application", application.id), ("agreement", agreement.id)]
    deadlines = [d for d in (await s.execute(
        select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)
    )).scalars() if (d.subject_type, d.subject_id) in subjects
        and (d.subject_type != "agreement" or d.kind == WINDOW_KIND)]
    return ConfirmationOut(
        id=application.id, case_id=case.id, case_number=case.number,
        agreement_id=application.agreement_id, court=court_ref(court),
        competence_basis=application.competence_basis, subject_kind=application.subject_kind,
        property_location=application.property_location, status=application.status,
        started_by_id=application.started_by_id, created_at=application.created_at,
        applied_at=application.applied_at, accepted_at=application.accepted_at,
        judge_user_id=application.judge_user_id, supplement_note=application.supplement_note,
        ruled_at=application.ruled_at, rejection_ground=application.rejection_ground,
        closed_at=application.closed_at, close_reason=application.close_reason,
        application_document_id=application.application_document_id,
        ruling_document_id=application.ruling_document_id,
        joins=[JoinOut(party_id=j.party_id, side=parties[j.party_id].side if j.party_id in parties
                       else "", name=parties[j.party_id].name if j.party_id in parties else "",
                       user_id=j.user_id, via_agent=j.authorization_id is not None,
                       authorization_id=j.authorization_id, joined_at=j.joined_at) for j in joins],
        pending=[PendingPartyOut(party_id=p.id, side=p.side, name=p.name)
                 for p in parties.values() if p.id not in joined],
        materials=MaterialsOut(complete=items.complete, items=[
            MaterialItemOut(key=i.key, label_zh=i.label_zh, party_id=i.party_id,
                            required=i.required, present=i.present, source=i.source,
                            document_ids=i.document_ids) for i in items.items]),
        deadlines=[DeadlineRef(id=d.id, kind=d.kind, rule=d.rule, due_at=d.due_at,
                               last_day=d.last_day, status=d.status, provisional=d.provisional)
                   for d in deadlines],
    )


# ---- loading with the policy -----------------------------------------------------------


async def _case(uow: UnitOfWork, case_id: int, *, lock: bool) -> Case:
    if lock:
        return await load_case_for_update(uow, case_id)
    case = await uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def _party_refusals_first(actor: Actor, case: Case, view: CaseView) -> None:
    """A party of an entrusted case learns L37 (409) rather than a status refusal."""
    if applies_for_party(actor, view):
        refusal = entrusted_refusal(case.channel)
        if refusal is not None:
            raise conflict(refusal)


async def _application_for(
    uow: UnitOfWork, request: Request, actor: Actor, permission: Permission, *, lock: bool
) -> tuple[ConfirmationApplication, Case, CaseView]:
    application_id = int(request.path_params["application_id"])
    found = await uow.session.get(ConfirmationApplication, application_id)
    if found is None:
        raise NotFound("no such confirmation application")
    case = await _case(uow, found.case_id, lock=lock)
    application = await load_application(uow, application_id)
    if lock:
        await uow.session.refresh(application)
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, permission, ConfirmationView(
        case=view, court_id=application.court_id, status=application.status,
        judge_user_id=application.judge_user_id,
    ))
    return application, case, view


def _client(request: Request, device_id: str) -> Client:
    return Client(ip=request.client.host if request.client else "",
                  user_agent=request.headers.get("user-agent", ""), device_id=device_id)


# ---- routes ----------------------------------------------------------------------------


@endpoint(permission=Permission.CONFIRMATION_COURTS, query=CourtsQuery, resp=CompetentCourtsOut,
          tags=("confirmation",))
async def list_courts(request: Request, actor: Actor, query: CourtsQuery) -> Response:
    """The courts the parties may choose (L22), or why no court can confirm (L21, L24, L37)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await _case(uow, int(request.path_params["case_id"]), lock=False)
        now = services.clock.now()
        view = await case_view(uow.session, case, now)
        entrusted = entrusted_refusal(case.channel)
        if entrusted is not None and (applies_for_party(actor, view) or is_case_staff(actor, view)):
            return ok(CompetentCourtsOut(case_id=case.id, agreement_id=None, courts=[],
                                         refusal=refusal_out(entrusted), window=None, unmatched=[],
                                         subject_kinds=subject_kinds_out()))
        authorize(actor, Permission.CONFIRMATION_COURTS, view)
        agreement = await effective_agreement(uow, case, query.agreement_id)
        due = await window_due(uow.session, agreement)
        assert due is not None and agreement.effective_at is not None
        refusal = None if is_open(due, now) else window_closed_refusal(due)
        refusal = excluded_matter(
            query.subject_kind, personal_status=getattr(agreement, "personal_status", None),
            categories=(agreement.category, case.category),
        ) or refusal
        found = await assess(uow.session, services.settings, case, agreement,
                             property_location=query.property_location or "")
        out = CompetentCourtsOut(
            case_id=case.id, agreement_id=agreement.id,
            courts=[] if refusal else [CompetentCourtOut(
                court=court_ref(c.court), basis=c.basis, bases=list(c.bases),
                places=list(c.places), intermediate_reason=c.intermediate_reason,
            ) for c in found.courts],
            refusal=refusal_out(refusal) if refusal else None,
            window=WindowOut(effective_at=agreement.effective_at, last_day=due.last_day,
                             due_at=due.due_at, provisional=due.provisional,
                             open=is_open(due, now)),
            unmatched=found.unmatched, subject_kinds=subject_kinds_out(),
        )
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_READ, resp=None, tags=("confirmation",))
async def list_applications(request: Request, actor: Actor) -> Response:
    """The case's confirmation applications, newest first (parties and case staff)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await _case(uow, int(request.path_params["case_id"]), lock=False)
        now = services.clock.now()
        authorize(actor, Permission.AGREEMENT_READ, await case_view(uow.session, case, now))
        rows = (await uow.session.execute(
            select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id)
            .order_by(ConfirmationApplication.id.desc())
        )).scalars().all()
        items = [(await confirmation_out(uow, now, a)).model_dump(mode="json") for a in rows]
    return ok({"items": items})


@endpoint(permission=Permission.CONFIRMATION_APPLY, json=ApplyIn, resp=ConfirmationOut, status=201,
          tags=("confirmation",))
async def start(request: Request, actor: Actor, json: ApplyIn) -> Response:
    """Start the joint application to a competent court; the caller's party joins (L20)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await _case(uow, int(request.path_params["case_id"]), lock=True)
        now = services.clock.now()
        view = await case_view(uow.session, case, now)
        _party_refusals_first(actor, case, view)
        if applies_for_party(actor, view):
            open_one = (await uow.session.execute(
                select(ConfirmationApplication.id).where(
                    ConfirmationApplication.agreement_id == json.agreement_id,
                    ConfirmationApplication.case_id == case.id,
                    ConfirmationApplication.status.in_(OPEN_STATUSES)).limit(1)
            )).scalar()
            if open_one is not None:
                raise conflict(Refusal(
                    "application_open", "L20",
                    f"this agreement already has an open application ({open_one}): join it"))
        authorize(actor, Permission.CONFIRMATION_APPLY, view)
        application = await start_application(
            uow, services, case, actor, agreement_id=json.agreement_id, court_id=json.court_id,
            subject_kind=json.subject_kind, property_location=json.property_location,
            party_id=json.party_id, client=_client(request, json.device_id),
        )
        out = await confirmation_out(uow, now, application)
    return ok(out, 201)


@endpoint(permission=Permission.CONFIRMATION_APPLY, json=JoinIn, resp=ConfirmationOut,
          tags=("confirmation",))
async def join(request: Request, actor: Actor, json: JoinIn) -> Response:
    """Another party (or its agent with apply_confirmation) joins; the last makes it applied."""
    services = services_of(request)
    async with services.db.uow() as uow:
        application_id = int(request.path_params["application_id"])
        found = await uow.session.get(ConfirmationApplication, application_id)
        if found is None:
            raise NotFound("no such confirmation application")
        case = await _case(uow, found.case_id, lock=True)
        await uow.session.refresh(found)
        now = services.clock.now()
        view = await case_view(uow.session, case, now)
        _party_refusals_first(actor, case, view)
        if applies_for_party(actor, view) and found.status not in ("gathering",):
            raise Conflict(f"the application is {found.status}; joining is over",
                           code="not_gathering")
        authorize(actor, Permission.CONFIRMATION_APPLY, view)
        application = await join_application(
            uow, services, case, found, actor, party_id=json.party_id,
            client=_client(request, json.device_id),
        )
        out = await confirmation_out(uow, now, application)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_READ, resp=ConfirmationOut, tags=("confirmation",))
async def read(request: Request, actor: Actor) -> Response:
    """Status, court, joins, the L23 checklist and the deadlines of one application."""
    services = services_of(request)
    async with services.db.reader() as uow:
        application, _case_row, _view = await _application_for(
            uow, request, actor, Permission.CONFIRMATION_READ, lock=False)
        out = await confirmation_out(uow, services.clock.now(), application)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_PARTY_ACT, json=MaterialsIn, resp=ConfirmationOut,
          tags=("confirmation",))
async def add_materials(request: Request, actor: Actor, json: MaterialsIn) -> Response:
    """Link case documents to the L23 checklist (a supplement the court asked for, too)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        application, case, _view = await _application_for(
            uow, request, actor, Permission.CONFIRMATION_PARTY_ACT, lock=True)
        await supplement_materials(uow, services, case, application, actor,
                                   document_ids=json.document_ids, item=json.item,
                                   party_id=json.party_id)
        out = await confirmation_out(uow, services.clock.now(), application)
    return ok(out)


@endpoint(permission=Permission.CONFIRMATION_PARTY_ACT, json=WithdrawIn, resp=ConfirmationOut,
          tags=("confirmation",))
async def withdraw(request: Request, actor: Actor, json: WithdrawIn) -> Response:
    """Withdraw before the ruling (L27); an applied case returns to agreement_effective."""
    services = services_of(request)
    async with services.db.uow() as uow:
        application, case, _view = await _application_for(
            uow, request, actor, Permission.CONFIRMATION_PARTY_ACT, lock=True)
        await withdraw_application(uow, services, case, application, actor, reason=json.reason)
        out = await confirmation_out(uow, services.clock.now(), application)
    return ok(out)


routes = [
    Route("/api/v1/cases/{case_id:int}/confirmation/courts", list_courts, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/confirmation-applications", list_applications,
          methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/confirmation-applications", start, methods=["POST"]),
    Route("/api/v1/confirmation-applications/{application_id:int}/join", join, methods=["POST"]),
    Route("/api/v1/confirmation-applications/{application_id:int}", read, methods=["GET"]),
    Route("/api/v1/confirmation-applications/{application_id:int}/materials", add_materials,
          methods=["POST"]),
    Route("/api/v1/confirmation-applications/{application_id:int}/withdraw", withdraw,
          methods=["POST"]),
]
