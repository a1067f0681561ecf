"""L23: the materials checklist (what the platform holds, what the parties link);
L27: withdrawal before the ruling."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from agreements.models import ConfirmationApplication
from odr.cases.models import Deadline
from odr.services import Services
from tests.agreements.confirmation_party.support import (
    add_case_document,
    as_user,
    case_row,
    effective_world,
    event_kinds,
    store_agreement_pdf,
)
from tests.factories import make_user


def _items(out: dict) -> dict[tuple[str, int | None], dict]:  # type: ignore[type-arg]
    return {(i["key"], i["party_id"]): i for i in out["materials"]["items"]}


async def test_checklist_shows_platform_materials_and_asks_for_the_rest_L23(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body(
        "SHHPFY", subject_kind="property_interest", property_location="上海市黄浦区某仓库"))).json()
    items = _items(app)
    assert items[("agreement", None)]["present"] is False  # the signed PDF is not stored yet
    assert items[("mediation_proof", None)]["present"] is True
    for side in ("applicant", "respondent"):
        identity = items[("identity", world.party_ids[side])]
        assert identity["present"] is True and identity["source"] == "platform"
    assert items[("property_proof", None)]["required"] is True
    assert items[("property_proof", None)]["present"] is False
    assert app["materials"]["complete"] is False

    pdf_id = await store_agreement_pdf(services, world)
    proof = await add_case_document(services, world.case_id, kind="evidence", by=world.applicant)
    url = f"/api/v1/confirmation-applications/{app['id']}/materials"
    linked = await client.post(url, json={"document_ids": [proof], "item": "property_proof"})
    assert linked.status_code == 200, linked.text
    out = linked.json()
    items = _items(out)
    assert items[("agreement", None)]["document_ids"] == [pdf_id]
    assert items[("property_proof", None)]["present"] is True
    assert items[("property_proof", None)]["document_ids"] == [proof]
    assert out["materials"]["complete"] is True
    kinds = await event_kinds(services, world.case_id)
    assert "confirmation_materials_added" in kinds and "confirmation_materials_complete" in kinds


async def test_confidential_or_foreign_documents_never_go_to_the_court_L23(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    other = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    url = f"/api/v1/confirmation-applications/{app['id']}/materials"
    secret = await add_case_document(services, world.case_id, confidential=True)
    theirs = await add_case_document(services, world.case_id, side="respondent",
                                     visibility="own_side")
    foreign = await add_case_document(services, other.case_id)
    for doc, status in ((secret, 422), (theirs, 422), (foreign, 404)):
        response = await client.post(url, json={"document_ids": [doc]})
        assert response.status_code == status, response.text
    async with services.db.reader() as uow:
        row = await uow.session.get(ConfirmationApplication, app["id"])
    assert row is not None and not (row.materials.get("links") or {})


async def test_withdrawal_before_the_ruling_returns_the_case_L27(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    await as_user(client, services, world.respondent)
    joined = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert joined.json()["status"] == "applied"
    assert (await case_row(services, world.case_id)).status == "confirmation_applied"

    withdrawn = await client.post(f"/api/v1/confirmation-applications/{app['id']}/withdraw",
                                  json={"reason": "双方已自行履行"})
    assert withdrawn.status_code == 200, withdrawn.text
    out = withdrawn.json()
    assert out["status"] == "withdrawn" and out["close_reason"] == "双方已自行履行"
    assert (await case_row(services, world.case_id)).status == "agreement_effective"
    kinds = await event_kinds(services, world.case_id)
    assert "withdraw_confirmation" in kinds and "confirmation_withdrawn" in kinds
    async with services.db.reader() as uow:
        live = (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == world.case_id, Deadline.subject_type == "confirmation_application",
            Deadline.status.in_(("open", "paused"))))).scalars().all()
        window = (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == world.case_id, Deadline.kind == "confirmation_window",
            Deadline.status == "open"))).scalars().all()
    assert live == [] and len(window) == 1  # the window is watched again
    # Withdrawn twice: refused. A new application within the window: allowed.
    again = await client.post(f"/api/v1/confirmation-applications/{app['id']}/withdraw",
                              json={"reason": "x"})
    assert again.status_code == 403
    restart = await client.post(world.apply_url, json=world.body("SHHKFY"))
    assert restart.status_code == 201, restart.text


async def test_withdrawal_while_gathering_L27(services: Services, client: httpx.AsyncClient) -> None:
    world = await effective_world(services)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    await as_user(client, services, world.respondent)
    out = await client.post(f"/api/v1/confirmation-applications/{app['id']}/withdraw",
                            json={"reason": "不同意申请"})
    assert out.status_code == 200 and out.json()["status"] == "withdrawn"
    assert (await case_row(services, world.case_id)).status == "agreement_effective"
    late_join = await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    assert late_join.status_code == 409 and late_join.json()["error"]["code"] == "not_gathering"


async def test_supplement_the_court_asked_for_resumes_its_review_L23(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await effective_world(services)
    judge = await make_user(services, "judge", court_id=world.courts["SHHPFY"], password=None)
    await as_user(client, services, world.applicant)
    app = (await client.post(world.apply_url, json=world.body("SHHPFY"))).json()
    await as_user(client, services, world.respondent)
    await client.post(f"/api/v1/confirmation-applications/{app['id']}/join", json={})
    await store_agreement_pdf(services, world)

    await as_user(client, services, judge)
    asked = await client.post(f"/api/v1/confirmation-applications/{app['id']}/request-supplement",
                              json={"note": "请补充借款凭证", "days": 5})
    assert asked.status_code == 200, asked.text
    await as_user(client, services, world.respondent)
    read = (await client.get(f"/api/v1/confirmation-applications/{app['id']}")).json()
    assert read["status"] == "supplement_requested" and read["supplement_note"] == "请补充借款凭证"

    receipt = await add_case_document(services, world.case_id, side="respondent",
                                      by=world.respondent)
    answered = await client.post(f"/api/v1/confirmation-applications/{app['id']}/materials",
                                 json={"document_ids": [receipt]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "applied"  # back before the court, a fresh 3-day clock
    assert answered.json()["materials"]["complete"] is True
    listed = await client.get(f"/api/v1/cases/{world.case_id}/confirmation-applications")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [app["id"]]
