"""Drafting API (issue 7 point 1): templates, drafts, versions, diff, edits, abandon, oral (L18)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.content import AgreementContent
from agreements.drafting import service
from agreements.drafting.diff import diff
from agreements.drafting.oral import record_oral
from agreements.drafting.schemas import (
    AbandonRequest,
    AgreementDetail,
    AgreementList,
    AgreementOut,
    ChangeOut,
    CreateRequest,
    DiffOut,
    DiffQuery,
    EditRequest,
    OralRequest,
    TemplateList,
    TemplateQuery,
    VersionList,
    VersionOut,
)
from agreements.drafting.templates import all_templates
from agreements.drafting.views import detail, summary, version_out, versions_of
from agreements.models import Agreement
from odr.accounts.models import User
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize
from odr.services import Services

TAGS = ("agreements",)


async def _case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


async def _agreement(session: AsyncSession, agreement_id: int) -> Agreement:
    agreement = await session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFound("no such agreement", code="agreement_not_found")
    return agreement


async def _authorized(session: AsyncSession, services: Services, actor: Actor,
                      permission: Permission, case: Case) -> None:
    authorize(actor, permission, await case_view(session, case, services.clock.now()))


async def _locked(uow: UnitOfWork, services: Services, actor: Actor, agreement_id: int,
                  permission: Permission) -> tuple[Case, Agreement]:
    """Case row locked, then the agreement re-read under it; authorized for ``permission``."""
    case_id = (await _agreement(uow.session, agreement_id)).case_id
    case = await load_case_for_update(uow, case_id)
    await _authorized(uow.session, services, actor, permission, case)
    agreement = (await uow.session.execute(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update()
        .execution_options(populate_existing=True)
    )).scalar_one()
    return case, agreement


@endpoint(permission=Permission.PUBLIC_READ, query=TemplateQuery, resp=TemplateList, tags=TAGS)
async def list_templates(request: Request, actor: Actor, query: TemplateQuery) -> Response:
    """Agreement templates per dispute category, in Chinese and English (public wording)."""
    found = [t for t in all_templates()
             if (query.category is None or t.category == query.category)
             and (query.language is None or t.language == query.language)]
    return ok(TemplateList(templates=found))


@endpoint(permission=Permission.AGREEMENT_READ, resp=AgreementList, tags=TAGS)
async def list_agreements(request: Request, actor: Actor) -> Response:
    """The case's agreements, newest first (drafts, effective, abandoned)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await _case(uow.session, request.path_params["case_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_READ, case)
        rows = (await uow.session.execute(
            select(Agreement).where(Agreement.case_id == case.id).order_by(Agreement.id.desc())
        )).scalars().all()
        out = AgreementList(agreements=[AgreementOut.model_validate(a) for a in rows])
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_DRAFT, json=CreateRequest, resp=AgreementDetail,
          status=201, tags=TAGS)
async def create_agreement(request: Request, actor: Actor, json: CreateRequest) -> Response:
    """A new draft, pre-filled from the case and its category template (the case's mediator).

    A marriage, adoption or inheritance matter is refused with the reason (422, L19);
    a second open agreement of the case is refused (409).
    """
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_DRAFT, case)
        agreement = await service.create_draft(
            uow, services, case, Who.of(actor), language=json.language,
            personal_status=json.personal_status, meeting_id=json.meeting_id,
        )
        out = await detail(uow.session, case, agreement, services.clock.now())
    return ok(out, status=201)


@endpoint(permission=Permission.AGREEMENT_RECORD_ORAL, json=OralRequest, resp=AgreementDetail,
          status=201, tags=TAGS)
async def record_oral_agreement(request: Request, actor: Actor, json: OralRequest) -> Response:
    """Record an oral agreement (L18): every L15 item present, effective at once."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_RECORD_ORAL, case)
        agreement = await record_oral(
            uow, services, case, Who.of(actor), content=json.content, note=json.note,
            personal_status=json.personal_status,
        )
        out = await detail(uow.session, case, agreement, services.clock.now())
    return ok(out, status=201)


@endpoint(permission=Permission.AGREEMENT_READ, resp=AgreementDetail, tags=TAGS)
async def get_agreement(request: Request, actor: Actor) -> Response:
    """The agreement, its current version, L15 problems, signatures and who must still sign."""
    services = services_of(request)
    async with services.db.reader() as uow:
        agreement = await _agreement(uow.session, request.path_params["agreement_id"])
        case = await _case(uow.session, agreement.case_id)
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_READ, case)
        out = await detail(uow.session, case, agreement, services.clock.now())
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_READ, resp=VersionList, tags=TAGS)
async def list_versions(request: Request, actor: Actor) -> Response:
    """Every version: number, hash, changed fields, note, author and time."""
    services = services_of(request)
    async with services.db.reader() as uow:
        agreement = await _agreement(uow.session, request.path_params["agreement_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_READ,
                          await _case(uow.session, agreement.case_id))
        versions = await versions_of(uow.session, agreement.id)
        names = dict((await uow.session.execute(select(User.id, User.real_name).where(
            User.id.in_({v.author_id for v in versions})))).tuples().all())
        out = VersionList(agreement_id=agreement.id, current_version=agreement.current_version,
                          versions=[summary(v, names) for v in versions])
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_READ, resp=VersionOut, tags=TAGS)
async def get_version(request: Request, actor: Actor) -> Response:
    """One version with its full content."""
    services = services_of(request)
    async with services.db.reader() as uow:
        agreement = await _agreement(uow.session, request.path_params["agreement_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_READ,
                          await _case(uow.session, agreement.case_id))
        version = await service.version_of(uow.session, agreement.id,
                                           request.path_params["number"])
        out = await version_out(uow.session, version)
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_READ, query=DiffQuery, resp=DiffOut, tags=TAGS)
async def get_diff(request: Request, actor: Actor, query: DiffQuery) -> Response:
    """Field-level changes between two versions (parties by id, terms by key)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        agreement = await _agreement(uow.session, request.path_params["agreement_id"])
        await _authorized(uow.session, services, actor, Permission.AGREEMENT_READ,
                          await _case(uow.session, agreement.case_id))
        old = await service.version_of(uow.session, agreement.id, query.from_)
        new = await service.version_of(uow.session, agreement.id, query.to)
    changes = diff(AgreementContent.model_validate(old.content),
                   AgreementContent.model_validate(new.content))
    return ok(DiffOut(agreement_id=agreement.id, from_version=query.from_, to_version=query.to,
                      changes=[ChangeOut(**c.as_dict()) for c in changes]))


@endpoint(permission=Permission.AGREEMENT_DRAFT, json=EditRequest, resp=AgreementDetail, tags=TAGS)
async def put_content(request: Request, actor: Actor, json: EditRequest) -> Response:
    """Save the next version (409 ``stale_version`` unless ``base_version`` is current).

    Every valid signature of an earlier version is voided and its signer told.
    """
    services = services_of(request)
    async with services.db.uow() as uow:
        case, agreement = await _locked(uow, services, actor, request.path_params["agreement_id"],
                                        Permission.AGREEMENT_DRAFT)
        await service.revise(uow, services, case, agreement, Who.of(actor),
                             base_version=json.base_version, content=json.content, note=json.note)
        out = await detail(uow.session, case, agreement, services.clock.now())
    return ok(out)


@endpoint(permission=Permission.AGREEMENT_DRAFT, json=AbandonRequest, resp=AgreementDetail,
          tags=TAGS)
async def abandon_agreement(request: Request, actor: Actor, json: AbandonRequest) -> Response:
    """Discard an open agreement, with the reason (on the case timeline)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, agreement = await _locked(uow, services, actor, request.path_params["agreement_id"],
                                        Permission.AGREEMENT_DRAFT)
        await service.abandon(uow, services, case, agreement, Who.of(actor), reason=json.reason)
        out = await detail(uow.session, case, agreement, services.clock.now())
    return ok(out)


routes = [
    Route("/api/v1/agreement-templates", list_templates, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/agreements", list_agreements, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/agreements", create_agreement, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/agreements/oral", record_oral_agreement, methods=["POST"]),
    Route("/api/v1/agreements/{agreement_id:int}", get_agreement, methods=["GET"]),
    Route("/api/v1/agreements/{agreement_id:int}/versions", list_versions, methods=["GET"]),
    Route("/api/v1/agreements/{agreement_id:int}/versions/{number:int}", get_version,
          methods=["GET"]),
    Route("/api/v1/agreements/{agreement_id:int}/diff", get_diff, methods=["GET"]),
    Route("/api/v1/agreements/{agreement_id:int}/content", put_content, methods=["PUT"]),
    Route("/api/v1/agreements/{agreement_id:int}/abandon", abandon_agreement, methods=["POST"]),
]
