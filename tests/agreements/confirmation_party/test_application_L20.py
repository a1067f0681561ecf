"""The joint application (L20): one party alone is not enough; when every party joined the
court has it (status applied, case moved, application PDF stored, court told)."""

from __future__ import annotations

import subprocess

import httpx
from sqlalchemy import select

from agreements.models import ConfirmationApplication, ConfirmationJoin
from odr.audit.models import AuditEntry
from odr.cases.models import CaseDocument, Deadline
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.agreements.confirmation_party.support import (
    as_user,
    case_row,
    effective_world,
    event_kinds,
    make_agent,
)
from tests.factories import make_user


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True)
    return done.stdout.decode()


async def _outbox_templates(services: Services) -> list[tuple[str, str]]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "notify.send")
        )).scalars().all()
    return [(r.get("template", ""), str(r.get("user_id", ""))) for r in rows]


async def test_one_party_alone_is_not_enough_both_joined_is_applied_L20(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    judge = await make_user(services, "judge", court_id=world.courts["SHHPFY"], password=None)

    await as_user(client, services, world.applicant)
    started = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert started.status_code == 201, started.text
    app = started.json()
    assert app["status"] == "gathering"
    assert app["competence_basis"] == "domicile"
    assert [j["party_id"] for j in app["joins"]] == [world.party_ids["applicant"]]
    assert [p["party_id"] for p in app["pending"]] == [world.party_ids["respondent"]]
    assert (await case_row(services, world.case_id)).status == "agreement_effective"
    # The other side is asked to join.
    templates = await _outbox_templates(services)
    assert ("confirmation_join_request", str(world.respondent.id)) in templates

    # Joining again for the same party is refused and changes nothing.
    again = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_joined"

    await as_user(client, services, world.respondent)
    joined = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join",
                               json={"device_id": "phone-b"})
    assert joined.status_code == 200, joined.text
    out = joined.json()
    assert out["status"] == "applied" and out["applied_at"] is not None
    assert out["pending"] == []
    assert out["application_document_id"] is not None
    case = await case_row(services, world.case_id)
    assert case.status == "confirmation_applied"
    kinds = await event_kinds(services, world.case_id)
    assert {"confirmation_started", "confirmation_joined", "apply_confirmation",
            "confirmation_applied"} <= set(kinds)

    async with services.db.reader() as uow:
        document = await uow.session.get(CaseDocument, out["application_document_id"])
        assert document is not None and document.kind == "application"
        assert document.content_type == "application/pdf"
        data = await services.storage.get_bytes(document.blob_sha256)
        window = (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == world.case_id, Deadline.kind == "confirmation_window"))).scalar_one()
    assert data.startswith(b"%PDF") and b"/ByteRange" in data  # signed by the institution
    text = _pdf_text(data)
    for expected in ("司法确认申请书", "上海市黄浦区人民法院", world.applicant.real_name,
                     world.respondent.real_name, "上海市虹口区四川北路200号", world.respondent.mobile,
                     "调解组织主持调解的证明"):
        assert expected in text, expected
    async with services.db.reader() as uow:
        decrypted = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "case_party.id_doc.decrypt"))).scalars().all()
    assert len(decrypted) == 2  # one audit entry per identity number shown to the court
    assert window.status == "met"
    templates = await _outbox_templates(services)
    assert ("confirmation_applied_court", str(judge.id)) in templates

    # A second application for the same agreement: 409, nothing stored.
    await as_user(client, services, world.applicant)
    twice = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "application_open"
    async with services.db.reader() as uow:
        count = len((await uow.session.execute(select(ConfirmationApplication))).scalars().all())
    assert count == 1


async def test_start_twice_while_gathering_is_refused_L20(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    first = await client.post(world.apply_url, json=world.body("SHHPFY"))
    assert first.status_code == 201
    await as_user(client, services, world.respondent)
    second = await client.post(world.apply_url, json=world.body("SHHKFY"))
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "application_open"
    assert second.json()["error"]["details"]["rule"] == "L20"


async def test_agent_with_apply_scope_joins_for_its_principal_L20(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    agent = await make_agent(services, world.case_id, world.party_ids["respondent"],
                             ["general", "apply_confirmation"])
    general_only = await make_agent(services, world.case_id, world.party_ids["respondent"],
                                    ["general"])
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    join_url = f"/api/v1/confirmation-applications/{app['id']}/join"

    await as_user(client, services, general_only)
    refused = await client.post(join_url, json={})
    assert refused.status_code == 403

    await as_user(client, services, agent)
    joined = await client.post(join_url, json={})
    assert joined.status_code == 200, joined.text
    out = joined.json()
    assert out["status"] == "applied"
    via = {j["party_id"]: j["via_agent"] for j in out["joins"]}
    assert via == {world.party_ids["applicant"]: False, world.party_ids["respondent"]: True}
    # L23: an agent's power of attorney is asked for.
    keys = {(i["key"], i["party_id"]) for i in out["materials"]["items"]}
    assert ("power_of_attorney", world.party_ids["respondent"]) in keys
    async with services.db.reader() as uow:
        join = (await uow.session.execute(select(ConfirmationJoin).where(
            ConfirmationJoin.party_id == world.party_ids["respondent"]))).scalar_one()
    assert join.authorization_id is not None and join.user_id == agent.id


async def test_party_of_another_case_is_refused(services: Services, client: httpx.AsyncClient) -> None:
    world = await effective_world(services)
    other = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()

    await as_user(client, services, other.respondent)
    assert (await client.get(world.courts_url)).status_code == 403
    assert (await client.post(world.apply_url, json=world.body("SHHPFY"))).status_code == 403
    base = f"/api/v1/confirmation-applications/{app['id']}"
    assert (await client.post(f"{base}/join", json={})).status_code == 403
    assert (await client.get(base)).status_code == 403
    assert (await client.post(f"{base}/withdraw", json={"reason": "x"})).status_code == 403
    assert (await client.post(f"{base}/materials", json={"document_ids": [1]})).status_code == 403
    async with services.db.reader() as uow:
        joins = (await uow.session.execute(select(ConfirmationJoin))).scalars().all()
        notifications = (await uow.session.execute(select(Notification))).scalars().all()
    assert len(joins) == 1
    assert all(n.user_id != other.respondent.id for n in notifications)
