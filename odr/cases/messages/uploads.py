"""Files sent with messages: upload one (then name it in ``attachment_ids``), download one.

``POST /api/v1/cases/{id}/message-attachments`` takes the same multipart form
as a document upload (fields first, then ``file``; sniffed by content, size
capped, names checked) and stores the file as a case document of kind
``message_attachment``:

- visible to the thread's side only (``own_side``): a party's file never
  reaches the other side, and staff writing to a party attach a file that
  party's side (and the case's staff) may read;
- ``confidential`` (L11): what a side sends in a thread stays out of anything
  sent to a court, like caucus material.

A party's file belongs to its own side; staff name the side they write to
(``side``). ``GET /api/v1/threads/{tid}/attachments/{doc_id}`` serves a file
attached to a message of that thread to whoever may read the thread — the
thread's audience, including the judge a thread is addressed to, who does not
see confidential files in the documents list.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from odr.audit.chain import record
from odr.cases.documents.form import open_document_form
from odr.cases.documents.names import content_disposition
from odr.cases.documents.service import add_document
from odr.cases.messages.access import readable_thread
from odr.cases.messages.audience import acting_for
from odr.cases.messages.models import ThreadAttachment, ThreadMessage
from odr.cases.messages.schemas import AttachmentOut
from odr.cases.models import Case, CaseDocument, DocumentKind, DocumentVisibility
from odr.cases.queries import case_view
from odr.cases.transitions import Who, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, ValidationFailed
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission, acts_for_party, authorize, is_case_staff
from odr.services import Services
from odr.storage.uploads import store_upload

KIND = DocumentKind.MESSAGE_ATTACHMENT


class AttachmentFields(StrictModel):
    """The form fields sent before the file."""

    title: str | None = None
    side: Literal["applicant", "respondent"] | None = None  # staff: the side written to


def _fields(raw: dict[str, str]) -> AttachmentFields:
    values = {k: v.strip() for k, v in raw.items() if v.strip()}
    try:
        fields = AttachmentFields.model_validate(values)
    except ValidationError as err:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in err.errors(include_url=False, include_input=False)
        ]
        raise ValidationFailed("the form fields are invalid", details=details) from err
    if fields.title is not None and len(fields.title) > 300:
        raise ValidationFailed("the title is at most 300 characters",
                               details=[{"field": "title", "message": "at most 300 characters"}])
    return fields


async def _side(uow: UnitOfWork, services: Services, actor: Actor, case: Case,
                fields: AttachmentFields) -> str:
    """The side the file is for: the party's own, or the one staff write to."""
    now = services.clock.now()
    view = await case_view(uow.session, case, now)
    authorize(actor, Permission.THREAD_CREATE, view)
    if acts_for_party(actor, view):
        sides = {a.side for a in await acting_for(uow.session, case.id, actor.user_id, now)
                 if a.role != "agent" or view.is_agent_with(actor.user_id, "general")}
        if len(sides) != 1:
            raise Conflict("you act for parties on both sides of this case", code="ambiguous_side")
        side = next(iter(sides))
        if fields.side is not None and fields.side != side:
            raise Forbidden("a party sends files to its own side's threads only")
        return side
    if not is_case_staff(actor, view):  # pragma: no cover - the policy refused already
        raise Forbidden("not a participant of this case")
    if fields.side is None:
        raise ValidationFailed("name the side you write to: applicant or respondent",
                               details=[{"field": "side", "message": "required for staff"}])
    return fields.side


def attachment_out(thread_id: int | None, doc: CaseDocument) -> AttachmentOut:
    url = (f"/api/v1/threads/{thread_id}/attachments/{doc.id}" if thread_id is not None
           else f"/api/v1/cases/{doc.case_id}/documents/{doc.id}/content")
    return AttachmentOut(document_id=doc.id, title=doc.title, filename=doc.filename,
                         content_type=doc.content_type, size=doc.size, content_url=url)


@endpoint(permission=Permission.THREAD_CREATE, resp=AttachmentOut, status=201,
          tags=("messages",))
async def upload_attachment(request: Request, actor: Actor) -> Response:
    """Upload a file to send with a message (multipart: optional title, side for staff, then
    `file`); then name its `document_id` in `attachment_ids` of the message or new thread.

    Sniffed by content and size-capped like any document; a file that lies
    about its type, or a name with folders or control characters, is refused
    and nothing is kept. The file is readable by the side it is for and the
    case's staff only, and kept out of court transfers (L11).
    """
    services = services_of(request)
    case_id = request.path_params["case_id"]
    limit = services.settings.max_upload_bytes
    form = await open_document_form(request, limit)
    fields = _fields(form.fields)
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case")
        await _side(uow, services, actor, case, fields)  # refuse before a byte is stored
    async with services.db.uow() as uow:
        blob = await store_upload(services, uow, form.chunks(), declared_name=form.filename,
                                  max_bytes=limit)
        case = await load_case_for_update(uow, case_id)
        side = await _side(uow, services, actor, case, fields)
        document = await add_document(
            uow, services, case, title=fields.title or form.filename, kind=KIND,
            filename=form.filename, blob=blob, visibility=DocumentVisibility.OWN_SIDE, side=side,
            confidential=True, who=Who.of(actor),
        )
        out = attachment_out(None, document)
    return ok(out, status=201)


@endpoint(permission=Permission.THREAD_READ, tags=("messages",))
async def download_attachment(request: Request, actor: Actor) -> Response:
    """A file attached to a message of this thread, for whoever may read the thread (404 else)."""
    services = services_of(request)
    doc_id = request.path_params["doc_id"]
    async with services.db.reader() as uow:
        _case, thread, _tview = await readable_thread(uow, request, actor, Permission.THREAD_READ,
                                                      lock=False)
        document = (await uow.session.execute(
            select(CaseDocument)
            .join(ThreadAttachment, ThreadAttachment.document_id == CaseDocument.id)
            .join(ThreadMessage, ThreadMessage.id == ThreadAttachment.message_id)
            .where(ThreadMessage.thread_id == thread.id, CaseDocument.id == doc_id)
            .limit(1)
        )).scalar_one_or_none()
    if document is None:
        raise NotFound("no such attachment in this thread", code="attachment_not_found")
    async with services.db.uow() as uow:
        who = Who.of(actor)
        await record(
            uow, services.clock, action="case.message_attachment_downloaded",
            actor_id=who.user_id, actor_label=who.label, subject_type="case_document",
            subject_id=document.id, data={"case_id": document.case_id, "thread_id": thread.id},
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
    Route("/api/v1/cases/{case_id:int}/message-attachments", upload_attachment, methods=["POST"]),
    Route("/api/v1/threads/{thread_id:int}/attachments/{doc_id:int}", download_attachment,
          methods=["GET"]),
]
