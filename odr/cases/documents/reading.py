"""Online file reading (网上阅卷): a lawyer or agent applies, the mediator or the court decides.

Approved access is read-only and runs for a number of days on the platform
clock; every view is served as a watermarked copy bearing the reader's name
and the time, and is audited. What can be read is the reader's side's view
of the file, never confidential or mediator-only material (L11).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.documents.models import FileReadingRequest, FileReadingStatus
from odr.cases.documents.names import content_disposition
from odr.cases.documents.routes import load_case
from odr.cases.documents.service import (
    case_documents,
    document_view,
    get_document,
    latest_versions,
    side_users,
)
from odr.cases.documents.watermark import READABLE_TYPES, not_readable, output_type, watermark
from odr.cases.models import Case, CaseParticipant, EventVisibility
from odr.cases.queries import case_view
from odr.cases.transitions import Who, active_participation, add_event, load_case_for_update
from odr.clock import to_local
from odr.errors import Conflict, Forbidden, NotFound, ValidationFailed
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize, decide, is_case_staff
from odr.services import Services

DEFAULT_DAYS = 7


class FileReadingApply(StrictModel):
    reason: str = Field(min_length=1, max_length=2000)


class FileReadingDecision(StrictModel):
    approve: bool
    reason: str | None = Field(default=None, max_length=1000)  # required when refusing
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=30)  # how long approved access runs


class FileReadingOut(BaseModel):
    id: int
    case_id: int
    requester_id: int
    party_id: int | None
    reason: str
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: FileReadingRequest, now: datetime) -> FileReadingOut:
        return cls(
            id=row.id, case_id=row.case_id, requester_id=row.requester_id, party_id=row.party_id,
            reason=row.reason, status=row.status, decided_by_id=row.decided_by_id,
            decided_at=row.decided_at, decision_reason=row.decision_reason,
            valid_from=row.valid_from, valid_until=row.valid_until, active=is_active(row, now),
            created_at=row.created_at,
        )


class FileReadingList(BaseModel):
    items: list[FileReadingOut]


class ReadableDocument(BaseModel):
    id: int
    title: str
    kind: str
    filename: str
    content_type: str
    version: int
    readable_online: bool  # PDF or image; other types cannot be shown watermarked
    url: str


class ReadableFile(BaseModel):
    grant: FileReadingOut
    items: list[ReadableDocument]


def is_active(row: FileReadingRequest, now: datetime) -> bool:
    return (
        row.status == FileReadingStatus.APPROVED
        and row.valid_from is not None and row.valid_until is not None
        and row.valid_from <= now < row.valid_until
    )


async def _requests(session: AsyncSession, case_id: int, requester_id: int | None) -> list[FileReadingRequest]:
    stmt = select(FileReadingRequest).where(FileReadingRequest.case_id == case_id)
    if requester_id is not None:
        stmt = stmt.where(FileReadingRequest.requester_id == requester_id)
    return list((await session.execute(stmt.order_by(FileReadingRequest.id))).scalars())


async def active_grant(
    session: AsyncSession, case_id: int, user_id: int | None, now: datetime
) -> FileReadingRequest:
    """The reader's running approval, or 403 saying why there is none."""
    rows = await _requests(session, case_id, user_id) if user_id is not None else []
    running = [r for r in rows if is_active(r, now)]
    if running:
        return running[-1]
    ended = [r.valid_until for r in rows if r.status == FileReadingStatus.APPROVED and r.valid_until]
    if ended:
        until = to_local(max(ended))
        raise Forbidden(
            f"your file-reading access ended at {until:%Y-%m-%d %H:%M} (Beijing time); apply again",
            code="file_reading_expired",
        )
    raise Forbidden("apply to read this case's file and wait for approval first",
                    code="file_reading_not_approved")


async def _view(session: AsyncSession, services: Services, case: Case) -> CaseView:
    return await case_view(session, case, services.clock.now())


@endpoint(permission=Permission.FILE_READING_APPLY, json=FileReadingApply, resp=FileReadingOut,
          status=201, tags=("file reading",))
async def apply_for_reading(request: Request, actor: Actor, json: FileReadingApply) -> Response:
    """A lawyer or agent of the case applies to read its file online."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        now = services.clock.now()
        authorize(actor, Permission.FILE_READING_APPLY, await _view(uow.session, services, case))
        mine = await _requests(uow.session, case.id, actor.user_id)
        if any(r.status == FileReadingStatus.PENDING for r in mine):
            raise Conflict("you already have a file-reading request waiting for a decision",
                           code="file_reading_pending")
        if any(is_active(r, now) for r in mine):
            raise Conflict("you can already read this case's file", code="file_reading_active")
        party_id = (
            await uow.session.execute(
                select(CaseParticipant.party_id).where(
                    CaseParticipant.case_id == case.id, CaseParticipant.user_id == actor.user_id,
                    CaseParticipant.role == "agent", active_participation(now),
                )
            )
        ).scalars().first()
        row = FileReadingRequest(
            case_id=case.id, requester_id=actor.user_id, party_id=party_id, reason=json.reason,
            status=FileReadingStatus.PENDING, created_at=now,
        )
        uow.session.add(row)
        await uow.session.flush()
        await add_event(uow, services, case, "file_reading_requested", Who.of(actor),
                        data={"request_id": row.id}, visibility=EventVisibility.STAFF)
        out = FileReadingOut.of(row, now)
    return ok(out, status=201)


@endpoint(permission=Permission.FILE_READING_LIST, resp=FileReadingList, tags=("file reading",))
async def list_reading_requests(request: Request, actor: Actor) -> Response:
    """Staff see every request of the case; an agent sees its own."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await load_case(uow.session, request.path_params["case_id"])
        view = await _view(uow.session, services, case)
        authorize(actor, Permission.FILE_READING_LIST, view)
        requester = None if is_case_staff(actor, view) else actor.user_id
        now = services.clock.now()
        out = FileReadingList(items=[FileReadingOut.of(r, now) for r in await _requests(uow.session, case.id, requester)])
    return ok(out)


@endpoint(permission=Permission.FILE_READING_DECIDE, json=FileReadingDecision, resp=FileReadingOut,
          tags=("file reading",))
async def decide_reading_request(request: Request, actor: Actor, json: FileReadingDecision) -> Response:
    """The mediator, or a judge or clerk of the case's court, approves (for ``days``) or refuses."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        authorize(actor, Permission.FILE_READING_DECIDE, await _view(uow.session, services, case))
        row = await uow.session.get(FileReadingRequest, request.path_params["rid"])
        if row is None or row.case_id != case.id:
            raise NotFound("no such file-reading request in this case")
        if row.status != FileReadingStatus.PENDING:
            raise Conflict(f"this request was already decided ({row.status})", code="already_decided")
        reason = (json.reason or "").strip() or None
        if not json.approve and reason is None:
            raise ValidationFailed("give the reason for refusing", details=[
                {"field": "reason", "message": "required when refusing", "type": "missing"}])
        now = services.clock.now()
        row.status = FileReadingStatus.APPROVED if json.approve else FileReadingStatus.REFUSED
        row.decided_by_id, row.decided_at, row.decision_reason = actor.user_id, now, reason
        if json.approve:
            row.valid_from, row.valid_until = now, now + timedelta(days=json.days)
        await add_event(
            uow, services, case, "file_reading_decided", Who.of(actor),
            data={"request_id": row.id, "status": row.status, "days": json.days if json.approve else None,
                  "reason": reason},
            visibility=EventVisibility.STAFF,
        )
        out = FileReadingOut.of(row, now)
    return ok(out)


@endpoint(permission=Permission.FILE_READING_VIEW, resp=ReadableFile, tags=("file reading",))
async def readable_file(request: Request, actor: Actor) -> Response:
    """What an approved reader can open, while the approval runs."""
    services = services_of(request)
    async with services.db.reader() as uow:
        case = await load_case(uow.session, request.path_params["case_id"])
        now = services.clock.now()
        view = await _view(uow.session, services, case)
        authorize(actor, Permission.FILE_READING_LIST, view)
        grant = await active_grant(uow.session, case.id, actor.user_id, now)
        sides = await side_users(uow.session, case.id, now)
        docs = [d for d in await case_documents(uow.session, case.id)
                if decide(actor, Permission.FILE_READING_VIEW, document_view(view, d, sides))]
        items = [
            ReadableDocument(
                id=d.id, title=d.title, kind=d.kind, filename=d.filename, content_type=d.content_type,
                version=d.version, readable_online=d.content_type in READABLE_TYPES,
                url=f"/api/v1/cases/{case.id}/file-reading/{d.id}",
            )
            for d in latest_versions(docs)
        ]
        out = ReadableFile(grant=FileReadingOut.of(grant, now), items=items)
    return ok(out)


@endpoint(permission=Permission.FILE_READING_VIEW, tags=("file reading",))
async def read_document(request: Request, actor: Actor) -> Response:
    """One document, watermarked with the reader's name and the time; each view is audited."""
    services = services_of(request)
    case_id, doc_id = request.path_params["case_id"], request.path_params["doc_id"]
    async with services.db.reader() as uow:
        case = await load_case(uow.session, case_id)
        now = services.clock.now()
        view = await _view(uow.session, services, case)
        authorize(actor, Permission.FILE_READING_LIST, view)
        grant = await active_grant(uow.session, case_id, actor.user_id, now)
        document = await get_document(uow.session, case_id, doc_id)
        sides = await side_users(uow.session, case_id, now)
        if not decide(actor, Permission.FILE_READING_VIEW, document_view(view, document, sides)):
            raise NotFound("no such document in the file open for reading", code="document_not_found")
        reader = await uow.session.get(User, actor.user_id)
        reader_name = reader.real_name if reader else f"user {actor.user_id}"
    if document.content_type not in READABLE_TYPES:
        raise not_readable(document.content_type)
    text = f"阅卷人 {reader_name} {to_local(now):%Y-%m-%d %H:%M} 网上阅卷 仅供阅览"
    data = await services.storage.get_bytes(document.blob_sha256)
    marked = await asyncio.to_thread(watermark, data, document.content_type, text)
    async with services.db.uow() as uow:
        who = Who.of(actor)
        await record(
            uow, services.clock, action="case.file_read", actor_id=who.user_id, actor_label=who.label,
            subject_type="case_document", subject_id=document.id,
            data={"case_id": case_id, "request_id": grant.id, "watermark": text},
        )
    return Response(
        marked, media_type=output_type(document.content_type),
        headers={
            "Content-Disposition": content_disposition(document.filename, inline=True),
            "Cache-Control": "private, no-store",
        },
    )


routes = [
    Route("/api/v1/cases/{case_id:int}/file-reading-requests", apply_for_reading, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/file-reading-requests", list_reading_requests, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/file-reading-requests/{rid:int}/decide",
          decide_reading_request, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/file-reading", readable_file, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/file-reading/{doc_id:int}", read_document, methods=["GET"]),
]
