"""Domain and API errors. Each maps to one HTTP status and a stable code."""

from __future__ import annotations

from typing import Any


class OdrError(Exception):
    """Base of errors the API turns into ``{"error": {"code", "message", "details"}}``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(OdrError):
    status, code = 400, "bad_request"


class Unauthenticated(OdrError):
    status, code = 401, "unauthenticated"


class Forbidden(OdrError):
    status, code = 403, "forbidden"


class NotFound(OdrError):
    status, code = 404, "not_found"


class Conflict(OdrError):
    status, code = 409, "conflict"


class PayloadTooLarge(OdrError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(OdrError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(OdrError):
    status, code = 422, "validation_failed"


class TooManyRequests(OdrError):
    status, code = 429, "too_many_requests"
