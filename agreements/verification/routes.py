"""Public verification: upload a PDF, or look up a printed verification code.

Both are open to anyone (``Permission.AGREEMENT_VERIFY``) and throttled per
network address the way the other public look-ups are (an invitation link,
a guest link): unknown codes and files the platform does not know count as
failures in the same table, and an address over the limit gets 429 with
``Retry-After`` before any work is done.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agreements.verification.verify import (
    CodeLookup,
    NotAPdf,
    VerificationResult,
    lookup_code,
    verify_pdf,
)
from odr.cases.parties.models import InvitationLookupFailure
from odr.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission
from odr.services import Services

MAX_PDF_BYTES = 20 * 1024 * 1024  # a signed agreement is well under 1 MB
CODE_MAX_LENGTH = 64


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


async def _throttle(services: Services, address: str) -> None:
    settings, now = services.settings, services.clock.now()
    window = timedelta(minutes=settings.invitation_failure_window_minutes)
    limit = settings.invitation_max_failures_per_address
    async with services.db.reader() as reader:
        times = list((await reader.session.execute(
            select(InvitationLookupFailure.at)
            .where(InvitationLookupFailure.address == address[:64],
                   InvitationLookupFailure.at > now - window)
            .order_by(InvitationLookupFailure.at.desc()).limit(limit)
        )).scalars())
    if len(times) >= limit:
        seconds = max(1, math.ceil((times[-1] + window - now).total_seconds()))
        raise TooManyRequests(
            f"too many unknown codes or documents from this network address; "
            f"try again in {seconds} seconds",
            code="throttled", details={"retry_after": seconds, "scope": "address"},
        )


async def _count_failure(services: Services, address: str) -> None:
    async with services.db.uow() as uow:
        uow.session.add(InvitationLookupFailure(address=address[:64], at=services.clock.now()))


def _throttled(exc: TooManyRequests) -> Response:
    seconds = (exc.details or {}).get("retry_after", 60)
    return JSONResponse(exc.body(), status_code=exc.status, headers={"Retry-After": str(seconds)})


async def _read_upload(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise UnsupportedMediaType("send the PDF as multipart/form-data in the field `file`")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_PDF_BYTES + 64 * 1024:
        raise PayloadTooLarge(f"the file is larger than {MAX_PDF_BYTES} bytes",
                              details={"max_bytes": MAX_PDF_BYTES})
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    except Exception as exc:  # starlette raises on a malformed body or too many parts
        raise BadRequest(f"the multipart body cannot be read: {exc}", code="bad_multipart") from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("the form has no file in the field `file`", code="file_missing")
        data = await upload.read(MAX_PDF_BYTES + 1)
    finally:
        await form.close()
    if len(data) > MAX_PDF_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_PDF_BYTES} bytes",
                              details={"max_bytes": MAX_PDF_BYTES})
    if not data:
        raise BadRequest("the file is empty", code="file_empty")
    return data


@endpoint(permission=Permission.AGREEMENT_VERIFY, resp=VerificationResult, tags=("verify",))
async def verify_pdf_route(request: Request, actor: Actor) -> Response:
    """Is this PDF intact, signed by the platform, and which agreement / ruling is it?

    Multipart with the PDF in ``file`` (at most 20 MB). 415 for another body, 422
    ``not_a_pdf`` for a file that is not a PDF; an intact file answers
    ``intact: true``; a changed or unknown one ``intact: false`` with the problems.
    """
    services, address = services_of(request), _address(request)
    try:
        await _throttle(services, address)
    except TooManyRequests as exc:
        return _throttled(exc)
    data = await _read_upload(request)
    try:
        result = await verify_pdf(services, data)
    except NotAPdf as exc:
        await _count_failure(services, address)
        raise ValidationFailed(str(exc), code="not_a_pdf") from exc
    if result.document is None:
        await _count_failure(services, address)
    return ok(result)


@endpoint(permission=Permission.AGREEMENT_VERIFY, resp=CodeLookup, tags=("verify",))
async def verify_code_route(request: Request, actor: Actor) -> Response:
    """The public summary behind a verification code printed on an agreement, ruling or
    mediation statement: masked case number and names, version, effective time, the
    signed PDF's SHA-256. 404 ``code_unknown`` (counted against the address)."""
    services, address = services_of(request), _address(request)
    code = str(request.path_params["code"])
    try:
        await _throttle(services, address)
    except TooManyRequests as exc:
        return _throttled(exc)
    found = await lookup_code(services, code) if 0 < len(code) <= CODE_MAX_LENGTH else None
    if found is None:
        await _count_failure(services, address)
        raise NotFound("no document has this verification code", code="code_unknown")
    return ok(found)


routes = [
    Route("/api/v1/verify/pdf", verify_pdf_route, methods=["POST"]),
    Route("/api/v1/verify/{code}", verify_code_route, methods=["GET"]),
]
