"""The account API under ``/api/v1/auth``: thin handlers over ``odr.accounts.service``.

Signing in sets two cookies: ``odr_session`` (HttpOnly; the session token)
and ``odr_csrf`` (readable by the page, echoed in ``X-CSRF-Token`` on unsafe
requests). Both are SameSite=Lax and Secure when ``cookie_secure`` is set.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.accounts import credentials, service, verification
from odr.accounts.schemas import (
    LoginIn,
    LoginOtpIn,
    LoginOut,
    MobileChangeIn,
    OtpRequestIn,
    OtpSentOut,
    PasswordChangeIn,
    PasswordResetIn,
    ReauthenticateIn,
    RegisterIn,
    UserEnvelope,
    VerifyMobileIn,
)
from odr.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission
from odr.settings import Settings

TAGS = ("accounts",)


def _client(request: Request) -> service.Client:
    host = request.client.host if request.client else ""
    return service.Client(address=host, user_agent=request.headers.get("user-agent", ""))


def _session_id(request: Request) -> int | None:
    value = getattr(request.state, "session_id", None)
    return value if isinstance(value, int) else None


def _set_cookies(response: Response, settings: Settings, signed_in: service.SignedIn) -> Response:
    max_age = settings.session_ttl_hours * 3600
    secure = settings.cookie_secure
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.session.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        signed_in.session.csrf_token,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="lax",
        secure=secure,
    )
    return response


def _clear_cookies(response: Response, settings: Settings) -> Response:
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(
            name, path="/", httponly=http_only, samesite="lax", secure=settings.cookie_secure
        )
    return response


def _signed_in_response(request: Request, signed_in: service.SignedIn, status: int) -> Response:
    if status == 201:
        body = ok(UserEnvelope(user=signed_in.user), status)
    else:
        body = ok(LoginOut(user=signed_in.user, csrf_token=signed_in.session.csrf_token), status)
    return _set_cookies(body, services_of(request).settings, signed_in)


def _no_content() -> Response:
    return Response(status_code=204)


@endpoint(
    permission=Permission.ACCOUNT_REGISTER,
    json=RegisterIn,
    resp=UserEnvelope,
    status=201,
    tags=TAGS,
)
async def register(request: Request, actor: Actor, json: RegisterIn) -> Response:
    """Register a party or agent; signs in and texts a code to confirm the mobile (L2)."""
    signed_in = await service.register(
        services_of(request), json, _client(request), replaces=_session_id(request)
    )
    return _signed_in_response(request, signed_in, 201)


@endpoint(
    permission=Permission.ACCOUNT_OTP, json=OtpRequestIn, resp=OtpSentOut, status=202, tags=TAGS
)
async def request_code(request: Request, actor: Actor, json: OtpRequestIn) -> Response:
    """Text a one-time code. ``verify_mobile`` and ``change_mobile`` need a signed-in user."""
    expires_in = await verification.request_code(
        services_of(request), actor, json.mobile, json.purpose
    )
    return ok(OtpSentOut(sent=True, expires_in=expires_in), 202)


@endpoint(
    permission=Permission.SELF_VERIFY_IDENTITY, json=VerifyMobileIn, resp=UserEnvelope, tags=TAGS
)
async def verify_mobile(request: Request, actor: Actor, json: VerifyMobileIn) -> Response:
    """Confirm the account's mobile number with its code; identity becomes ``basic``."""
    user = await verification.verify_mobile(services_of(request), actor, json.code)
    return ok(UserEnvelope(user=user))


@endpoint(permission=Permission.ACCOUNT_LOGIN, json=LoginIn, resp=LoginOut, tags=TAGS)
async def login(request: Request, actor: Actor, json: LoginIn) -> Response:
    """Sign in with username and password."""
    signed_in = await service.login_with_password(
        services_of(request),
        json.username,
        json.password,
        _client(request),
        replaces=_session_id(request),
    )
    return _signed_in_response(request, signed_in, 200)


@endpoint(permission=Permission.ACCOUNT_LOGIN, json=LoginOtpIn, resp=LoginOut, tags=TAGS)
async def login_with_code(request: Request, actor: Actor, json: LoginOtpIn) -> Response:
    """Sign in with a ``login`` code sent to a confirmed mobile number."""
    signed_in = await service.login_with_code(
        services_of(request),
        json.mobile,
        json.code,
        _client(request),
        replaces=_session_id(request),
    )
    return _signed_in_response(request, signed_in, 200)


@endpoint(permission=Permission.ACCOUNT_LOGIN, status=204, tags=TAGS)
async def logout(request: Request, actor: Actor) -> Response:
    """Sign out: the session is revoked and the cookies cleared."""
    services = services_of(request)
    await service.logout(services, _session_id(request))
    return _clear_cookies(_no_content(), services.settings)


@endpoint(permission=Permission.SELF_READ, resp=UserEnvelope, tags=TAGS)
async def me(request: Request, actor: Actor) -> Response:
    """The signed-in user; document and mobile numbers are masked."""
    return ok(UserEnvelope(user=await service.me(services_of(request), actor)))


@endpoint(permission=Permission.ACCOUNT_RECOVER, json=PasswordResetIn, status=204, tags=TAGS)
async def reset_password(request: Request, actor: Actor, json: PasswordResetIn) -> Response:
    """Set a new password with a ``reset_password`` code; signs out every session."""
    services = services_of(request)
    await credentials.reset_password(
        services, json.mobile, json.code, json.new_password, _client(request)
    )
    return _clear_cookies(_no_content(), services.settings)


@endpoint(permission=Permission.SELF_UPDATE, json=PasswordChangeIn, status=204, tags=TAGS)
async def change_password(request: Request, actor: Actor, json: PasswordChangeIn) -> Response:
    """Change the password; other sessions are signed out."""
    await credentials.change_password(
        services_of(request),
        actor,
        _session_id(request),
        json.old_password,
        json.new_password,
        _client(request),
    )
    return _no_content()


@endpoint(permission=Permission.SELF_UPDATE, json=MobileChangeIn, resp=UserEnvelope, tags=TAGS)
async def change_mobile(request: Request, actor: Actor, json: MobileChangeIn) -> Response:
    """Move the account to a new mobile (code sent to the new number, with ``change_mobile``)."""
    user = await credentials.change_mobile(
        services_of(request), actor, json.new_mobile, json.code, json.password, _client(request)
    )
    return ok(UserEnvelope(user=user))


@endpoint(permission=Permission.SELF_REAUTHENTICATE, json=ReauthenticateIn, status=204, tags=TAGS)
async def reauthenticate(request: Request, actor: Actor, json: ReauthenticateIn) -> Response:
    """Confirm presence again before a sensitive act (e.g. signing)."""
    await credentials.reauthenticate(
        services_of(request),
        actor,
        _session_id(request),
        _client(request),
        password=json.password,
        code=json.code,
    )
    return _no_content()


routes = [
    Route("/api/v1/auth/register", register, methods=["POST"]),
    Route("/api/v1/auth/otp", request_code, methods=["POST"]),
    Route("/api/v1/auth/verify-mobile", verify_mobile, methods=["POST"]),
    Route("/api/v1/auth/login", login, methods=["POST"]),
    Route("/api/v1/auth/login/otp", login_with_code, methods=["POST"]),
    Route("/api/v1/auth/logout", logout, methods=["POST"]),
    Route("/api/v1/auth/me", me, methods=["GET"]),
    Route("/api/v1/auth/password/reset", reset_password, methods=["POST"]),
    Route("/api/v1/auth/password/change", change_password, methods=["POST"]),
    Route("/api/v1/auth/mobile/change", change_mobile, methods=["POST"]),
    Route("/api/v1/auth/reauthenticate", reauthenticate, methods=["POST"]),
]
