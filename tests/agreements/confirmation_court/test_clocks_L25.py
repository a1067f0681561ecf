"""L25: acceptance within 3 days, one designated judge of the court, a ruling within 15 days
(+10 once with another judge's approval, never beyond CPL 187's 30), reminders and escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy import select

from odr.cases.models import DeadlineStatus
from odr.clock import ManualClock
from odr.outbox.models import OutboxMessage
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


async def notified_users(services: Services, template: str) -> set[int]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "notify.send")
        )).scalars()
        return {p["user_id"] for p in rows if p.get("template") == template and p.get("user_id")}


async def test_application_opens_a_3_day_acceptance_clock_L25(services: Services) -> None:
    w = await court_world(services)
    [clock] = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert clock.status == DeadlineStatus.OPEN and clock.rule == "L25"
    assert clock.last_day == date(2026, 11, 5)  # applied Mon 2 Nov (L36: from the next day)


async def test_acceptance_reminds_the_court_then_escalates_when_missed_L25(
    services: Services, clock: ManualClock
) -> None:
    w = await court_world(services)
    clock.set(datetime(2026, 11, 3, 17, 0, tzinfo=UTC))  # 01:00 Wed 4 Nov in Shanghai
    await sweep(services)
    [acceptance] = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert acceptance.reminded_at is not None
    reminded = await notified_users(services, "deadline_reminder")
    assert {w.judge.id, w.judge2.id, w.clerk.id} <= reminded
    assert w.applicant.id not in reminded and w.other_judge.id not in reminded
    clock.set(datetime(2026, 11, 5, 16, 1, tzinfo=UTC))  # past 24:00 Thu 5 Nov
    await sweep(services)
    [acceptance] = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert acceptance.status == DeadlineStatus.MISSED
    [overdue] = await events(services, w.made.case.id, "confirmation_overdue")
    assert overdue.data["deadline_kind"] == "confirmation_acceptance"
    assert {w.judge.id, w.clerk.id} <= await notified_users(services, "confirmation_overdue")
    assert (await application(services, w.cid)).status == "applied"  # the court must still act


async def test_accept_designates_one_judge_and_starts_15_days_L25(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    assert (await case_of(services, w.made.case.id)).court_id is None  # self-filed
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["judge_user_id"] == w.judge.id
    assert body["fee_fen"] == 0  # JC 11
    [decision] = [d for d in body["deadlines"] if d["kind"] == "confirmation_decision"]
    assert decision["last_day"] == "2026-11-17"
    [acceptance] = await deadlines(services, w.made.case.id, "confirmation_acceptance")
    assert acceptance.status == DeadlineStatus.MET
    assert (await case_of(services, w.made.case.id)).court_id == w.court_id
    [accepted] = await events(services, w.made.case.id, "confirmation_accepted")
    assert accepted.data["case_court_set"] is True
    again = await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge2.id})
    assert again.status_code == 409
    assert (await application(services, w.cid)).judge_user_id == w.judge.id


async def test_judge_of_another_court_is_refused_L25(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.other_judge.id})
    assert r.status_code == 422 and r.json()["error"]["code"] == "judge_not_of_court"
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.clerk.id})
    assert r.status_code == 422
    await as_user(client, services, w.other_judge)
    r = await client.post(f"{w.base}/accept", json={"judge_user_id": w.other_judge.id})
    assert r.status_code == 403
    queue = await client.get("/api/v1/court/confirmations")
    assert queue.status_code == 200 and queue.json()["items"] == []
    await as_user(client, services, w.applicant)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 403
    assert (await client.get("/api/v1/court/confirmations")).status_code == 403
    assert (await application(services, w.cid)).status == "applied"


async def test_queue_shows_the_courts_applications_with_deadlines_and_sums(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.judge)
    r = await client.get("/api/v1/court/confirmations")
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["id"] == w.cid and item["status"] == "applied"
    assert item["claim_amount_fen"] == 1_000_000 and item["agreed_sum_fen"] == 1_000_000
    assert item["warning_count"] == 0
    assert [d["kind"] for d in item["deadlines"]] == ["confirmation_acceptance"]
    r = await client.get("/api/v1/court/confirmations", params={"status": "accepted"})
    assert r.json()["items"] == []
    assert (await client.get("/api/v1/court/confirmations", params={"status": "x"})
            ).status_code == 422


async def test_extension_once_by_10_days_with_another_judges_approval_L25(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    r = await client.post(f"{w.base}/extend", json={"approved_by_id": w.judge2.id, "reason": "x"})
    assert r.status_code == 403  # the clerk does not extend: the designated judge asks
    await as_user(client, services, w.judge)
    for approver in (w.judge, w.other_judge, w.clerk):
        r = await client.post(f"{w.base}/extend",
                              json={"approved_by_id": approver.id, "reason": "案情复杂"})
        assert r.status_code == 422, r.text
    r = await client.post(f"{w.base}/extend", json={"approved_by_id": w.judge2.id,
                                                    "reason": "案情复杂"})
    assert r.status_code == 200, r.text
    [decision] = [d for d in r.json()["deadlines"] if d["kind"] == "confirmation_decision"]
    assert decision["last_day"] == "2026-11-27"  # 25 days, within CPL 187's 30 (2 Dec)
    row = await application(services, w.cid)
    assert row.extension_approved_by_id == w.judge2.id and row.extended_at is not None
    r = await client.post(f"{w.base}/extend", json={"approved_by_id": w.judge2.id,
                                                    "reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_extended"
    [extended] = await events(services, w.made.case.id, "confirmation_extended")
    assert extended.data["approved_by_id"] == w.judge2.id and extended.data["days"] == 10


async def test_decision_clock_reminds_the_judge_and_escalates_L25(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    clock.set(datetime(2026, 11, 15, 17, 0, tzinfo=UTC))  # 01:00 Mon 16 Nov, Shanghai
    await sweep(services)
    [decision] = await deadlines(services, w.made.case.id, "confirmation_decision")
    assert decision.reminded_at is not None
    reminded = await notified_users(services, "deadline_reminder")
    assert w.judge.id in reminded and w.applicant.id not in reminded
    clock.set(datetime(2026, 11, 17, 16, 1, tzinfo=UTC))
    await sweep(services)
    [decision] = await deadlines(services, w.made.case.id, "confirmation_decision")
    assert decision.status == DeadlineStatus.MISSED
    [overdue] = await events(services, w.made.case.id, "confirmation_overdue")
    assert overdue.data["deadline_kind"] == "confirmation_decision"
    # Too late to extend now: the period has passed (the judge must rule).
    await as_user(client, services, w.judge)
    r = await client.post(f"{w.base}/extend", json={"approved_by_id": w.judge2.id, "reason": "x"})
    assert r.status_code == 409
