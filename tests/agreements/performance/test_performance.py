"""Performance of the agreed terms: items from the effective terms with due dates, reminders,
both sides' confirmation, defaults after the due date, and what a party can do then."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from agreements.models import (
    ConfirmationApplication,
    PerformanceItem,
)
from agreements.performance.reminders import sweep_performance
from odr.calendar.periods import end_of_day, local_day
from odr.cases.models import Case, EventVisibility
from odr.clock import ManualClock
from odr.services import Services
from odr.settings import Settings
from odr.tasks.celery_app import PERFORMANCE_TASK, OdrCelery, make_celery
from tests.agreements.filing.support import (
    CourtWorld,
    court_world,
    events,
    filings,
    notified,
    store_pdf,
)
from tests.factories import make_user, sign_in


async def _items(services: Services, case_id: int) -> dict[str, PerformanceItem]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(PerformanceItem).where(PerformanceItem.case_id == case_id)
        )).scalars()
        return {i.term_key: i for i in rows}


def _to_day(clock: ManualClock, days_from_start: int, start_day: date) -> None:
    """Move the clock to 09:00 Shanghai of the start day + ``days_from_start``."""
    day = start_day + timedelta(days=days_from_start)
    clock.set(end_of_day(day - timedelta(days=1)) + timedelta(hours=9))


async def test_items_from_the_effective_terms_with_due_dates(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="self_filed", pdf=False)
    items = await _items(services, w.case_id)  # the AGREEMENT_TAKES_EFFECT hook made them
    assert sorted(items) == ["pay", "return-goods"]  # the undated apology is not tracked
    pay = items["pay"]
    today = local_day(services.clock.now())
    assert (pay.amount_fen, pay.due_on, pay.status) == (1_234_567, today + timedelta(days=10),
                                                        "pending")
    assert (pay.obligor_party_ids, pay.obligee_party_ids) == ([w.respondent_party],
                                                              [w.applicant_party])
    [tracked] = await events(services, w.case_id, "performance_tracked")
    assert tracked.visibility == EventVisibility.ALL
    await store_pdf(services, w.case_id, w.agreement_id)  # the on_pdf_stored safety net
    assert len(await _items(services, w.case_id)) == 2
    assert len(await events(services, w.case_id, "performance_tracked")) == 1


async def test_reminders_before_the_due_date_to_obligors_and_on_it_to_both_sides(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services, client, channel="self_filed")
    start = local_day(clock.now())
    days = services.settings.performance_reminder_days
    _to_day(clock, 10 - days - 1, start)  # pay is due on start + 10
    await sweep_performance(services)
    assert await notified(services, "performance_reminder") == set()
    _to_day(clock, 10 - days, start)
    stats = await sweep_performance(services)
    assert (stats.early, stats.due) == (1, 0)
    assert await notified(services, "performance_reminder") == {w.respondent.id}
    assert (await sweep_performance(services)).early == 0  # once
    _to_day(clock, 9, start)
    assert (await sweep_performance(services)).due == 0
    _to_day(clock, 10, start)
    stats = await sweep_performance(services)
    assert stats.due == 1
    assert await notified(services, "performance_due") == {w.respondent.id, w.applicant.id}
    assert (await sweep_performance(services)).due == 0
    assert len(await events(services, w.case_id, "performance_reminded_due")) == 1
    # The second term (due on start + 20, the applicant owes it) is reminded in its turn.
    _to_day(clock, 20 - days, start)
    assert (await sweep_performance(services)).early == 1
    assert w.applicant.id in await notified(services, "performance_reminder")


async def test_performed_only_when_the_obligee_side_confirms(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="self_filed")
    pay = (await _items(services, w.case_id))["pay"]
    await sign_in(client, services, w.mediator)
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/confirm")).status_code == 403
    await sign_in(client, services, w.respondent)  # the obligor
    said = await client.post(f"/api/v1/performance-items/{pay.id}/confirm")
    assert said.status_code == 200, said.text
    assert said.json()["status"] == "pending"
    assert said.json()["obligor_confirmed_by"]["user_id"] == w.respondent.id
    again = await client.post(f"/api/v1/performance-items/{pay.id}/confirm")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_confirmed"
    assert w.applicant.id in await notified(services, "performance_confirmed")
    await sign_in(client, services, w.applicant)  # the obligee confirms receipt
    done = await client.post(f"/api/v1/performance-items/{pay.id}/confirm")
    assert done.status_code == 200 and done.json()["status"] == "performed"
    view = (await client.get(f"/api/v1/cases/{w.case_id}/performance")).json()
    shown = {i["term_key"]: i for i in view["items"]}
    assert shown["pay"]["obligee_confirmed_by"]["name"] == w.applicant.real_name
    assert shown["pay"]["obligors"][0]["name"] == w.respondent.real_name
    assert view["enforcement"] is None and view["contract_remedy"] is None
    confirmed = await events(services, w.case_id, "performance_confirmed")
    assert [e.actor_id for e in confirmed] == [w.respondent.id, w.applicant.id]
    assert all(e.visibility == EventVisibility.ALL for e in confirmed)
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/confirm")).status_code == 409


async def test_default_only_after_the_due_date_by_the_obligee_or_mediator(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services, client, channel="self_filed")
    items = await _items(services, w.case_id)
    pay, goods = items["pay"], items["return-goods"]
    start = local_day(clock.now())
    await sign_in(client, services, w.applicant)  # the obligee of pay
    early = await client.post(f"/api/v1/performance-items/{pay.id}/default", json={"note": "未付"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_yet_due"
    _to_day(clock, 10, start)  # the due date itself: still time until 24:00
    await sign_in(client, services, w.applicant)  # (sessions expire while the clock moves)
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/default",
                              json={"note": "未付"})).status_code == 409
    _to_day(clock, 11, start)
    await sign_in(client, services, w.respondent)  # the obligor cannot record its own default
    refused = await client.post(f"/api/v1/performance-items/{pay.id}/default", json={"note": "x"})
    assert refused.status_code == 403
    await sign_in(client, services, w.applicant)
    recorded = await client.post(f"/api/v1/performance-items/{pay.id}/default",
                                 json={"note": "至今未付款"})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "defaulted"
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/default",
                              json={"note": "x"})).status_code == 409
    assert w.respondent.id in await notified(services, "performance_defaulted")
    [defaulted] = await events(services, w.case_id, "performance_defaulted")
    assert defaulted.actor_id == w.applicant.id and defaulted.visibility == EventVisibility.ALL
    # The mediator records a default of the other term after its due date.
    _to_day(clock, 21, start)
    await sign_in(client, services, w.mediator)
    by_mediator = await client.post(f"/api/v1/performance-items/{goods.id}/default",
                                    json={"note": "未返还样品"})
    assert by_mediator.status_code == 200
    # Late performance: the obligee still confirms receipt afterwards.
    await sign_in(client, services, w.applicant)
    late = await client.post(f"/api/v1/performance-items/{pay.id}/confirm")
    assert late.status_code == 200 and late.json()["status"] == "performed"


async def _default_pay(services: Services, client: httpx.AsyncClient, clock: ManualClock,
                       w: CourtWorld) -> dict[str, Any]:
    pay = (await _items(services, w.case_id))["pay"]
    clock.advance(timedelta(days=12))
    await sign_in(client, services, w.applicant)
    response = await client.post(f"/api/v1/performance-items/{pay.id}/default",
                                 json={"note": "未付"})
    assert response.status_code == 200, response.text
    view = await client.get(f"/api/v1/cases/{w.case_id}/performance")
    assert view.status_code == 200
    return view.json()  # type: ignore[no-any-return]


async def test_unconfirmed_agreement_binds_as_a_contract_no_enforcement_L21(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services, client, channel="self_filed")
    view = await _default_pay(services, client, clock, w)
    assert view["enforcement"] is None
    remedy = view["contract_remedy"]
    assert remedy["may_apply_for_confirmation"] is True
    assert remedy["confirmation_last_day"] >= (local_day(clock.now())).isoformat()
    assert "提起诉讼" in remedy["text"] and "司法确认" in remedy["text"]


async def test_confirmed_agreement_shows_how_to_apply_for_enforcement_CPL250(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services, client, channel="delegated")
    now = clock.now()
    async with services.db.uow() as uow:  # the court confirmed it (L26), written directly
        case = await uow.session.get(Case, w.case_id)
        assert case is not None
        case.status = "confirmed"
        uow.session.add(ConfirmationApplication(
            case_id=w.case_id, agreement_id=w.agreement_id, court_id=w.court_id,
            status="confirmed", competence_basis="referring_court", started_by_id=w.applicant.id,
            created_at=now, applied_at=now, accepted_at=now, judge_user_id=w.judge.id,
            ruled_at=now,
        ))
    view = await _default_pay(services, client, clock, w)
    enforcement = view["enforcement"]
    assert enforcement["basis"] == "confirmed" and enforcement["court_id"] == w.court_id
    assert enforcement["court_name"]
    last_due = max(i["due_on"] for i in view["items"])
    assert enforcement["apply_by"] == last_due.replace(last_due[:4], str(int(last_due[:4]) + 2), 1)
    assert "CPL 250" in enforcement["rule"] and "二年" in enforcement["text"]
    assert view["contract_remedy"] is None


async def test_mediation_statement_makes_it_enforceable_at_the_issuing_court_L37(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services, client, channel="entrusted")
    [filing] = await filings(services, w.case_id)
    await sign_in(client, services, w.judge)
    issued = await client.post(f"/api/v1/court-filings/{filing.id}/statement", json={})
    assert issued.status_code == 201, issued.text
    view = await _default_pay(services, client, clock, w)
    enforcement = view["enforcement"]
    assert enforcement["basis"] == "mediation_statement"
    assert enforcement["document_id"] == issued.json()["document_id"]
    assert enforcement["court_id"] == w.court_id


async def test_party_of_another_case_sees_nothing(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services, client, channel="self_filed")
    stranger = await make_user(services, "party", password=None)
    pay = (await _items(services, w.case_id))["pay"]
    await sign_in(client, services, stranger)
    assert (await client.get(f"/api/v1/cases/{w.case_id}/performance")).status_code == 403
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/confirm")).status_code == 403
    assert (await client.post(f"/api/v1/performance-items/{pay.id}/default",
                              json={"note": "x"})).status_code == 403


@pytest.fixture
def celery_app(settings: Settings) -> Iterator[OdrCelery]:
    app = make_celery(settings)
    yield app
    app.runtime.close()
    app.close()


async def test_beat_sends_performance_reminders_every_minute(
    celery_app: OdrCelery, services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    schedule = celery_app.conf.beat_schedule["remind-performance"]
    assert (schedule["task"], schedule["schedule"]) == (PERFORMANCE_TASK, 60.0)
    # The worker's clock is the system clock: "pay" falls due two days from now.
    clock.set(datetime.now(UTC) - timedelta(days=8))
    w = await court_world(services, client, channel="self_filed")
    stats = await asyncio.to_thread(celery_app.tasks[PERFORMANCE_TASK])
    assert stats == {"early": 1, "due": 0, "failed": 0}
    assert await notified(services, "performance_reminder") == {w.respondent.id}
