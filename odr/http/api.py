"""The API route decorator: authenticate, authorize, validate, document.

Every JSON endpoint is declared with ``endpoint(...)``. It names the
``Permission`` the policy checks, the pydantic models of its query and body
(validated strictly: unknown fields, wrong types and non-JSON bodies are
4xx with our error body), and its response model. The same declaration feeds
spectree, which generates ``/openapi.json`` from the code.
"""

from __future__ import annotations

import functools
import json as jsonlib
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from spectree import Response as SpecResponse
from spectree import SpecTree
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from odr.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, resolve_session
from odr.errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from odr.policy import OBJECT_PERMISSIONS, Actor, Permission, authorize
from odr.services import Services


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


api_spec = SpecTree(
    "starlette",
    title="odr API",
    version="1",
    path="apidoc",
    mode="strict",
    validation_error_model=ErrorBody,
    description="Online dispute resolution and video mediation platform.",
)

Handler = Callable[..., Awaitable[Response]]


class StrictModel(BaseModel):
    """Request bodies refuse unknown fields."""

    model_config = {"extra": "forbid", "str_strip_whitespace": True}


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(request: Request) -> Actor:
    """Resolve the session cookie to an actor and enforce CSRF on unsafe methods."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        request.state.actor = Actor.anonymous()
        return request.state.actor
    resolved = await resolve_session(services_of(request), token)
    if resolved is None:
        request.state.actor = Actor.anonymous()
        return request.state.actor
    if request.method not in SAFE_METHODS and not csrf_matches(
        resolved.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(
            "missing or wrong CSRF token: send the odr_csrf cookie's value in X-CSRF-Token",
            code="csrf_failed",
        )
    request.state.actor = resolved.actor
    request.state.session_id = resolved.session_id
    return resolved.actor


def actor_of(request: Request) -> Actor:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else Actor.anonymous()


def _validation_details(err: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in err.errors(include_url=False, include_input=False)
    ]


async def _parse_json(request: Request, model: type[BaseModel]) -> BaseModel:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    limit = services_of(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    try:
        data = jsonlib.loads(body or b"null")
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", code="invalid_json") from exc
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ValidationFailed("the request body is invalid", details=_validation_details(err)) from err


def _parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ValidationFailed("the query is invalid", details=_validation_details(err)) from err


def endpoint(
    *,
    permission: Permission,
    json: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    resp: type[BaseModel] | None = None,
    status: int = 200,
    tags: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """Declare an API endpoint.

    The handler is called as ``handler(request, actor, [json=...], [query=...])``.
    Permissions that need an object (a case, a user) are checked again by the
    handler with the object; the decorator checks what can be known without it.
    """

    def decorate(func: Handler) -> Handler:
        @functools.wraps(func)
        async def handler(request: Request) -> Response:
            actor = await authenticate(request)
            if permission in OBJECT_PERMISSIONS:
                if not actor.authenticated:
                    raise Unauthenticated("sign in first")
            else:
                authorize(actor, permission)
            kwargs: dict[str, Any] = {}
            if query is not None:
                kwargs["query"] = _parse_query(request, query)
            if json is not None:
                kwargs["json"] = await _parse_json(request, json)
            return await func(request, actor, **kwargs)

        handler.__odr_permission__ = permission  # type: ignore[attr-defined]
        # spectree reads hints in this module's globals; the handler's own are not needed.
        handler.__annotations__ = {"request": Request, "return": Response}
        responses: dict[str, Any] = {f"HTTP_{status}": resp} if resp else {f"HTTP_{status}": None}
        for code in (400, 401, 403, 404, 409, 413, 415, 422, 429):
            responses.setdefault(f"HTTP_{code}", ErrorBody)
        return api_spec.validate(  # type: ignore[no-any-return]
            json=json, query=query, resp=SpecResponse(**responses), tags=list(tags),
            skip_validation=True,
        )(handler)

    return decorate


def ok(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> Response:
    if isinstance(model, BaseModel):
        # pydantic writes the JSON itself (the same compact UTF-8 JSONResponse
        # writes), skipping the intermediate dict and the stdlib encoder.
        return Response(model.model_dump_json(), status_code=status, media_type="application/json")
    return JSONResponse(model, status_code=status)

