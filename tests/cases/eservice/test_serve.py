"""Serving a document: consent first, a record per channel, delivery through odr.notify (L33, L34)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from odr.cases.models import CaseDocument
from odr.eservice.models import DocumentService
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.cases.eservice.support import (
    PDF,
    add_document,
    confirm,
    link_of,
    make_world,
    records,
    serve,
)
from tests.factories import make_user, sign_in
from tests.support.notify import deliver_pending, sent_messages


async def _count(services: Services, model: type, *where: object) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(
            select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        )).scalar_one())


async def test_a_recipient_without_consent_stops_the_whole_service_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    response = await serve(client, services, w.mediator, w.case_id, w.document_id)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "consent_missing"
    assert error["details"] == [{
        "party_id": w.respondent_party, "name": w.respondent.real_name,
        "reason": "has not confirmed an address for electronic service",
    }]
    # Nothing half-done: not even the consenting applicant was served.
    assert await _count(services, DocumentService) == 0
    assert await _count(services, OutboxMessage, OutboxMessage.kind == "eservice.send") == 0
    # Serving the consenting party alone works.
    alone = await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    assert alone.status_code == 201, alone.text


async def test_each_consenting_recipient_gets_a_record_per_channel_and_delivery_L33_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await confirm(client, services, w.respondent, w.case_id, mobile="13911112222",
                  email="r@example.test", inapp=True)
    served_at = services.clock.now()
    response = await serve(client, services, w.admin, w.case_id, w.document_id)
    assert response.status_code == 201, response.text
    results = {r["party_id"]: r for r in response.json()["results"]}
    assert results[w.applicant_party]["consent_basis"] == "presumed_from_filing"
    assert [r["channel"] for r in results[w.applicant_party]["records"]] == ["sms"]
    assert results[w.respondent_party]["consent_basis"] == "confirmed"
    assert [r["channel"] for r in results[w.respondent_party]["records"]] == ["sms", "email", "inapp"]

    before = await records(services)
    assert all(r.sent_at is None and r.delivered_at is None for r in before)
    services.clock.advance(seconds=30)
    await deliver_pending(services)
    delivered_at = services.clock.now()

    sms = await sent_messages(services, recipient="13911112222", template="document_served")
    assert len(sms) == 1 and w.number in sms[0].body and "调解通知书" in sms[0].body
    assert len(await sent_messages(services, recipient="r@example.test")) == 1
    inapp = await sent_messages(services, channel="inapp", user_id=w.respondent.id,
                                template="document_served")
    assert len(inapp) == 1
    for record in await records(services):
        assert record.queued_at == served_at
        assert record.sent_at == delivered_at and record.delivered_at == delivered_at
        # Every address was provided or confirmed: reaching it completes the service (L34).
        assert record.completed_at == delivered_at
        assert record.completion_basis == "reached_confirmed_address"
    async with services.db.reader() as uow:
        services_done = list((await uow.session.execute(select(DocumentService))).scalars())
        receipts = list((await uow.session.execute(
            select(CaseDocument).where(CaseDocument.kind == "service_receipt")
        )).scalars())
    assert {s.completed_at for s in services_done} == {delivered_at}
    assert len(receipts) == 2  # one per recipient, stored when its service completed
    assert {r.id for r in receipts} == {s.receipt_document_id for s in services_done}

    # A retried worker sends nothing twice.
    await deliver_pending(services)
    assert len(await sent_messages(services, template="document_served")) == 4


async def test_serving_the_same_document_again_sends_nothing_new_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    first = await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    assert first.status_code == 201
    again = await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    assert again.status_code == 200
    assert again.json()["results"][0]["status"] == "already_served"
    assert await _count(services, OutboxMessage, OutboxMessage.kind == "eservice.send") == 1


async def test_bad_serve_requests_are_clear_4xx_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    other = await make_world(services)
    foreign = await serve(client, services, w.mediator, w.case_id, other.document_id)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "document_not_found"
    unknown = await serve(
        client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party, 999_999]
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["party_id"] == 999_999
    others_party = await serve(
        client, services, w.mediator, w.case_id, w.document_id, [other.applicant_party]
    )
    assert others_party.status_code == 422
    notes = await add_document(services, w.case_id, title="调解员笔记", visibility="mediator_only")
    hidden = await serve(client, services, w.mediator, w.case_id, notes, [w.applicant_party])
    assert hidden.status_code == 409
    assert hidden.json()["error"]["code"] == "document_not_servable"
    by_party = await serve(client, services, w.applicant, w.case_id, w.document_id)
    assert by_party.status_code == 403
    by_other_mediator = await serve(client, services, other.mediator, w.case_id, w.document_id)
    assert by_other_mediator.status_code == 403
    assert await _count(services, DocumentService) == 0


async def test_the_link_opens_once_for_the_signed_in_recipient_only_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.applicant_party])
    await deliver_pending(services)
    [record] = await records(services)
    token = await link_of(services, record)

    client.cookies.clear()
    assert (await client.get(f"/api/v1/service/{token}")).status_code == 401
    await sign_in(client, services, w.respondent)  # a party of the case, but not the recipient
    wrong = await client.get(f"/api/v1/service/{token}")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "not_the_recipient"
    stranger = await make_user(services, "party", password=None)
    await sign_in(client, services, stranger)
    assert (await client.get(f"/api/v1/service/{token}")).status_code == 403
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    await sign_in(client, services, w.applicant)
    assert (await client.get(f"/api/v1/service/{forged}")).status_code == 404
    assert (await client.get("/api/v1/service/not-a-token")).status_code == 404

    services.clock.advance(minutes=3)
    opened = await client.get(f"/api/v1/service/{token}")
    assert opened.status_code == 200, opened.text
    assert opened.content == PDF + "调解通知书".encode()
    assert opened.headers["content-type"] == "application/pdf"
    [after] = await records(services)
    assert after.opened_at == services.clock.now() and after.opened_by_id == w.applicant.id
    # Completion stays at delivery: reaching the filed mobile came first (L34).
    assert after.completed_at == record.completed_at

    reused = await client.get(f"/api/v1/service/{token}")
    assert reused.status_code == 410
    assert reused.json()["error"]["code"] == "service_link_used"
    # The used token no longer sits in the stored message.
    sms = await sent_messages(services, template="document_served")
    assert token not in sms[0].body


async def test_service_records_show_staff_everything_and_a_party_its_own_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await confirm(client, services, w.respondent, w.case_id, email="r@example.test", inapp=False)
    await serve(client, services, w.mediator, w.case_id, w.document_id)
    await deliver_pending(services)

    await sign_in(client, services, w.judge)
    staff = (await client.get(f"/api/v1/cases/{w.case_id}/service-records")).json()["items"]
    assert {(r["party_id"], r["channel"]) for r in staff} == {
        (w.applicant_party, "sms"), (w.respondent_party, "email"),
    }
    assert all(r["counts_for_service"] and r["service_completed_at"] for r in staff)

    await sign_in(client, services, w.respondent)
    own = (await client.get(f"/api/v1/cases/{w.case_id}/service-records")).json()["items"]
    assert [(r["party_id"], r["channel"]) for r in own] == [(w.respondent_party, "email")]
    assert own[0]["document_title"] == "调解通知书"
    assert own[0]["completion_basis"] == "reached_confirmed_address"
    filtered = await client.get(
        f"/api/v1/cases/{w.case_id}/service-records", params={"document_id": 999_999}
    )
    assert filtered.json()["items"] == []

    other = await make_world(services)
    await sign_in(client, services, other.applicant)
    assert (await client.get(f"/api/v1/cases/{w.case_id}/service-records")).status_code == 403
