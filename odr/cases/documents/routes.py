"""Case documents: upload, list, versions and download, each through the policy.

A party never sees another case's documents (the case policy refuses), nor a
document the document policy keeps from it (mediator-only, the other side's
own-side material): such a document is "not found", listed nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from odr.audit.chain import record
from odr.cases.documents.form import open_document_form
from odr.cases.documents.names import content_disposition
from odr.cases.documents.schemas import DocumentList, DocumentOut, UploadFields
from odr.cases.documents.service import (
    SideUsers,
    add_document,
    case_documents,
    document_view,
    get_document,
    is_latest,
    latest_versions,
    side_users,
    sides_of,
)
from odr.cases.models import Case, CaseDocument, DocumentKind, DocumentVisibility
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, ValidationFailed
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize, decide, is_case_staff
from odr.services import Services
from odr.storage.uploads import store_upload


async def load_case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message, "type": "value_error"}])


def parse_fields(raw: dict[str, str]) -> UploadFields:
    """The form's text fields as a strict model; empty optional fields count as absent."""
    values: dict[str, Any] = {k: v for k, v in raw.items() if v.strip() or k == "title"}
    try:
        return UploadFields.model_validate(values)
    except ValidationError as err:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in err.errors(include_url=False, include_input=False)
        ]
        raise ValidationFailed("the form fields are invalid", details=details) from err


@dataclass
class UploadPlan:
    case: Case
    kind: DocumentKind
    visibility: DocumentVisibility
    side: str | None
    replaces: CaseDocument | None


async def plan_upload(
    session: AsyncSession, services: Services, actor: Actor, case: Case, fields: UploadFields
) -> UploadPlan:
    """Check who may add this document, and how, before any byte is stored (and again after)."""
    now = services.clock.now()
    view = await case_view(session, case, now)
    authorize(actor, Permission.DOCUMENT_UPLOAD, view)
    sides = await side_users(session, case.id, now)
    staff = is_case_staff(actor, view)
    mine = sides_of(actor.user_id, sides)
    side = None if staff or not mine else mine[0]
    replaces = None
    if fields.replaces_id is not None:
        replaces = await _replaceable(session, actor, view, sides, case.id, fields.replaces_id, side)
    kind = fields.kind or (DocumentKind(replaces.kind) if replaces else None)
    if kind is None:
        raise _field_error("kind", f"choose the document's kind: {', '.join(DocumentKind)}")
    if kind == DocumentKind.TRANSFER_PACKAGE:
        raise _field_error("kind", "transfer packages are made by the platform, not uploaded")
    visibility = fields.visibility or (
        DocumentVisibility(replaces.visibility) if replaces else DocumentVisibility.ALL
    )
    if visibility == DocumentVisibility.OWN_SIDE and side is None:
        raise _field_error("visibility", "own_side is for a party's documents; staff choose all or mediator_only")
    return UploadPlan(case=case, kind=kind, visibility=visibility, side=side, replaces=replaces)


async def _replaceable(
    session: AsyncSession, actor: Actor, view: CaseView, sides: SideUsers,
    case_id: int, replaces_id: int, side: str | None,
) -> CaseDocument:
    try:
        old = await get_document(session, case_id, replaces_id)
    except NotFound:
        old = None
    if old is None or not decide(actor, Permission.DOCUMENT_READ, document_view(view, old, sides)):
        raise _field_error("replaces_id", f"document {replaces_id} is not a document of this case")
    if old.side != side:
        raise Forbidden("only the side that added a document (or staff, for theirs) adds its new versions")
    if not await is_latest(session, old):
        raise Conflict(
            f"document {replaces_id} is version {old.version}, not the newest: add the new version "
            "to the newest one", code="not_latest_version",
        )
    return old


@endpoint(permission=Permission.DOCUMENT_UPLOAD, resp=DocumentOut, status=201, tags=("documents",))
async def upload_document(request: Request, actor: Actor) -> Response:
    """Add a document (multipart: title, kind, visibility, optional replaces_id, then `file`).

    The content decides the type (PDF, images, audio/video, Office documents,
    plain text); a file that lies about its type, is too large, is a zip bomb
    or has a path or control characters in its name is refused and nothing is
    kept. ``replaces_id`` adds a new version of a document of this case; the
    old version stays. A party's upload records its side.
    """
    services = services_of(request)
    case_id = request.path_params["case_id"]
    limit = services.settings.max_upload_bytes
    form = await open_document_form(request, limit)
    fields = parse_fields(form.fields)
    async with services.db.reader() as uow:
        await plan_upload(uow.session, services, actor, await load_case(uow.session, case_id), fields)
    async with services.db.uow() as uow:
        blob = await store_upload(services, uow, form.chunks(), declared_name=form.filename, max_bytes=limit)
        case = await load_case_for_update(uow, case_id)
        plan = await plan_upload(uow.session, services, actor, case, fields)
        document = await add_document(
            uow, services, case, title=fields.title, kind=plan.kind, filename=form.filename,
            blob=blob, visibility=plan.visibility, side=plan.side, confidential=fields.confidential,
            who=Who.of(actor), replaces=plan.replaces,
        )
        out = DocumentOut.of(document)
    return ok(out, status=201)


async def _readable(uow: UnitOfWork, services: Services, actor: Actor, case_id: int) -> tuple[CaseView, SideUsers]:
    case = await load_case(uow.session, case_id)
    now = services.clock.now()
    view = await case_view(uow.session, case, now)
    authorize(actor, Permission.DOCUMENT_LIST, view)
    return view, await side_users(uow.session, case_id, now)


@endpoint(permission=Permission.DOCUMENT_LIST, resp=DocumentList, tags=("documents",))
async def list_documents(request: Request, actor: Actor) -> Response:
    """The newest version of each document this user may see."""
    services = services_of(request)
    async with services.db.reader() as uow:
        view, sides = await _readable(uow, services, actor, request.path_params["case_id"])
        docs = await case_documents(uow.session, view.case_id)
        visible = [d for d in docs if decide(actor, Permission.DOCUMENT_READ, document_view(view, d, sides))]
        out = DocumentList(items=[DocumentOut.of(d) for d in latest_versions(visible)])
    return ok(out)


async def visible_document(
    uow: UnitOfWork, services: Services, actor: Actor, case_id: int, document_id: int
) -> tuple[CaseView, SideUsers, CaseDocument]:
    """The document if this user may read it; 404 for one kept from them (not 403: no hint)."""
    view, sides = await _readable(uow, services, actor, case_id)
    document = await get_document(uow.session, case_id, document_id)
    if not decide(actor, Permission.DOCUMENT_READ, document_view(view, document, sides)):
        raise NotFound("no such document in this case", code="document_not_found")
    return view, sides, document


@endpoint(permission=Permission.DOCUMENT_READ, resp=DocumentList, tags=("documents",))
async def list_versions(request: Request, actor: Actor) -> Response:
    """Every version of a document (oldest first) that this user may see."""
    services = services_of(request)
    async with services.db.reader() as uow:
        view, sides, document = await visible_document(
            uow, services, actor, request.path_params["case_id"], request.path_params["doc_id"]
        )
        lineage = document.lineage_id or document.id
        docs = [d for d in await case_documents(uow.session, view.case_id) if (d.lineage_id or d.id) == lineage]
        visible = [d for d in docs if decide(actor, Permission.DOCUMENT_READ, document_view(view, d, sides))]
        out = DocumentList(items=[DocumentOut.of(d) for d in visible])
    return ok(out)


def needs_download_audit(document: CaseDocument) -> bool:
    return document.confidential or document.visibility == DocumentVisibility.MEDIATOR_ONLY


@endpoint(permission=Permission.DOCUMENT_READ, tags=("documents",))
async def download_document(request: Request, actor: Actor) -> Response:
    """The document's bytes, as an attachment; downloads of restricted documents are audited."""
    services = services_of(request)
    case_id, doc_id = request.path_params["case_id"], request.path_params["doc_id"]
    async with services.db.reader() as uow:
        _view, _sides, document = await visible_document(uow, services, actor, case_id, doc_id)
    if needs_download_audit(document):
        async with services.db.uow() as uow:
            who = Who.of(actor)
            await record(
                uow, services.clock, action="case.document_downloaded", actor_id=who.user_id,
                actor_label=who.label, subject_type="case_document", subject_id=document.id,
                data={"case_id": case_id, "visibility": document.visibility,
                      "confidential": document.confidential, "kind": document.kind},
            )
    chunks = await services.storage.open_stream(document.blob_sha256)
    return StreamingResponse(
        chunks, media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "Content-Length": str(document.size),
            "Cache-Control": "private, no-store",
        },
    )


routes = [
    Route("/api/v1/cases/{case_id:int}/documents", upload_document, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/documents", list_documents, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/documents/{doc_id:int}/content", download_document, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/documents/{doc_id:int}/versions", list_versions, methods=["GET"]),
]
