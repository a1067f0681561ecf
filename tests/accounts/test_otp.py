"""One-time codes: confirmation of the mobile (L2), expiry, tries, single use, send limits."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from odr.accounts.models import OneTimeCode, User
from odr.clock import ManualClock
from odr.services import Services
from tests.accounts.support import (
    MOBILE,
    audit_actions,
    code_sent_to,
    register,
    sms_messages,
)
from tests.factories import make_user


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_confirming_the_mobile_gives_basic_identity_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    await register(client)
    code = await code_sent_to(services, MOBILE, "verify_mobile")
    response = await client.post("/api/v1/auth/verify-mobile", json={"code": code})
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user["mobile_verified"] is True
    assert user["mobile_verified_at"] is not None
    assert user["identity_level"] == "basic"
    assert (await audit_actions(services))[-1] == "identity.verify"
    async with services.db.reader() as uow:
        stored = (await uow.session.execute(select(User))).scalar_one()
        assert stored.identity_verifier == "checksum+mobile"
        assert stored.identity_verified_at == services.clock.now()
    again = await client.post("/api/v1/auth/verify-mobile", json={"code": code})
    assert again.status_code == 409


async def test_codes_are_stored_only_as_hashes(
    client: httpx.AsyncClient, services: Services
) -> None:
    await register(client)
    code = await code_sent_to(services, MOBILE, "verify_mobile")
    async with services.db.reader() as uow:
        [stored] = (await uow.session.execute(select(OneTimeCode.code_hash))).scalars().all()
    assert code not in stored and len(stored) == 64


async def test_expired_code_is_refused(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await register(client)
    code = await code_sent_to(services, MOBILE, "verify_mobile")
    clock.advance(minutes=services.settings.otp_ttl_minutes)
    response = await client.post("/api/v1/auth/verify-mobile", json={"code": code})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "code_expired"
    # A new code works.
    assert (
        await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "verify_mobile"})
    ).status_code == 202
    fresh = await code_sent_to(services, MOBILE, "verify_mobile")
    assert (
        await client.post("/api/v1/auth/verify-mobile", json={"code": fresh})
    ).status_code == 200


async def test_too_many_wrong_tries_kill_the_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    await register(client)
    code = await code_sent_to(services, MOBILE, "verify_mobile")
    tries = services.settings.otp_max_attempts
    answers = []
    for _ in range(tries):
        response = await client.post("/api/v1/auth/verify-mobile", json={"code": other_code(code)})
        answers.append(response.json()["error"]["code"])
    assert answers == ["code_wrong"] * (tries - 1) + ["code_exhausted"]
    right = await client.post("/api/v1/auth/verify-mobile", json={"code": code})
    assert right.status_code == 400 and right.json()["error"]["code"] == "code_exhausted"


async def test_a_new_code_retires_the_old_one(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await register(client)
    old = await code_sent_to(services, MOBILE, "verify_mobile")
    clock.advance(seconds=services.settings.otp_resend_seconds)
    await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "verify_mobile"})
    new = await code_sent_to(services, MOBILE, "verify_mobile")
    if old != new:
        refused = await client.post("/api/v1/auth/verify-mobile", json={"code": old})
        assert refused.status_code == 400
    assert (await client.post("/api/v1/auth/verify-mobile", json={"code": new})).status_code == 200


async def test_a_code_is_used_once(client: httpx.AsyncClient, services: Services) -> None:
    await make_user(services, mobile="13700000001")
    await client.post("/api/v1/auth/otp", json={"mobile": "13700000001", "purpose": "login"})
    code = await code_sent_to(services, "13700000001", "login")
    first = await client.post(
        "/api/v1/auth/login/otp", json={"mobile": "13700000001", "code": code}
    )
    assert first.status_code == 200
    client.cookies.clear()
    second = await client.post(
        "/api/v1/auth/login/otp", json={"mobile": "13700000001", "code": code}
    )
    assert second.status_code == 401


async def test_codes_to_one_mobile_are_limited_per_minute_and_per_day(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await make_user(services, mobile="13700000001")
    body = {"mobile": "13700000001", "purpose": "login"}
    assert (await client.post("/api/v1/auth/otp", json=body)).status_code == 202
    clock.advance(seconds=20)
    soon = await client.post("/api/v1/auth/otp", json=body)
    assert soon.status_code == 429
    assert soon.json()["error"]["details"]["retry_after"] == 40
    # Another purpose to the same number shares the limit.
    other = await client.post("/api/v1/auth/otp", json={**body, "purpose": "reset_password"})
    assert other.status_code == 429
    for _ in range(services.settings.otp_max_per_day - 1):
        clock.advance(seconds=services.settings.otp_resend_seconds)
        assert (await client.post("/api/v1/auth/otp", json=body)).status_code == 202
    clock.advance(minutes=30)
    daily = await client.post("/api/v1/auth/otp", json=body)
    assert daily.status_code == 429
    assert "today" in daily.json()["error"]["message"]
    clock.advance(hours=24)
    assert (await client.post("/api/v1/auth/otp", json=body)).status_code == 202
    assert (
        len(await sms_messages(services, to="13700000001")) == services.settings.otp_max_per_day + 1
    )


async def test_unknown_mobiles_get_the_same_answer_but_no_message(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await make_user(services, mobile="13700000001")
    known = await client.post(
        "/api/v1/auth/otp", json={"mobile": "13700000001", "purpose": "login"}
    )
    unknown = await client.post(
        "/api/v1/auth/otp", json={"mobile": "13700000002", "purpose": "reset_password"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert await sms_messages(services, to="13700000002") == []
    # The sending limit applies to unknown numbers too, so it reveals nothing.
    again = await client.post(
        "/api/v1/auth/otp", json={"mobile": "13700000002", "purpose": "login"}
    )
    assert again.status_code == 429


async def test_signed_in_purposes_need_a_session(client: httpx.AsyncClient) -> None:
    for purpose in ("verify_mobile", "change_mobile"):
        response = await client.post(
            "/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": purpose}
        )
        assert response.status_code == 401
    assert (
        await client.post("/api/v1/auth/verify-mobile", json={"code": "123456"})
    ).status_code == 401


async def test_verify_code_goes_only_to_the_account_mobile(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    await register(client)
    clock.advance(minutes=1)
    response = await client.post(
        "/api/v1/auth/otp", json={"mobile": "13700000009", "purpose": "verify_mobile"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mobile_mismatch"


async def test_bad_otp_requests_are_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/otp", json={"mobile": "1380000", "purpose": "login"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "mobile"
    response = await client.post("/api/v1/auth/otp", json={"mobile": MOBILE, "purpose": "pay"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "purpose"
