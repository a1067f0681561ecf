"""Signing in and out, throttling with the clock, CSRF on cookie-authenticated requests."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import LoginSession
from odr.accounts.sessions import SESSION_COOKIE
from odr.clock import ManualClock
from odr.services import Services
from tests.accounts.support import another_client, audit_actions, code_sent_to, register
from tests.factories import login, make_user


async def test_login_sets_cookies_and_returns_user_and_csrf_token(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, username="wangwu", institution_id=None)
    response = await client.post(
        "/api/v1/auth/login", json={"username": "WangWu", "password": "Passw0rd!"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == user.id and body["user"]["identity_level"] == "basic"
    assert body["csrf_token"] == client.cookies["odr_csrf"]
    assert SESSION_COOKIE in client.cookies
    assert (await client.get("/api/v1/auth/me")).json()["user"]["username"] == "wangwu"
    assert await audit_actions(services) == ["auth.login"]


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, username="wangwu")
    wrong = await client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "nope"})
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "ghost", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["message"] == "wrong username or password"
    assert SESSION_COOKIE not in client.cookies


async def test_me_lists_memberships(client: httpx.AsyncClient, services: Services) -> None:
    from odr.orgs.models import Court
    from odr.orgs.seed import seed_orgs

    async with services.db.uow() as uow:
        await seed_orgs(uow, services.clock)
        court_id = (await uow.session.execute(select(Court.id).limit(1))).scalar_one()
    judge = await make_user(services, "judge", court_id=court_id)
    user = await login(client, judge.username)
    assert user["court_ids"] == [court_id] and user["institution_ids"] == []
    assert user["role"] == "judge"


async def test_failures_lock_the_account_until_the_clock_moves(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await make_user(services, username="wangwu")
    limit = services.settings.login_max_failures_per_account
    for _ in range(limit):
        response = await client.post(
            "/api/v1/auth/login", json={"username": "wangwu", "password": "guess123"}
        )
        assert response.status_code == 401
        clock.advance(seconds=10)
    locked = await client.post(
        "/api/v1/auth/login", json={"username": "wangwu", "password": "Passw0rd!"}
    )
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["details"]["scope"] == "account"
    # The first failure leaves the window 15 minutes after it was made.
    window = services.settings.login_window_minutes * 60
    assert error["details"]["retry_after"] == window - 10 * limit
    assert (await audit_actions(services)).count("auth.lockout") == 1

    clock.advance(seconds=error["details"]["retry_after"] - 1)
    still = await client.post(
        "/api/v1/auth/login", json={"username": "wangwu", "password": "Passw0rd!"}
    )
    assert still.status_code == 429
    clock.advance(seconds=1)
    await login(client, "wangwu")


async def test_success_clears_the_account_count(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings = services.settings.model_copy(update={"login_max_failures_per_account": 3})
    await make_user(services, username="wangwu")
    limit = services.settings.login_max_failures_per_account
    for _ in range(limit - 1):
        await client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "guess123"})
    await login(client, "wangwu")
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token")
    for _ in range(limit - 1):
        response = await client.post(
            "/api/v1/auth/login", json={"username": "wangwu", "password": "guess123"}
        )
        assert response.status_code == 401
    await login(client, "wangwu")


async def test_failures_from_one_address_lock_that_address_only(
    services: Services, clock: ManualClock
) -> None:
    services.settings = services.settings.model_copy(update={"login_max_failures_per_address": 4})
    await make_user(services, username="wangwu")
    async with another_client(services, "203.0.113.9") as attacker:
        for n in range(4):  # one guess per account name: no account gets locked
            response = await attacker.post(
                "/api/v1/auth/login", json={"username": f"victim{n}", "password": "guess123"}
            )
            assert response.status_code == 401
        blocked = await attacker.post(
            "/api/v1/auth/login", json={"username": "wangwu", "password": "Passw0rd!"}
        )
        assert blocked.status_code == 429
        assert blocked.json()["error"]["details"]["scope"] == "address"
        async with another_client(services, "198.51.100.7") as elsewhere:
            await login(elsewhere, "wangwu")
        clock.advance(minutes=services.settings.login_window_minutes)
        await login(attacker, "wangwu")
    lockouts = [a for a in await audit_actions(services) if a == "auth.lockout"]
    assert lockouts == ["auth.lockout"]


async def test_cookie_authenticated_post_needs_the_csrf_header(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, username="wangwu")
    await login(client, "wangwu")
    csrf = client.headers.pop("X-CSRF-Token")
    body = {"password": "Passw0rd!"}
    missing = await client.post("/api/v1/auth/reauthenticate", json=body)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    wrong = await client.post(
        "/api/v1/auth/reauthenticate", json=body, headers={"X-CSRF-Token": "not-the-token"}
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "csrf_failed"
    right = await client.post(
        "/api/v1/auth/reauthenticate", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert right.status_code == 204


async def test_logout_revokes_the_session(client: httpx.AsyncClient, services: Services) -> None:
    await make_user(services, username="wangwu")
    await login(client, "wangwu")
    token = client.cookies[SESSION_COOKIE]
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    # Replaying the old cookie does not bring the session back.
    async with another_client(services) as replay:
        replay.cookies.set(SESSION_COOKIE, token)
        assert (await replay.get("/api/v1/auth/me")).status_code == 401
    async with services.db.reader() as uow:
        [revoked] = (await uow.session.execute(select(LoginSession.revoked_at))).scalars().all()
    assert revoked == services.clock.now()


async def test_login_replaces_the_session_of_the_same_browser(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, username="wangwu")
    await login(client, "wangwu")
    first = client.headers["X-CSRF-Token"]
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "wangwu", "password": "Passw0rd!"},
        headers={"X-CSRF-Token": first},
    )
    assert response.status_code == 200
    async with services.db.reader() as uow:
        revoked = (
            (await uow.session.execute(select(LoginSession.revoked_at).order_by(LoginSession.id)))
            .scalars()
            .all()
        )
    assert [r is not None for r in revoked] == [True, False]


async def test_login_with_a_code_to_a_confirmed_mobile(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, username="wangwu", mobile="13700000001")
    sent = await client.post("/api/v1/auth/otp", json={"mobile": "13700000001", "purpose": "login"})
    assert sent.status_code == 202 and sent.json() == {"sent": True, "expires_in": 300}
    code = await code_sent_to(services, "13700000001", "login")
    wrong = await client.post(
        "/api/v1/auth/login/otp",
        json={"mobile": "13700000001", "code": f"{(int(code) + 1) % 10**6:06d}"},
    )
    assert wrong.status_code == 401
    response = await client.post(
        "/api/v1/auth/login/otp", json={"mobile": "13700000001", "code": code}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user.id and response.json()["csrf_token"]
    assert "auth.login" in await audit_actions(services)


async def test_code_login_refused_for_an_unconfirmed_mobile(
    services: Services, clock: ManualClock
) -> None:
    async with another_client(services) as browser:
        await register(browser)  # mobile not yet confirmed
    clock.advance(seconds=services.settings.otp_resend_seconds)
    async with another_client(services) as other:
        sent = await other.post(
            "/api/v1/auth/otp", json={"mobile": "13812345678", "purpose": "login"}
        )
        assert sent.status_code == 202
        codes = await code_sent_to(services, "13812345678", "verify_mobile")
        response = await other.post(
            "/api/v1/auth/login/otp", json={"mobile": "13812345678", "code": codes}
        )
        assert response.status_code == 401
