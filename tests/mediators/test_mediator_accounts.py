"""An institution admin opens a mediator account with its roster profile; the mediator then
sets its own password with a code to its mobile and signs in (L2: mobile confirmed at first sign-in)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from odr.accounts.models import Membership, User
from odr.audit.models import AuditEntry
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import resident_id, sign_in
from tests.mediators.support import org

ACCOUNT = {"username": "zhou.mediator", "real_name": "周调解", "id_doc_number": resident_id(501),
           "mobile": "13900000501", "specialties": ["banking"], "languages": ["zh"],
           "max_concurrent_cases": 6, "title": "调解员"}


async def _users(services: Services) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count(User.id)))).scalar_one())


async def test_admin_opens_a_mediator_account_who_sets_its_own_password(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    await sign_in(client, services, o.admin)
    url = f"/api/v1/institutions/{o.institution_id}/mediator-accounts"
    created = await client.post(url, json=ACCOUNT)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["specialties"], body["status"], body["max_concurrent_cases"]) == (["banking"], "active", 6)
    listed = (await client.get(f"/api/v1/institutions/{o.institution_id}/mediators")).json()["items"]
    assert [p["id"] for p in listed] == [body["id"]]
    async with services.db.reader() as uow:
        user = (await uow.session.execute(select(User).where(User.username == "zhou.mediator"))).scalar_one()
        member = (await uow.session.execute(
            select(Membership).where(Membership.user_id == user.id))).scalar_one()
        sms = (await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"%mediators.account:{user.id}:%"))
        )).scalars().all()
        actions = set((await uow.session.execute(select(AuditEntry.action))).scalars())
    assert (user.role, member.institution_id) == ("mediator", o.institution_id)
    assert [(m.payload["template"], m.payload["recipient"], m.payload["context"]["username"])
            for m in sms] == [("mediator_account_opened", ACCOUNT["mobile"], "zhou.mediator")]
    assert {"account.created_by_admin", "mediator.profile_created"} <= actions
    # The mediator sets its password through the ordinary recovery flow, then signs in.
    client.cookies.clear()
    early = await client.post("/api/v1/auth/login", json={"username": "zhou.mediator", "password": "Aa1!guess-it"})
    assert early.status_code in (401, 403)  # no password until the mediator sets one
    sent = await client.post("/api/v1/auth/otp", json={"mobile": ACCOUNT["mobile"], "purpose": "reset_password"})
    assert sent.status_code in (200, 202), sent.text
    from tests.e2e.support import latest_code

    code = await latest_code(services, mobile=ACCOUNT["mobile"], purpose="reset_password")
    reset = await client.post("/api/v1/auth/password/reset", json={
        "mobile": ACCOUNT["mobile"], "code": code, "new_password": "Mediat0r!2026"})
    assert reset.status_code in (200, 204), reset.text
    login = await client.post("/api/v1/auth/login", json={"username": "zhou.mediator", "password": "Mediat0r!2026"})
    assert login.status_code == 200, login.text


async def test_bad_mediator_accounts_are_refused_with_nothing_created(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    await sign_in(client, services, o.admin)
    url = f"/api/v1/institutions/{o.institution_id}/mediator-accounts"
    before = await _users(services)
    for change in ({"id_doc_number": "110101199001011234"},  # bad check digit
                   {"username": "x"}, {"mobile": "123"},
                   {"specialties": ["commercial_trade"]},  # not a category this institution takes
                   {"password": "Chosen!Pass1"}):  # the admin never sets the password
        r = await client.post(url, json={**ACCOUNT, **change})
        assert r.status_code == 422, (change, r.text)
    assert await _users(services) == before
    assert (await client.post(url, json=ACCOUNT)).status_code == 201
    twice = await client.post(url, json={**ACCOUNT, "username": "zhou.second"})
    assert twice.status_code == 409  # the same person (ID number, mobile) has an account
    other = await client.post(f"/api/v1/institutions/{o.institution_ids[1]}/mediator-accounts",
                              json={**ACCOUNT, "username": "other.one"})
    assert other.status_code == 403
