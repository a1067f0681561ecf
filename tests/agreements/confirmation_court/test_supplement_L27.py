"""L23, L27: the court asks for missing materials by a deadline; unanswered, the application
is deemed withdrawn (INT 357) and the case returns to agreement_effective. Refusal (L24)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from agreements.confirmation.court import supplement_answered
from agreements.models import ConfirmationApplication
from odr.cases.models import DeadlineStatus
from odr.clock import ManualClock
from odr.services import Services
from tests.agreements.confirmation_court.support import (
    application,
    as_user,
    case_of,
    court_world,
    deadlines,
    events,
    sweep,
)


async def test_supplement_deadline_missed_counts_as_withdrawal_L27(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/request-supplement",
                          json={"note": "请补充授权委托书", "days": 5})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "supplement_requested"
    [supplement] = [d for d in r.json()["deadlines"] if d["kind"] == "confirmation_supplement"]
    assert supplement["last_day"] == "2026-11-09"  # Mon 2 + 5 = Sat 7 → Mon 9 Nov (L36)
    [acceptance] = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert acceptance.status == DeadlineStatus.CANCELLED  # acceptance waits for the materials
    again = await client.post(f"{w.base}/request-supplement", json={"note": "x", "days": 3})
    assert again.status_code == 409
    clock.set(datetime(2026, 11, 9, 16, 1, tzinfo=UTC))
    await sweep(services)
    row = await application(services, w.cid)
    assert row.status == "deemed_withdrawn" and row.closed_at is not None
    assert (await case_of(services, w.made.case.id)).status == "agreement_effective"
    assert await events(services, w.made.case.id, "confirmation_deemed_withdrawn")
    assert await events(services, w.made.case.id, "withdraw_confirmation")
    await as_user(client, services, w.clerk)  # a week later: a fresh session
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
    assert r.status_code == 403  # closed


async def test_supplement_answered_in_time_resumes_the_review_L23(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    assert (await client.post(f"{w.base}/request-supplement",
                              json={"note": "请补充财产权利证明", "days": 3})).status_code == 200
    async with services.db.uow() as uow:
        row = await uow.session.get(ConfirmationApplication, w.cid)
        assert row is not None
        assert await supplement_answered(uow, services, row) is True
        assert await supplement_answered(uow, services, row) is False  # nothing awaited now
    assert (await application(services, w.cid)).status == "accepted"
    [supplement] = await deadlines(services, w.made.case.id, "confirmation_supplement")
    assert supplement.status == DeadlineStatus.MET
    clock.set(datetime(2026, 11, 6, 16, 1, tzinfo=UTC))
    await sweep(services)
    assert (await application(services, w.cid)).status == "accepted"
    [decision] = await deadlines(services, w.made.case.id, "confirmation_decision")
    assert decision.status == DeadlineStatus.OPEN  # the ruling clock kept running


async def test_supplement_before_acceptance_restarts_the_acceptance_clock_L25(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.judge)
    assert (await client.post(f"{w.base}/request-supplement",
                              json={"note": "身份证明", "days": 3})).status_code == 200
    clock.set(datetime(2026, 11, 4, 2, 0, tzinfo=UTC))  # Wed 4 Nov
    async with services.db.uow() as uow:
        row = await uow.session.get(ConfirmationApplication, w.cid)
        assert row is not None
        await supplement_answered(uow, services, row)
    assert (await application(services, w.cid)).status == "applied"
    clocks = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert [c.status for c in clocks] == [DeadlineStatus.CANCELLED, DeadlineStatus.OPEN]
    assert str(clocks[-1].last_day) == "2026-11-09"  # Wed 4 + 3 = Sat 7 → Mon 9 (L36)


async def test_refusal_closes_the_application_and_returns_the_case_L24(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/refuse", json={"reason": "协议涉及确认房屋所有权（INT 355）"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "not_accepted" and r.json()["deadlines"] == []
    assert (await case_of(services, w.made.case.id)).status == "agreement_effective"
    [refused] = await events(services, w.made.case.id, "confirmation_not_accepted")
    assert refused.data["rule"] == "L24"
    [back] = await events(services, w.made.case.id, "withdraw_confirmation")
    assert back.data["outcome"] == "not_accepted"
    r = await client.post(f"{w.base}/refuse", json={"reason": "again"})
    assert r.status_code == 403


async def test_refusal_after_acceptance_is_a_ruling_instead(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    r = await client.post(f"{w.base}/refuse", json={"reason": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_accepted"
