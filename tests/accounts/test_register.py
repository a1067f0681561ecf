"""Registration: validation, duplicates, sign-in cookies, document encryption (L2)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text

from odr.accounts.models import LoginSession, OneTimeCode, User
from odr.accounts.service import DOC_CONTEXT
from odr.audit.models import AuditEntry
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.accounts.support import (
    MOBILE,
    RESIDENT_ID,
    another_client,
    audit_actions,
    count,
    registration,
    sms_messages,
)
from tests.factories import resident_id


async def test_register_creates_a_signed_in_party_and_texts_a_code_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await client.post("/api/v1/auth/register", json=registration(locale="en"))
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["username"] == "zhangsan" and user["role"] == "party" and user["locale"] == "en"
    assert user["identity_level"] == "none" and user["mobile_verified"] is False
    assert user["id_doc_type"] == "resident_id"
    assert user["id_doc_masked"] == "**************002X"
    assert user["mobile_masked"] == "138****5678"
    assert set(response.json()) == {"user"}

    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("odr_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("odr_csrf="))
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    assert "httponly" not in csrf_cookie.lower() and "samesite=lax" in csrf_cookie.lower()
    assert "secure" not in session_cookie.lower()  # cookie_secure is off in tests

    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"]["id"] == user["id"]

    [sms] = await sms_messages(services, to=MOBILE)
    assert sms["channel"] == "sms" and sms["user_id"] == user["id"] and sms["locale"] == "en"
    assert sms["context"]["purpose"] == "verify_mobile" and sms["context"]["minutes"] == 5
    assert len(sms["context"]["code"]) == 6 and sms["context"]["code"].isdigit()
    assert await audit_actions(services) == ["account.register", "auth.login"]


async def test_session_cookies_are_secure_when_configured(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings = services.settings.model_copy(update={"cookie_secure": True})
    response = await client.post("/api/v1/auth/register", json=registration())
    assert response.status_code == 201
    for cookie in response.headers.get_list("set-cookie"):
        assert "secure" in cookie.lower()


async def _assert_nothing_written(services: Services) -> None:
    for model in (User, LoginSession, OneTimeCode, OutboxMessage, AuditEntry):
        assert await count(services, model) == 0, model.__name__


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"id_doc_number": "110105194912310021"}, "id_doc_number", "check character"),
        ({"id_doc_number": "11010120200230001X"}, "id_doc_number", "not a real date"),
        (
            {"id_doc_type": "uscc", "id_doc_number": "91350100M000100Y44"},
            "id_doc_number",
            "check character",
        ),
        ({"id_doc_type": "lawyer_licence", "id_doc_number": "12345"}, "id_doc_number", "17 digits"),
        ({"id_doc_type": "driving_licence"}, "id_doc_type", ""),
        ({"mobile": "12345678901"}, "mobile", "mainland mobile"),
        ({"password": "password"}, "password", "too weak"),
        ({"username": "a"}, "username", "3-32"),
        ({"role": "mediator"}, "role", ""),
        ({"real_name": ""}, "real_name", ""),
        ({"nickname": "zs"}, "nickname", "Extra inputs"),
    ],
)
async def test_bad_registration_is_422_naming_the_field_and_writes_nothing_L2(
    client: httpx.AsyncClient, services: Services, change: dict[str, str], field: str, words: str
) -> None:
    response = await client.post("/api/v1/auth/register", json=registration(**change))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    details = {d["field"]: d["message"] for d in error["details"]}
    assert field in details and words in details[field]
    await _assert_nothing_written(services)


async def test_resident_id_born_after_today_is_refused_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    from odr.accounts.identity import resident_id_check_char

    first17 = "31010120300101001"  # born 2030-01-01, after the test clock's today
    response = await client.post(
        "/api/v1/auth/register",
        json=registration(id_doc_number=first17 + resident_id_check_char(first17)),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "id_doc_number"
    await _assert_nothing_written(services)


async def test_registration_not_sent_as_json_is_415(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await client.post("/api/v1/auth/register", data=registration())
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    await _assert_nothing_written(services)


async def test_duplicate_username_or_document_is_409_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    assert (await client.post("/api/v1/auth/register", json=registration())).status_code == 201
    async with another_client(services) as second:
        taken = await second.post(
            "/api/v1/auth/register",
            json=registration(
                username="ZhangSan", id_doc_number=resident_id(4242), mobile="13900000001"
            ),
        )
        assert taken.status_code == 409
        assert taken.json()["error"]["code"] == "username_taken"
        # The same document typed differently (spaces, lower-case x) is the same document.
        same_doc = await second.post(
            "/api/v1/auth/register",
            json=registration(
                username="lisi", id_doc_number="110105 19491231 002x", mobile="13900000001"
            ),
        )
        assert same_doc.status_code == 409
        error = same_doc.json()["error"]
        assert error["code"] == "document_registered"
        assert "already exists" in error["message"]
    assert await count(services, User) == 1


async def test_identity_document_is_encrypted_at_rest_and_masked_in_the_api_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = (await client.post("/api/v1/auth/register", json=registration())).json()["user"]
    async with services.db.reader() as uow:
        row = (await uow.session.execute(text("SELECT * FROM users"))).mappings().one()
        stored = await uow.session.get(User, user["id"])
        assert stored is not None
        encrypted = stored.id_doc_number_enc
    raw = " ".join(str(v) for v in row.values())
    assert RESIDENT_ID not in raw and RESIDENT_ID[:17] not in raw
    assert encrypted is not None and RESIDENT_ID.encode() not in bytes(encrypted)
    assert row["id_doc_last4"] == "002X"
    assert services.crypto.decrypt(bytes(encrypted), context=DOC_CONTEXT) == RESIDENT_ID
    assert row["id_doc_lookup"] == services.crypto.lookup_hash(RESIDENT_ID, context=DOC_CONTEXT)
    me = await client.get("/api/v1/auth/me")
    assert RESIDENT_ID not in me.text and RESIDENT_ID[:14] not in me.text
    assert me.json()["user"]["id_doc_masked"].endswith("002X")
    async with services.db.reader() as uow:
        audit = (await uow.session.execute(select(AuditEntry.data))).scalars().all()
    assert RESIDENT_ID not in str(audit)


async def test_register_accepts_a_company_credit_code_and_agent_role(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json=registration(role="agent", id_doc_type="uscc", id_doc_number="91350100m000100y43"),
    )
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["role"] == "agent" and user["id_doc_masked"] == "**************0Y43"
