"""Message threads: a side writes to the case's staff; nobody else reads it (L11)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from odr.accounts.models import User
from odr.audit.models import AuditEntry
from odr.cases.messages.models import MessageThread, ThreadAttachment, ThreadMessage
from odr.cases.models import CaseEvent, Deadline
from odr.services import Services
from tests.cases.messages.support import (
    add_agent,
    add_document,
    count,
    make_world,
    notices,
)
from tests.factories import make_user, sign_in


async def write(
    client: httpx.AsyncClient, services: Services, user: User, case_id: int, **body: Any
) -> httpx.Response:
    await sign_in(client, services, user)
    payload = {"kind": "message", "to": "mediator", "subject": "关于调解时间",
               "body": "我下周二不方便，能否改期？", **body}
    return await client.post(f"/api/v1/cases/{case_id}/threads", json=payload)


async def as_user(client: httpx.AsyncClient, services: Services, user: User, method: str,
                  url: str, **kwargs: Any) -> httpx.Response:
    await sign_in(client, services, user)
    return await client.request(method, url, **kwargs)


async def stored(services: Services) -> tuple[int, int, int]:
    return (await count(services, MessageThread), await count(services, ThreadMessage),
            await count(services, ThreadAttachment))


async def test_a_party_writes_to_the_mediator_who_reads_and_answers(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    created = await write(client, services, world.applicant, world.case.id)
    assert created.status_code == 201, created.text
    thread = created.json()
    assert (thread["kind"], thread["to"], thread["side"], thread["status"]) == (
        "message", "mediator", "applicant", "awaiting_reply")
    assert thread["reply_due_at"] is not None
    assert thread["supervision"] is None  # not for a party's eyes
    assert [m["body"] for m in thread["messages"]] == ["我下周二不方便，能否改期？"]
    assert thread["messages"][0]["mine"] is True
    assert (await notices(services, "thread_new_message"))[0]["user_id"] == world.mediator.id

    tid = thread["id"]
    read = await as_user(client, services, world.mediator, "GET", f"/api/v1/threads/{tid}")
    assert read.status_code == 200 and read.json()["messages"][0]["mine"] is False
    reply = await client.post(f"/api/v1/threads/{tid}/messages", json={"body": "可以，改到周四。"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["status"] == "answered" and reply.json()["reply_due_at"] is None
    assert reply.json()["messages"][1]["from_staff"] is True
    assert "（调解员）" in reply.json()["messages"][1]["author_label"]
    assert [n["user_id"] for n in await notices(services, "thread_reply")] == [world.applicant.id]
    async with services.db.reader() as uow:
        statuses = (await uow.session.execute(
            select(Deadline.kind, Deadline.status, Deadline.working_days)
            .where(Deadline.subject_type == "thread", Deadline.subject_id == tid)
        )).all()
    assert statuses == [("message_reply", "met", True)]

    again = await as_user(client, services, world.applicant, "POST",
                          f"/api/v1/threads/{tid}/messages", json={"body": "好的，谢谢。"})
    assert again.status_code == 201
    assert again.json()["status"] == "awaiting_reply" and again.json()["reply_due_at"] is not None
    listed = await client.get(f"/api/v1/cases/{world.case.id}/threads")
    assert [t["id"] for t in listed.json()["items"]] == [tid]


async def test_the_other_side_never_sees_a_thread_to_the_mediator_L11(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    agent = await make_user(services, "agent", password=None)
    await add_agent(services, world.case.id, world.respondent, agent)
    tid = (await write(client, services, world.applicant, world.case.id)).json()["id"]
    for user in (world.respondent, agent):
        listed = await as_user(client, services, user, "GET",
                               f"/api/v1/cases/{world.case.id}/threads")
        assert listed.status_code == 200 and listed.json()["items"] == []
        assert (await client.get(f"/api/v1/threads/{tid}")).status_code == 404
        post = await client.post(f"/api/v1/threads/{tid}/messages", json={"body": "我也看看"})
        assert post.status_code == 404
        timeline = await client.get(f"/api/v1/cases/{world.case.id}/timeline")
        assert timeline.status_code == 200
        text = timeline.text
        assert "thread" not in text and "message_reply" not in text, text
    # staff not addressed do not read it either (until escalation)
    for user in (world.admin, world.judge, world.other_mediator, world.outsider):
        response = await as_user(client, services, user, "GET", f"/api/v1/threads/{tid}")
        assert response.status_code == 404, user.role
        # exactly as for a thread that does not exist: not even its existence leaks
        assert response.json() == (await client.get("/api/v1/threads/999999")).json()
    listed = await as_user(client, services, world.outsider, "GET",
                           f"/api/v1/cases/{world.case.id}/threads")
    assert listed.status_code == 403
    assert (await stored(services))[1] == 1


async def test_the_authors_agent_reads_and_writes_on_its_sides_thread(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    agent = await make_user(services, "agent", password=None)
    weak_agent = await make_user(services, "agent", password=None)
    await add_agent(services, world.case.id, world.applicant, agent)
    await add_agent(services, world.case.id, world.applicant, weak_agent, scopes=("read_file",))
    tid = (await write(client, services, world.applicant, world.case.id)).json()["id"]
    response = await as_user(client, services, agent, "POST", f"/api/v1/threads/{tid}/messages",
                             json={"body": "补充说明"})
    assert response.status_code == 201
    assert "（代理人）" in response.json()["messages"][-1]["author_label"]
    assert (await as_user(client, services, weak_agent, "GET",
                          f"/api/v1/threads/{tid}")).status_code == 404
    created = await write(client, services, weak_agent, world.case.id)
    assert created.status_code == 403


async def test_attachments_are_this_cases_documents_the_author_may_see(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    mine = await add_document(services, world.case.id, uploaded_by=world.applicant,
                              side="applicant", visibility="own_side", title="我方证据")
    shared = await add_document(services, world.case.id, uploaded_by=world.respondent,
                                side="respondent", visibility="all", title="公开证据")
    for_mediator = await add_document(services, world.case.id, uploaded_by=world.applicant,
                                      side="applicant", visibility="mediator_only", title="背靠背")
    theirs = await add_document(services, world.case.id, uploaded_by=world.respondent,
                                side="respondent", visibility="own_side", title="对方证据")
    their_secret = await add_document(services, world.case.id, uploaded_by=world.respondent,
                                      side="respondent", visibility="mediator_only", title="对方")
    elsewhere = await add_document(services, world.other_case.id, uploaded_by=world.outsider,
                                   side="applicant", visibility="all", title="他案")
    ok = await write(client, services, world.applicant, world.case.id,
                     attachment_ids=[mine, shared, for_mediator, mine])
    assert ok.status_code == 201, ok.text
    attached = [a["document_id"] for a in ok.json()["messages"][0]["attachments"]]
    assert attached == [mine, shared, for_mediator]
    before = await stored(services)
    for bad in ([theirs], [their_secret], [elsewhere], [mine, 999_999]):
        response = await write(client, services, world.applicant, world.case.id,
                               attachment_ids=bad)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_attachments"
        assert response.json()["error"]["details"]["attachment_ids"] == [
            b for b in bad if b != mine
        ]
    assert await stored(services) == before
    # staff attach only what the thread's side may see
    tid = ok.json()["id"]
    response = await as_user(client, services, world.mediator, "POST",
                             f"/api/v1/threads/{tid}/messages",
                             json={"body": "请看对方材料", "attachment_ids": [theirs]})
    assert response.status_code == 422
    response = await client.post(f"/api/v1/threads/{tid}/messages",
                                 json={"body": "请看", "attachment_ids": [shared]})
    assert response.status_code == 201


async def test_bad_input_is_refused_and_nothing_is_stored(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    ok = await write(client, services, world.applicant, world.case.id)
    tid = ok.json()["id"]
    other = await write(client, services, world.outsider, world.other_case.id)
    other_tid = other.json()["id"]
    before = await stored(services)
    events_before = await count(services, CaseEvent)
    cases = [
        ({"body": ""}, 422),
        ({"body": "   "}, 422),
        ({"body": "长" * 10_001}, 422),
        ({"to": "president"}, 422),
        ({"kind": "gossip"}, 422),
        ({"subject": ""}, 422),
        ({"about": "mediator"}, 422),  # only complaints have one
        ({"kind": "complaint", "to": "mediator", "about": "mediator"}, 422),
        ({"kind": "complaint", "to": "institution"}, 422),  # about what?
        ({"unknown": 1}, 422),
    ]
    for change, status in cases:
        response = await write(client, services, world.applicant, world.case.id, **change)
        assert response.status_code == status, (change, response.text)
    assert (await write(client, services, world.applicant, world.case.id,
                        body="长" * 10_000)).status_code == 201
    before = (before[0] + 1, before[1] + 1, before[2])
    # replies: empty, too long, another case's thread
    for body, url, status in (
        ({"body": ""}, f"/api/v1/threads/{tid}/messages", 422),
        ({"body": "长" * 10_001}, f"/api/v1/threads/{tid}/messages", 422),
        ({"body": "串案"}, f"/api/v1/threads/{other_tid}/messages", 404),
        ({"body": "无此"}, "/api/v1/threads/999999/messages", 404),
    ):
        response = await as_user(client, services, world.applicant, "POST", url, json=body)
        assert response.status_code == status, response.text
    assert await stored(services) == before
    assert await count(services, CaseEvent) > events_before  # only the valid long message


async def test_a_case_without_the_addressee_refuses_clearly(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    from tests.factories import make_case

    lone = await make_case(services, applicant=world.outsider, status="accepted",
                           institution_id=world.institution_id)
    for to in ("mediator", "judge", "court"):
        response = await write(client, services, world.outsider, lone.id, to=to)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "no_addressee"
    response = await write(client, services, world.outsider, lone.id, to="institution")
    assert response.status_code == 201


async def test_threads_to_the_judge_reach_the_court_staff_only(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    tid = (await write(client, services, world.respondent, world.case.id, to="judge")).json()["id"]
    for user, status in ((world.judge, 200), (world.clerk, 200), (world.other_judge, 404),
                         (world.mediator, 404), (world.admin, 404), (world.applicant, 404)):
        response = await as_user(client, services, user, "GET", f"/api/v1/threads/{tid}")
        assert response.status_code == status, user.role
    recipients = {n["user_id"] for n in await notices(services, "thread_new_message")}
    assert recipients == {world.judge.id, world.clerk.id}


async def test_every_thread_and_message_is_a_staff_timeline_event_and_an_audit_entry(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    tid = (await write(client, services, world.applicant, world.case.id)).json()["id"]
    await as_user(client, services, world.mediator, "POST", f"/api/v1/threads/{tid}/messages",
                  json={"body": "收到"})
    async with services.db.reader() as uow:
        events = (await uow.session.execute(
            select(CaseEvent.kind, CaseEvent.visibility, CaseEvent.data)
            .where(CaseEvent.case_id == world.case.id, CaseEvent.kind.like("thread%"))
            .order_by(CaseEvent.id)
        )).all()
        audits = (await uow.session.execute(
            select(AuditEntry.action).where(AuditEntry.action.like("case.thread%"))
            .order_by(AuditEntry.seq)
        )).scalars().all()
    assert [(k, v) for k, v, _ in events] == [("thread_opened", "staff"), ("thread_message", "staff")]
    assert all("body" not in d and "subject" not in d for _, _, d in events)
    assert audits == ["case.thread_opened", "case.thread_message"]
