"""Reply deadlines, escalation of unanswered threads, complaints and their supervision flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.cases.messages.models import MessageThread
from odr.cases.models import CaseEvent, Deadline
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.messages.support import make_world, notices
from tests.factories import sign_in


async def write(client: httpx.AsyncClient, services: Services, user: User, case_id: int,
                **body: Any) -> dict[str, Any]:
    await sign_in(client, services, user)
    payload = {"kind": "message", "to": "mediator", "subject": "问题", "body": "请回复", **body}
    response = await client.post(f"/api/v1/cases/{case_id}/threads", json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def complaint(**extra: Any) -> dict[str, Any]:
    return {"kind": "complaint", "to": "institution", "about": "mediator",
            "subject": "调解员态度", "body": "调解员多次不回复。", **extra}


async def thread_row(services: Services, tid: int) -> MessageThread:
    async with services.db.reader() as uow:
        row = await uow.session.get(MessageThread, tid)
        assert row is not None
        return row


async def test_the_reply_deadline_counts_working_days_L36(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    # Wednesday 30 September, before the National Day holiday (1-7 October): the two
    # working days are Thursday 8 and Friday 9 October. From Friday 9 October, the
    # make-up working day Saturday 10 October counts, then Monday 12.
    last_days = []
    for start in (datetime(2026, 9, 30, 2, 0, tzinfo=UTC), datetime(2026, 10, 9, 2, 0, tzinfo=UTC)):
        clock.set(start)
        thread = await write(client, services, world.applicant, world.case.id)
        async with services.db.reader() as uow:
            deadline = (await uow.session.execute(
                select(Deadline).where(Deadline.subject_id == thread["id"],
                                       Deadline.subject_type == "thread")
            )).scalar_one()
        assert (deadline.kind, deadline.length_days, deadline.working_days) == (
            "message_reply", 2, True)
        last_days.append(deadline.last_day.isoformat())
    assert last_days == ["2026-10-09", "2026-10-12"]


async def test_an_unanswered_message_is_escalated_to_the_institution_admins(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    thread = await write(client, services, world.applicant, world.case.id)
    tid = thread["id"]
    due = datetime.fromisoformat(thread["reply_due_at"])
    await sign_in(client, services, world.admin)
    assert (await client.get(f"/api/v1/threads/{tid}")).status_code == 404

    clock.set(due - timedelta(hours=20))
    stats = await sweep_deadlines(services)
    assert stats.reminded == 1
    reminded = {n["user_id"] for n in await notices(services, "deadline_reminder")}
    assert reminded == {world.mediator.id}  # staff only: never a party

    clock.set(due + timedelta(minutes=1))
    stats = await sweep_deadlines(services)
    assert stats.missed == 1
    row = await thread_row(services, tid)
    assert row.escalated_to == "institution" and row.escalated_at is not None
    escalated = await notices(services, "thread_escalated")
    assert {n["user_id"] for n in escalated} == {world.admin.id}
    assert {n["channel"] for n in escalated} == {"inapp", "sms"}
    assert (await sweep_deadlines(services)).missed == 0  # once

    await sign_in(client, services, world.admin)  # the earlier session expired meanwhile
    read = await client.get(f"/api/v1/threads/{tid}")
    assert read.status_code == 200 and read.json()["escalated"] is True
    reply = await client.post(f"/api/v1/threads/{tid}/messages", json={"body": "已督促调解员处理。"})
    assert reply.status_code == 201 and reply.json()["status"] == "answered"
    assert "（调解组织）" in reply.json()["messages"][-1]["author_label"]
    await sign_in(client, services, world.other_admin)
    assert (await client.get(f"/api/v1/threads/{tid}")).status_code == 404
    async with services.db.reader() as uow:
        kinds = (await uow.session.execute(
            select(CaseEvent.kind, CaseEvent.visibility).where(
                CaseEvent.case_id == world.case.id, CaseEvent.kind == "thread_escalated")
        )).all()
    assert kinds == [("thread_escalated", "staff")]
    # the other side learns nothing of it
    await sign_in(client, services, world.respondent)
    timeline = (await client.get(f"/api/v1/cases/{world.case.id}/timeline")).text
    assert "thread" not in timeline and "message_reply" not in timeline


async def test_an_unanswered_thread_to_the_judge_goes_to_the_courts_clerks(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    thread = await write(client, services, world.respondent, world.case.id, to="judge")
    clock.set(datetime.fromisoformat(thread["reply_due_at"]) + timedelta(seconds=1))
    await sweep_deadlines(services)
    row = await thread_row(services, thread["id"])
    assert row.escalated_to == "court"
    assert {n["user_id"] for n in await notices(services, "thread_escalated")} == {world.clerk.id}


async def test_an_answered_thread_is_not_escalated(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    thread = await write(client, services, world.applicant, world.case.id)
    await sign_in(client, services, world.mediator)
    await client.post(f"/api/v1/threads/{thread['id']}/messages", json={"body": "收到"})
    clock.set(datetime.fromisoformat(thread["reply_due_at"]) + timedelta(days=1))
    assert (await sweep_deadlines(services)).missed == 0
    assert (await thread_row(services, thread["id"])).escalated_at is None


async def test_a_complaint_about_the_mediator_goes_to_the_institution_not_the_mediator(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    made = await write(client, services, world.applicant, world.case.id, **complaint())
    assert (made["kind"], made["to"], made["about"]) == ("complaint", "institution", "mediator")
    async with services.db.reader() as uow:
        deadline = (await uow.session.execute(
            select(Deadline).where(Deadline.subject_id == made["id"],
                                   Deadline.subject_type == "thread")
        )).scalar_one()
    assert (deadline.kind, deadline.length_days) == ("complaint_reply", 5)
    assert (await thread_row(services, made["id"])).target_user_id == world.mediator.id
    await sign_in(client, services, world.mediator)
    assert (await client.get(f"/api/v1/threads/{made['id']}")).status_code == 404
    timeline = (await client.get(f"/api/v1/cases/{world.case.id}/timeline")).json()["items"]
    assert not [e for e in timeline if "complaint" in str(e)]
    await sign_in(client, services, world.admin)
    read = await client.get(f"/api/v1/threads/{made['id']}")
    assert read.status_code == 200 and read.json()["supervision"] is False
    timeline = (await client.get(f"/api/v1/cases/{world.case.id}/timeline")).json()["items"]
    assert "complaint_opened" in [e["kind"] for e in timeline]
    assert {n["user_id"] for n in await notices(services, "thread_new_message")} == {world.admin.id}


async def test_a_repeated_complaint_on_the_same_matter_is_flagged_for_supervision(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    first = await write(client, services, world.applicant, world.case.id, **complaint())
    assert first["supervision"] is None  # the party does not see the flag
    # a different matter is not a repeat: another target, another side
    service = await write(client, services, world.applicant, world.case.id,
                          **complaint(about="service"))
    other_side = await write(client, services, world.respondent, world.case.id, **complaint())
    again = await write(client, services, world.applicant, world.case.id,
                        **complaint(body="还是没有回复。"))
    rows = {t: await thread_row(services, t) for t in
            (first["id"], service["id"], other_side["id"], again["id"])}
    assert [rows[t].supervision for t in rows] == [False, False, False, True]
    assert rows[again["id"]].supervision_of_id == first["id"]

    await sign_in(client, services, world.admin)
    listed = {t["id"]: t for t in (await client.get(
        f"/api/v1/cases/{world.case.id}/threads")).json()["items"]}
    assert listed[again["id"]]["supervision"] is True
    assert listed[again["id"]]["supervision_of_id"] == first["id"]
    assert listed[first["id"]]["supervision"] is False
    assert {n["user_id"] for n in await notices(services, "complaint_supervision")} == {
        world.admin.id}
    await sign_in(client, services, world.applicant)
    mine = (await client.get(f"/api/v1/cases/{world.case.id}/threads")).json()["items"]
    assert all(t["supervision"] is None for t in mine)


async def test_a_complaint_after_the_window_and_once_answered_is_not_a_repeat(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    first = await write(client, services, world.applicant, world.case.id, **complaint())
    await sign_in(client, services, world.admin)
    await client.post(f"/api/v1/threads/{first['id']}/messages", json={"body": "已核实处理"})
    clock.advance(days=services.settings.complaint_repeat_window_days - 1)
    within = await write(client, services, world.applicant, world.case.id, **complaint())
    assert (await thread_row(services, within["id"])).supervision is True
    await sign_in(client, services, world.admin)
    await client.post(f"/api/v1/threads/{within['id']}/messages", json={"body": "已处理"})
    clock.advance(days=services.settings.complaint_repeat_window_days + 1)
    later = await write(client, services, world.applicant, world.case.id, **complaint())
    assert (await thread_row(services, later["id"])).supervision is False


async def test_an_open_complaint_makes_a_repeat_even_after_the_window(
    services: Services, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    world = await make_world(services)
    first = await write(client, services, world.applicant, world.case.id,
                        **complaint(to="court", about="service"))
    clock.advance(days=services.settings.complaint_repeat_window_days + 30)
    again = await write(client, services, world.applicant, world.case.id,
                        **complaint(to="court", about="service"))
    row = await thread_row(services, again["id"])
    assert row.supervision is True and row.supervision_of_id == first["id"]
    await sign_in(client, services, world.clerk)
    assert (await client.get(f"/api/v1/threads/{again['id']}")).json()["supervision"] is True
