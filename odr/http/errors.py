"""Every error leaves as ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from odr.errors import OdrError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests",
}


def error_response(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status
    )


async def odr_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OdrError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(
        exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail)
    )


async def integrity_error(_request: Request, exc: Exception) -> Response:
    log.info("integrity error: %s", exc)
    return error_response(409, "conflict", "the change conflicts with existing data")


async def unexpected_error(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "an internal error occurred; nothing was saved")


EXCEPTION_HANDLERS = {
    OdrError: odr_error,
    HTTPException: http_error,
    IntegrityError: integrity_error,
}
