"""Reschedule requests, no-shows and the attendance report (L29), the session record (L11, L12)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx

from odr.meetings.models import (
    AttendanceEvent,
    FactConfirmation,
    MeetingSeat,
    SessionRecord,
    UndisputedFact,
)
from odr.meetings.queries import next_session_at
from odr.services import Services
from tests.factories import make_meeting
from tests.meetings.support import as_user, audit_actions, notices, recipients, world


async def test_a_party_asks_to_reschedule_and_the_host_refuses_or_accepts(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case, starts_in=timedelta(days=2))
    url = f"/api/v1/meetings/{made.id}/reschedule-requests"
    proposed = (services.clock.now() + timedelta(days=4)).isoformat()
    for user in (w.mediator, w.outsider, w.admin):
        await as_user(client, services, user)
        assert (await client.post(url, json={"reason": "出差"})).status_code == 403
    await as_user(client, services, w.applicant)
    r = await client.post(url, json={"reason": "出差在外", "proposed_starts_at": proposed})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "pending" and first["requested_by_name"] == w.applicant.real_name
    assert await recipients(services, "meeting_reschedule_requested") == {w.mediator.id}
    r = await client.post(url, json={"reason": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "request_pending"
    decide = f"{url}/{first['id']}/decide"
    assert (await client.post(decide, json={"accept": True})).status_code == 403  # not the host
    await as_user(client, services, w.mediator)
    assert (await client.post(decide, json={"accept": False})).status_code == 422  # no reason
    r = await client.post(decide, json={"accept": False, "reason": "期限将至，不宜延后"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert await recipients(services, "meeting_reschedule_refused") == {w.applicant.id}
    assert (await client.post(decide, json={"accept": True})).status_code == 409
    # The respondent asks next; the host accepts its proposed time: the meeting moves.
    await as_user(client, services, w.respondent)
    second = (await client.post(url, json={"reason": "住院", "proposed_starts_at": proposed})).json()
    await as_user(client, services, w.mediator)
    r = await client.post(f"{url}/{second['id']}/decide", json={"accept": True})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    meeting = (await client.get(f"/api/v1/meetings/{made.id}")).json()
    assert meeting["starts_at"][:16] == proposed[:16]
    assert await recipients(services, "meeting_moved") == {w.applicant.id, w.respondent.id}
    listed = (await client.get(url)).json()["items"]
    assert [x["status"] for x in listed] == ["refused", "accepted"]
    actions = await audit_actions(services)
    assert {"meeting.reschedule_requested", "meeting.reschedule_refused",
            "meeting.reschedule_accepted", "meeting.moved"} <= set(actions)


async def test_the_host_records_a_no_show_with_its_cause_after_the_start_L29(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case, starts_in=timedelta(minutes=30))
    seat = made.seat_of(w.respondent)
    url = f"/api/v1/meetings/{made.id}/seats/{seat.id}/no-show"
    body = {"cause": "network_failure", "reason": "当事人来电称网络中断"}
    await as_user(client, services, w.mediator)
    r = await client.post(url, json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_started"
    services.clock.advance(minutes=45)
    await as_user(client, services, w.applicant)
    assert (await client.post(url, json=body)).status_code == 403
    await as_user(client, services, w.mediator)
    r = await client.post(url, json=body)
    assert r.status_code == 201 and r.json()["no_show_reason"] == body["reason"]
    assert (await client.post(url, json=body)).status_code == 409
    host_url = f"/api/v1/meetings/{made.id}/seats/{made.host_seat.id}/no-show"
    assert (await client.post(host_url, json=body)).status_code == 409
    # Someone who came is no no-show.
    async with services.db.uow() as uow:
        came = await uow.session.get(MeetingSeat, made.seat_of(w.applicant).id)
        assert came is not None
        came.state = "admitted"
        uow.session.add(AttendanceEvent(meeting_id=made.id, seat_id=came.id, kind="joined",
                                        at=services.clock.now(), detail={}))
    r = await client.post(f"/api/v1/meetings/{made.id}/seats/{came.id}/no-show",
                          json={"cause": "no_reason", "reason": "未到"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "seat_attended"
    # The attendance report: the host and the case's staff, not the parties.
    report = (await client.get(f"/api/v1/meetings/{made.id}/attendance")).json()["items"]
    assert [(e["kind"], e["seat_id"]) for e in report] == [
        ("no_show", seat.id), ("joined", came.id)]
    assert report[0]["detail"] == {"cause": "network_failure", "reason": body["reason"],
                                   "valid_reason": True}
    await as_user(client, services, w.admin)
    assert (await client.get(f"/api/v1/meetings/{made.id}/attendance")).status_code == 200
    await as_user(client, services, w.applicant)
    assert (await client.get(f"/api/v1/meetings/{made.id}/attendance")).status_code == 403
    # A party sees the seat's state, not another's reason for absence.
    seats = (await client.get(f"/api/v1/meetings/{made.id}")).json()["seats"]
    assert all(s["no_show_reason"] is None for s in seats)
    assert "meeting.no_show" in await audit_actions(services)


async def test_the_session_record_and_undisputed_facts_are_read_by_the_seated_L11_L12(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    made = await make_meeting(services, w.case)
    now = services.clock.now()
    text = "双方确认借款本金为10万元"
    digest = hashlib.sha256(text.encode()).hexdigest()
    async with services.db.uow() as uow:
        for version, body in ((1, "初稿"), (2, "第二稿")):
            uow.session.add(SessionRecord(meeting_id=made.id, version=version, body=body,
                                          author_id=w.mediator.id, at=now,
                                          sha256=hashlib.sha256(body.encode()).hexdigest()))
        fact = UndisputedFact(meeting_id=made.id, text=text, sha256=digest,
                              proposed_by_id=w.mediator.id, proposed_at=now)
        uow.session.add(fact)
        await uow.session.flush()
        uow.session.add(FactConfirmation(fact_id=fact.id, seat_id=made.seat_of(w.applicant).id,
                                         user_id=w.applicant.id, side="applicant",
                                         fact_sha256=digest, at=now))
        uow.session.add(FactConfirmation(fact_id=fact.id, seat_id=made.seat_of(w.respondent).id,
                                         user_id=w.respondent.id, side="respondent",
                                         fact_sha256="0" * 64, at=now))
    url = f"/api/v1/meetings/{made.id}/record"
    await as_user(client, services, w.respondent)
    out = (await client.get(url)).json()
    assert out["session_record"]["version"] == 2 and out["session_record"]["body"] == "第二稿"
    assert out["versions"] == 2
    (f,) = out["facts"]
    assert f["text"] == text
    assert [(c["side"], c["valid"]) for c in f["confirmations"]] == [
        ("applicant", True), ("respondent", False)]
    await as_user(client, services, w.admin)
    assert (await client.get(url)).status_code == 200
    await as_user(client, services, w.outsider)
    assert (await client.get(url)).status_code == 403
    empty = await make_meeting(services, w.case, starts_in=timedelta(days=3))
    await as_user(client, services, w.mediator)
    assert (await client.get(f"/api/v1/meetings/{empty.id}/record")).json() == {
        "session_record": None, "versions": 0, "facts": []}


async def test_next_session_at_is_the_cases_next_meeting(services: Services) -> None:
    w = await world(services)
    now = services.clock.now()
    async with services.db.reader() as uow:
        assert await next_session_at(uow.session, w.case.id, now) is None
    later = await make_meeting(services, w.case, starts_in=timedelta(days=3))
    await make_meeting(services, w.case, starts_in=timedelta(days=1), status="cancelled")
    sooner = await make_meeting(services, w.case, starts_in=timedelta(days=2))
    async with services.db.reader() as uow:
        assert await next_session_at(uow.session, w.case.id, now) == sooner.meeting.starts_at
        after = sooner.meeting.ends_at + timedelta(minutes=1)
        assert await next_session_at(uow.session, w.case.id, after) == later.meeting.starts_at
    assert await notices(services, "meeting_scheduled") == []  # the factory sends nothing
