"""Password reset and change, mobile change, re-authentication."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import LoginSession
from odr.clock import ManualClock
from odr.services import Services
from tests.accounts.support import another_client, audit_actions, code_sent_to, sms_messages
from tests.factories import login, make_user
from tests.support.notify import deliver_pending, sent_messages

MOBILE = "13700000001"
NEW_MOBILE = "15900000002"


async def test_password_reset_end_to_end_by_sms_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await make_user(services, username="wangwu", mobile=MOBILE)
    async with another_client(services) as laptop:
        await login(laptop, "wangwu")
        sent = await client.post(
            "/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "reset_password"}
        )
        assert sent.status_code == 202
        await deliver_pending(services)
        [sms] = await sent_messages(services, recipient=MOBILE, template="otp_code")
        assert sms.channel == "sms" and sms.user_id == user.id
        code = sms.context["code"]
        assert code in sms.body

        response = await client.post(
            "/api/v1/auth/password/reset",
            json={"mobile": MOBILE, "code": code, "new_password": "N3w-secret"},
        )
        assert response.status_code == 204, response.text
        # Every session is signed out.
        assert (await laptop.get("/api/v1/auth/me")).status_code == 401
    old = await client.post(
        "/api/v1/auth/login", json={"username": "wangwu", "password": "Passw0rd!"}
    )
    assert old.status_code == 401
    await login(client, "wangwu", "N3w-secret")
    await deliver_pending(services)
    [notice] = await sent_messages(services, recipient=MOBILE, template="password_changed")
    assert user.real_name in notice.body
    assert "account.password_reset" in await audit_actions(services)


async def test_password_reset_with_a_wrong_code_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, username="wangwu", mobile=MOBILE)
    await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "reset_password"})
    code = await code_sent_to(services, MOBILE, "reset_password")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = await client.post(
        "/api/v1/auth/password/reset",
        json={"mobile": MOBILE, "code": wrong, "new_password": "N3w-secret"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "code_wrong"
    await login(client, "wangwu")


async def test_password_reset_for_an_unknown_mobile_looks_like_a_wrong_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    sent = await client.post(
        "/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "reset_password"}
    )
    assert sent.status_code == 202
    response = await client.post(
        "/api/v1/auth/password/reset",
        json={"mobile": MOBILE, "code": "123456", "new_password": "N3w-secret"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "code_wrong"


async def test_password_reset_lifts_a_lock_left_by_guessers(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings = services.settings.model_copy(update={"login_max_failures_per_account": 2})
    await make_user(services, username="wangwu", mobile=MOBILE)
    for _ in range(2):
        await client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "guess123"})
    await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "reset_password"})
    code = await code_sent_to(services, MOBILE, "reset_password")
    response = await client.post(
        "/api/v1/auth/password/reset",
        json={"mobile": MOBILE, "code": code, "new_password": "N3w-secret"},
    )
    assert response.status_code == 204
    await login(client, "wangwu", "N3w-secret")


async def test_password_change_keeps_this_session_and_ends_the_others(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, username="wangwu", mobile=MOBILE)
    await login(client, "wangwu")
    async with another_client(services) as phone:
        await login(phone, "wangwu")
        wrong = await client.post(
            "/api/v1/auth/password/change",
            json={"old_password": "not-mine-1", "new_password": "N3w-secret"},
        )
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
        same = await client.post(
            "/api/v1/auth/password/change",
            json={"old_password": "Passw0rd!", "new_password": "Passw0rd!"},
        )
        assert same.status_code == 422
        weak = await client.post(
            "/api/v1/auth/password/change",
            json={"old_password": "Passw0rd!", "new_password": "short"},
        )
        assert weak.status_code == 422
        assert weak.json()["error"]["details"][0]["field"] == "new_password"
        response = await client.post(
            "/api/v1/auth/password/change",
            json={"old_password": "Passw0rd!", "new_password": "N3w-secret"},
        )
        assert response.status_code == 204, response.text
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        assert (await phone.get("/api/v1/auth/me")).status_code == 401
    [notice] = await sms_messages(services, to=MOBILE, template="password_changed")
    assert notice["context"]["name"]
    assert "account.password_change" in await audit_actions(services)
    client.cookies.clear()
    await login(client, "wangwu", "N3w-secret")


async def test_mobile_change_needs_password_and_a_code_to_the_new_number(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await make_user(services, username="wangwu", mobile=MOBILE)
    await login(client, "wangwu")
    sent = await client.post(
        "/api/v1/auth/otp", json={"mobile": NEW_MOBILE, "purpose": "change_mobile"}
    )
    assert sent.status_code == 202
    code = await code_sent_to(services, NEW_MOBILE, "change_mobile")
    wrong_password = await client.post(
        "/api/v1/auth/mobile/change",
        json={"new_mobile": NEW_MOBILE, "code": code, "password": "not-mine-1"},
    )
    assert wrong_password.status_code == 403
    response = await client.post(
        "/api/v1/auth/mobile/change",
        json={"new_mobile": NEW_MOBILE, "code": code, "password": "Passw0rd!"},
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["mobile_masked"] == "159****0002" and user["mobile_verified"] is True
    assert user["identity_level"] == "basic"
    [notice] = await sms_messages(services, to=MOBILE, template="mobile_changed")
    assert notice["context"]["mobile"] == "159****0002"
    assert "account.mobile_change" in await audit_actions(services)
    # The new number signs in by code; the old one no longer does.
    clock.advance(minutes=1)
    async with another_client(services) as phone:
        await phone.post("/api/v1/auth/otp", json={"mobile": NEW_MOBILE, "purpose": "login"})
        login_code = await code_sent_to(services, NEW_MOBILE, "login")
        signed = await phone.post(
            "/api/v1/auth/login/otp", json={"mobile": NEW_MOBILE, "code": login_code}
        )
        assert signed.status_code == 200
        await phone.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "login"})
        assert await sms_messages(services, to=MOBILE) == []


async def test_a_mobile_confirmed_by_another_account_cannot_be_taken(
    client: httpx.AsyncClient, services: Services
) -> None:
    await make_user(services, mobile=NEW_MOBILE)
    await make_user(services, username="wangwu", mobile=MOBILE)
    await login(client, "wangwu")
    response = await client.post(
        "/api/v1/auth/otp", json={"mobile": NEW_MOBILE, "purpose": "change_mobile"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mobile_registered"


async def test_reauthentication_by_password_or_code_marks_the_session(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await make_user(services, username="wangwu", mobile=MOBILE)
    await login(client, "wangwu")

    async def reauthenticated_at() -> object:
        async with services.db.reader() as uow:
            return (await uow.session.execute(select(LoginSession.reauthenticated_at))).scalar_one()

    clock.advance(hours=1)
    assert (
        await client.post("/api/v1/auth/reauthenticate", json={"password": "Passw0rd!"})
    ).status_code == 204
    assert await reauthenticated_at() == clock.now()

    clock.advance(hours=1)
    wrong = await client.post("/api/v1/auth/reauthenticate", json={"password": "not-mine-1"})
    assert wrong.status_code == 403
    await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "login"})
    code = await code_sent_to(services, MOBILE, "login")
    assert (
        await client.post("/api/v1/auth/reauthenticate", json={"code": code})
    ).status_code == 204
    assert await reauthenticated_at() == clock.now()

    both = await client.post(
        "/api/v1/auth/reauthenticate", json={"password": "x", "code": "123456"}
    )
    assert both.status_code == 422
    neither = await client.post("/api/v1/auth/reauthenticate", json={})
    assert neither.status_code == 422
    assert (await audit_actions(services)).count("auth.reauthenticate") == 2
