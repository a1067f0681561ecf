"""Staff accounts are created by a platform admin, with their organisation, and audited."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import Membership, User
from odr.audit.models import AuditEntry
from odr.orgs.models import Institution
from odr.orgs.seed import seed_orgs
from odr.services import Services
from tests.factories import make_user, resident_id, sign_in


def staff(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "mediator.wang",
        "password": "Mediat0r!",
        "real_name": "王调解",
        "id_doc_type": "resident_id",
        "id_doc_number": resident_id(9001),
        "mobile": "13712345678",
        "role": "mediator",
        "institution_code": "SFCDMC",
    }
    body.update(overrides)
    return body


async def _seeded(services: Services) -> None:
    async with services.db.uow() as uow:
        await seed_orgs(uow, services.clock)


async def test_admin_creates_a_mediator_of_an_institution(
    client: httpx.AsyncClient, services: Services
) -> None:
    await _seeded(services)
    admin = await make_user(services, "admin")
    await sign_in(client, services, admin)
    response = await client.post("/api/v1/admin/users", json=staff())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "mediator"
    assert body["identity_level"] == "none"  # the mediator confirms the mobile at first sign-in
    async with services.db.reader() as uow:
        user = (await uow.session.execute(select(User).where(User.username == "mediator.wang"))).scalar_one()
        membership = (await uow.session.execute(select(Membership).where(Membership.user_id == user.id))).scalar_one()
        institution = await uow.session.get(Institution, membership.institution_id)
        assert institution is not None and institution.code == "SFCDMC"
        entry = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "account.created_by_admin")
        )).scalar_one()
        assert entry.actor_id == admin.id and entry.subject_id == str(user.id)
    listed = (await client.get("/api/v1/admin/users", params={"role": "mediator"})).json()
    assert [u["username"] for u in listed["items"]] == ["mediator.wang"]


async def test_staff_role_needs_its_organisation(client: httpx.AsyncClient, services: Services) -> None:
    await _seeded(services)
    await sign_in(client, services, await make_user(services, "admin"))
    response = await client.post("/api/v1/admin/users", json=staff(institution_code=None))
    assert response.status_code == 422
    response = await client.post("/api/v1/admin/users", json=staff(institution_code="NOPE"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "institution_code"
    judge = staff(role="judge", institution_code=None, court_code="SHJRFY", username="judge.li")
    assert (await client.post("/api/v1/admin/users", json=judge)).status_code == 201


async def test_only_platform_admins_create_accounts(client: httpx.AsyncClient, services: Services) -> None:
    await _seeded(services)
    await sign_in(client, services, await make_user(services, "institution_admin"))
    response = await client.post("/api/v1/admin/users", json=staff())
    assert response.status_code == 403
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(User).where(User.username == "mediator.wang"))).first() is None


async def test_admin_reads_the_audit_log_newest_first(client: httpx.AsyncClient, services: Services) -> None:
    await _seeded(services)
    await sign_in(client, services, await make_user(services, "admin"))
    await client.post("/api/v1/admin/users", json=staff())
    page = (await client.get("/api/v1/admin/audit", params={"limit": 5})).json()["items"]
    assert page[0]["action"] == "account.created_by_admin"
    assert page[0]["prev_hash"] != page[0]["hash"]
