"""When a service is complete: the earliest valid channel counts (L34), moving the clock
between each channel's events; and consent presumed from an accepted earlier service (L33)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from odr.cases.models import CaseDocument, CaseEvent
from odr.eservice import delivery as delivery_module
from odr.services import Services
from tests.cases.eservice.support import (
    confirm,
    drain_next,
    link_of,
    make_world,
    records,
    serve,
    service_of,
)
from tests.factories import make_case, make_user, sign_in
from tests.support.notify import deliver_pending


async def test_the_earliest_of_several_confirmed_channels_counts_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await confirm(client, services, w.respondent, w.case_id, mobile="13922223333",
                  email="r@example.test", inapp=True)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.respondent_party])

    times = []
    for _ in range(3):  # the worker reaches one channel at a time: SMS, then e-mail, then in-app
        times.append(services.clock.advance(minutes=1))
        assert await drain_next(services) == 1
    sms, email, inapp = await records(services)
    assert (sms.delivered_at, email.delivered_at, inapp.delivered_at) == tuple(times)
    assert (sms.completed_at, email.completed_at, inapp.completed_at) == tuple(times)
    service = await service_of(services, sms.service_id)
    assert service.completed_at == times[0]
    assert service.completed_record_id == sms.id
    assert service.completion_basis == "reached_confirmed_address"


async def _accepted_earlier_service(client: httpx.AsyncClient, services: Services):  # type: ignore[no-untyped-def]
    """Case A: the respondent confirms e-mail and in-app, is served, and opens both links."""
    w = await make_world(services)
    await confirm(client, services, w.respondent, w.case_id, email="r@example.test", inapp=True)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.respondent_party])
    await deliver_pending(services)
    await sign_in(client, services, w.respondent)
    for record in await records(services, w.respondent_party):
        assert (await client.get(f"/api/v1/service/{await link_of(services, record)}")).status_code == 200
    return w


async def test_consent_is_presumed_from_an_accepted_earlier_service_L33(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await _accepted_earlier_service(client, services)
    other_applicant = await make_user(services, "party", password=None)
    case_b = await make_case(
        services, applicant=other_applicant, respondent=w.respondent, status="in_mediation",
        institution_id=w.institution_id, mediator=w.mediator,
    )
    await sign_in(client, services, w.respondent)
    items = (await client.get(f"/api/v1/cases/{case_b.id}/service-address")).json()["items"]
    assert items[0]["basis"] == "presumed_from_prior_service"
    # Addresses that reached it before, but never confirmed for this case.
    assert items[0]["addresses"] == [
        {"channel": "email", "address": "r@example.test", "confirmed": False},
        {"channel": "inapp", "address": str(w.respondent.id), "confirmed": False},
    ]
    # An objection ends the presumption.
    refused = await confirm(client, services, w.respondent, case_b.id, decision="refuse", inapp=False)
    assert refused.json()["consents"] is False


async def test_unconfirmed_addresses_complete_only_when_the_recipient_opens_L34(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await _accepted_earlier_service(client, services)
    other_applicant = await make_user(services, "party", password=None)
    case_b = await make_case(
        services, applicant=other_applicant, respondent=w.respondent, status="in_mediation",
        institution_id=w.institution_id, mediator=w.mediator,
    )
    from tests.cases.eservice.support import add_document, party_ids

    document = await add_document(services, case_b.id, title="调解终结通知书")
    respondent_b = (await party_ids(services, case_b.id))["respondent"]
    response = await serve(client, services, w.mediator, case_b.id, document, [respondent_b])
    assert response.json()["results"][0]["consent_basis"] == "presumed_from_prior_service"

    t1 = services.clock.advance(minutes=1)
    await drain_next(services)  # e-mail delivered
    t2 = services.clock.advance(minutes=1)
    await drain_next(services)  # in-app delivered
    email, inapp = await records(services, respondent_b)
    assert (email.delivered_at, inapp.delivered_at) == (t1, t2)
    assert email.completed_at is None and inapp.completed_at is None  # not confirmed here
    assert (await service_of(services, email.service_id)).completed_at is None

    await sign_in(client, services, w.respondent)
    t3 = services.clock.advance(minutes=1)
    assert (await client.get(f"/api/v1/service/{await link_of(services, inapp)}")).status_code == 200
    services.clock.advance(minutes=1)
    assert (await client.get(f"/api/v1/service/{await link_of(services, email)}")).status_code == 200
    email, inapp = await records(services, respondent_b)
    assert inapp.completed_at == t3 and inapp.completion_basis == "opened_by_recipient"
    assert email.completed_at == t3 + timedelta(minutes=1)
    service = await service_of(services, email.service_id)
    assert (service.completed_at, service.completed_record_id) == (t3, inapp.id)
    assert service.completion_basis == "opened_by_recipient"


async def test_a_delivery_recorded_late_counts_from_when_it_happened_L34(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SMS went out at t1 but the worker died before recording it; the in-app message
    arrived at t2. On retry the SMS's report is recorded: the service moves back to t1 and
    its receipt gets a new version."""
    w = await make_world(services)
    await confirm(client, services, w.respondent, w.case_id, mobile="13933334444", inapp=True)
    await serve(client, services, w.mediator, w.case_id, w.document_id, [w.respondent_party])
    real = delivery_module.record_delivery

    async def crash(_services: Services, _record_id: int) -> None:
        raise RuntimeError("worker killed after sending")

    monkeypatch.setattr(delivery_module, "record_delivery", crash)
    t1 = services.clock.advance(minutes=1)
    await drain_next(services)  # the SMS is sent, its report lost
    monkeypatch.setattr(delivery_module, "record_delivery", real)
    t2 = services.clock.advance(seconds=1)  # before the SMS's retry is due
    await drain_next(services)  # in-app delivered: complete at t2
    sms, inapp = await records(services)
    assert sms.delivered_at is None and inapp.completed_at == t2
    assert (await service_of(services, sms.service_id)).completed_at == t2

    services.clock.advance(minutes=5)
    await deliver_pending(services)  # the retry, then the receipts
    sms, inapp = await records(services)
    assert sms.delivered_at == t1 and sms.completed_at == t1
    service = await service_of(services, sms.service_id)
    assert (service.completed_at, service.completed_record_id) == (t1, sms.id)
    assert service.receipt_completed_at == t1
    async with services.db.reader() as uow:
        versions = list((await uow.session.execute(
            select(CaseDocument).where(CaseDocument.kind == "service_receipt")
            .order_by(CaseDocument.version)
        )).scalars())
        kinds = list((await uow.session.execute(
            select(CaseEvent.kind).where(CaseEvent.kind.like("service_completion%"))
        )).scalars())
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].lineage_id == versions[1].lineage_id == versions[0].id
    assert service.receipt_document_id == versions[1].id
    assert kinds == ["service_completion_corrected"]
