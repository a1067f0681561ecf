"""Staff write to a party, and files travel with messages; each side still reads only its own (L11)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from odr.accounts.models import User
from odr.cases.messages.models import MessageThread
from odr.cases.models import CaseDocument, Deadline
from odr.services import Services
from tests.cases.messages.support import World, count, make_world, notices, party_of
from tests.factories import sign_in
from tests.storage import samples


async def as_user(client: httpx.AsyncClient, services: Services, user: User, method: str,
                  url: str, **kwargs: Any) -> httpx.Response:
    await sign_in(client, services, user)
    return await client.request(method, url, **kwargs)


async def staff_writes(client: httpx.AsyncClient, services: Services, world: World, staff: User,
                       reader: User, **extra: Any) -> httpx.Response:
    party = await party_of(services, world.case.id, reader)
    body = {"subject": "请补充材料", "body": "请于三日内补充借款合同原件的照片。", "party_id": party.id,
            **extra}
    return await as_user(client, services, staff, "POST", f"/api/v1/cases/{world.case.id}/threads",
                         json=body)


@pytest.mark.parametrize(("who", "group"), [
    ("mediator", "mediator"), ("admin", "institution"), ("judge", "judge"), ("clerk", "judge"),
])
async def test_each_kind_of_case_staff_writes_to_a_party_who_reads_and_answers(
    services: Services, client: httpx.AsyncClient, who: str, group: str
) -> None:
    world = await make_world(services)
    staff: User = getattr(world, who)
    created = await staff_writes(client, services, world, staff, world.respondent)
    assert created.status_code == 201, created.text
    thread = created.json()
    assert (thread["to"], thread["side"], thread["status"], thread["reply_due_at"]) == (
        group, "respondent", "answered", None)
    assert thread["messages"][0]["from_staff"] is True and thread["messages"][0]["mine"] is True
    assert [n["user_id"] for n in await notices(services, "thread_new_message")] == [
        world.respondent.id]

    tid = thread["id"]
    read = await as_user(client, services, world.respondent, "GET", f"/api/v1/threads/{tid}")
    assert read.status_code == 200 and read.json()["messages"][0]["mine"] is False
    listed = await client.get(f"/api/v1/cases/{world.case.id}/threads")
    assert [t["id"] for t in listed.json()["items"]] == [tid]
    answer = await client.post(f"/api/v1/threads/{tid}/messages", json={"body": "好的，明天上传。"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "awaiting_reply" and answer.json()["reply_due_at"]
    # The other side never learns of it (L11).
    for other in (world.applicant, world.outsider):
        assert (await as_user(client, services, other, "GET",
                              f"/api/v1/threads/{tid}")).status_code == 404


async def test_staff_of_other_cases_and_parties_cannot_write_to_a_party(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    for user in (world.other_mediator, world.other_admin, world.other_judge):
        response = await staff_writes(client, services, world, user, world.respondent)
        assert response.status_code == 403, (user.role, response.text)
    # A party names the staff it writes to, never another party.
    party = await party_of(services, world.case.id, world.respondent)
    response = await as_user(client, services, world.applicant, "POST",
                             f"/api/v1/cases/{world.case.id}/threads",
                             json={"to": "mediator", "subject": "s", "body": "b",
                                   "party_id": party.id})
    assert response.status_code == 422
    assert await count(services, MessageThread) == 0


async def test_bad_staff_threads_are_refused_and_nothing_is_stored(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    other_party = await party_of(services, world.other_case.id, world.outsider)
    for extra, code in (
        ({"party_id": other_party.id}, "invalid_party"),  # a party of another case
        ({"party_id": None}, "invalid_party"),
        ({"to": "judge"}, "invalid_addressee"),  # the mediator writes as the mediator
        ({"kind": "complaint", "to": "institution", "about": "service"}, "invalid_message"),
    ):
        response = await staff_writes(client, services, world, world.mediator, world.respondent,
                                      **extra)
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["error"]["code"] == code
    assert await count(services, MessageThread) == 0


async def upload(client: httpx.AsyncClient, case_id: int, name: str, data: bytes, mime: str,
                 **fields: str) -> httpx.Response:
    return await client.post(f"/api/v1/cases/{case_id}/message-attachments",
                             data=fields, files={"file": (name, data, mime)})


async def test_a_file_sent_with_a_message_is_shown_and_downloaded_by_the_threads_readers_only_L11(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await sign_in(client, services, world.applicant)
    uploaded = await upload(client, world.case.id, "还款计划.pdf", samples.pdf(), "application/pdf")
    assert uploaded.status_code == 201, uploaded.text
    doc_id = uploaded.json()["document_id"]
    created = await client.post(f"/api/v1/cases/{world.case.id}/threads", json={
        "to": "judge", "subject": "还款方案", "body": "附上还款计划。", "attachment_ids": [doc_id]})
    assert created.status_code == 201, created.text
    (attachment,) = created.json()["messages"][0]["attachments"]
    tid = created.json()["id"]
    assert attachment["filename"] == "还款计划.pdf"
    assert attachment["content_url"] == f"/api/v1/threads/{tid}/attachments/{doc_id}"
    mine = await client.get(attachment["content_url"])
    assert mine.status_code == 200 and mine.content == samples.pdf()

    # The judge the thread is addressed to downloads it through the thread.
    judged = await as_user(client, services, world.judge, "GET", attachment["content_url"])
    assert judged.status_code == 200 and judged.content == samples.pdf()
    # The other side, unaddressed staff and outsiders get nothing, by either route.
    for user in (world.respondent, world.outsider, world.other_judge):
        for url in (attachment["content_url"],
                    f"/api/v1/cases/{world.case.id}/documents/{doc_id}/content"):
            response = await as_user(client, services, user, "GET", url)
            assert response.status_code in (403, 404), (user.role, url)
        listed = await client.get(f"/api/v1/cases/{world.case.id}/documents")
        assert doc_id not in [d["id"] for d in listed.json().get("items", [])]
    async with services.db.reader() as uow:
        doc = await uow.session.get(CaseDocument, doc_id)
    assert doc is not None
    assert (doc.kind, doc.visibility, doc.side, doc.confidential) == (
        "message_attachment", "own_side", "applicant", True)


async def test_staff_send_a_file_to_the_side_they_write_to(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await sign_in(client, services, world.mediator)
    missing_side = await upload(client, world.case.id, "通知.png", samples.png(), "image/png")
    assert missing_side.status_code == 422
    uploaded = await upload(client, world.case.id, "通知.png", samples.png(), "image/png",
                            side="respondent", title="补正通知")
    assert uploaded.status_code == 201, uploaded.text
    doc_id = uploaded.json()["document_id"]
    # It cannot go to the applicant's side: that side may not see it.
    wrong = await staff_writes(client, services, world, world.mediator, world.applicant,
                               attachment_ids=[doc_id])
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_attachments"
    sent = await staff_writes(client, services, world, world.mediator, world.respondent,
                              attachment_ids=[doc_id])
    assert sent.status_code == 201, sent.text
    url = sent.json()["messages"][0]["attachments"][0]["content_url"]
    got = await as_user(client, services, world.respondent, "GET", url)
    assert got.status_code == 200 and got.content == samples.png()
    assert (await as_user(client, services, world.applicant, "GET", url)).status_code == 404
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(Deadline.id).where(
            Deadline.subject_type == "thread"))).first() is None  # staff wrote last: no clock


async def test_a_file_that_lies_about_its_type_is_refused_and_nothing_is_kept(
    services: Services, client: httpx.AsyncClient
) -> None:
    world = await make_world(services)
    await sign_in(client, services, world.applicant)
    before = await count(services, CaseDocument)
    lie = await upload(client, world.case.id, "合同.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    assert lie.status_code == 415, lie.text
    path = await upload(client, world.case.id, "../合同.pdf", samples.pdf(), "application/pdf")
    assert path.status_code == 400
    outsider = await as_user(client, services, world.outsider, "POST",
                             f"/api/v1/cases/{world.case.id}/message-attachments",
                             files={"file": ("a.pdf", samples.pdf(), "application/pdf")})
    assert outsider.status_code == 403
    assert await count(services, CaseDocument) == before
