"""Scheduling meetings over HTTP: who schedules, who is seated, changes, lists (L1, L10)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from odr.cases.models import CaseEvent
from odr.services import Services
from tests.factories import make_user
from tests.meetings.support import (
    as_user,
    audit_actions,
    notices,
    recipients,
    schedule_body,
    times,
    world,
)


async def test_mediator_schedules_a_joint_session_seats_everyone_and_notifies_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await as_user(client, services, w.mediator)
    r = await client.post(f"/api/v1/cases/{w.case.id}/meetings", json=schedule_body(services))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "scheduled" and body["mode"] == "joint"
    seats = {(s["user_id"], s["role"], s["side"]) for s in body["seats"]}
    assert seats == {(w.mediator.id, "host", None), (w.applicant.id, "party", "applicant"),
                     (w.respondent.id, "party", "respondent")}
    assert body["my_seat_id"] is not None and body["host_user_id"] == w.mediator.id
    # Every seat holder but the host who scheduled it hears about it, in-app and by SMS.
    assert await recipients(services, "meeting_scheduled") == {w.applicant.id, w.respondent.id}
    assert await recipients(services, "meeting_scheduled", "sms") == {w.applicant.id,
                                                                      w.respondent.id}
    assert "meeting.scheduled" in await audit_actions(services)
    async with services.db.reader() as uow:
        kinds = (await uow.session.execute(select(CaseEvent.kind).where(
            CaseEvent.case_id == w.case.id))).scalars().all()
    assert "meeting_scheduled" in kinds
    # The parties see it in their upcoming meetings, with their role.
    await as_user(client, services, w.applicant)
    mine = (await client.get("/api/v1/meetings/mine")).json()["items"]
    assert [(m["id"], m["my_role"]) for m in mine] == [(body["id"], "party")]


async def test_only_the_case_mediator_schedules_a_mediation_in_time(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    url = f"/api/v1/cases/{w.case.id}/meetings"
    for user in (w.applicant, w.outsider, w.other_mediator, w.admin):
        await as_user(client, services, user)
        assert (await client.post(url, json=schedule_body(services))).status_code == 403
    await as_user(client, services, w.mediator)
    past = schedule_body(services, **times(services, starts_in=timedelta(hours=-1)))
    r = await client.post(url, json=past)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_time"
    backwards = schedule_body(services)
    backwards["ends_at"], backwards["starts_at"] = backwards["starts_at"], backwards["ends_at"]
    assert (await client.post(url, json=backwards)).status_code == 422
    too_long = schedule_body(services, **times(services, length=timedelta(hours=30)))
    assert (await client.post(url, json=too_long)).status_code == 422
    naive = schedule_body(services, starts_at="2030-01-01T10:00:00", ends_at="2030-01-01T11:00:00")
    assert (await client.post(url, json=naive)).status_code == 422
    assert (await client.post(url, json=schedule_body(services))).status_code == 201
    # The same host cannot be in two meetings at once.
    r = await client.post(url, json=schedule_body(services))
    assert r.status_code == 409 and r.json()["error"]["code"] == "host_busy"


async def test_a_case_not_in_mediation_gets_no_mediation_session(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services, status="accepted")
    await as_user(client, services, w.mediator)
    r = await client.post(f"/api/v1/cases/{w.case.id}/meetings", json=schedule_body(services))
    assert r.status_code == 403


async def test_an_offline_case_gets_no_online_session_L1(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    async with services.db.uow() as uow:
        from odr.cases.models import Case

        case = await uow.session.get(Case, w.case.id)
        assert case is not None
        case.online, case.offline_reason = False, "被申请人不同意在线调解"
    await as_user(client, services, w.mediator)
    r = await client.post(f"/api/v1/cases/{w.case.id}/meetings", json=schedule_body(services))
    assert r.status_code == 409 and r.json()["error"]["code"] == "case_offline"


async def test_separate_sessions_need_every_partys_consent_and_seat_one_side_L10(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    url = f"/api/v1/cases/{w.case.id}/meetings"
    separate = schedule_body(services, mode="separate", side="applicant")
    await as_user(client, services, w.mediator)
    r = await client.post(url, json=separate)
    assert r.status_code == 409 and r.json()["error"]["code"] == "separate_sessions_consent"
    assert len(r.json()["error"]["details"]["party_ids"]) == 2
    # Each party answers for itself (another's party is refused).
    parties = {}
    for user in (w.applicant, w.respondent):
        await as_user(client, services, user)
        consents = (await client.get(f"/api/v1/cases/{w.case.id}/consents")).status_code
        assert consents == 200
    async with services.db.reader() as uow:
        from odr.cases.models import CaseParty

        for p in (await uow.session.execute(select(CaseParty).where(
                CaseParty.case_id == w.case.id))).scalars():
            parties[p.user_id] = p.id
    consent_url = f"/api/v1/cases/{w.case.id}/separate-sessions-consent"
    await as_user(client, services, w.applicant)
    r = await client.post(consent_url, json={"party_id": parties[w.respondent.id],
                                             "decision": "agree"})
    assert r.status_code == 403
    r = await client.post(consent_url, json={"party_id": parties[w.applicant.id],
                                             "decision": "agree"})
    assert r.status_code == 201 and r.json()["all_agreed"] is False
    await as_user(client, services, w.mediator)
    assert (await client.post(url, json=separate)).status_code == 409
    await as_user(client, services, w.respondent)
    r = await client.post(consent_url, json={"party_id": parties[w.respondent.id],
                                             "decision": "agree"})
    assert r.status_code == 201 and r.json()["all_agreed"] is True
    await as_user(client, services, w.mediator)
    r = await client.post(url, json=separate)
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert {(s["user_id"], s["role"]) for s in meeting["seats"]} == {
        (w.mediator.id, "host"), (w.applicant.id, "party")}
    # The other side neither sees it nor hears about it.
    await as_user(client, services, w.respondent)
    assert (await client.get(f"/api/v1/meetings/{meeting['id']}")).status_code == 403
    assert (await client.get(url)).json()["items"] == []
    assert w.respondent.id not in await recipients(services, "meeting_scheduled")
    # Consent shows among the case's consents (L1: per party, per stage).
    stages = {c["stage"] for c in (await client.get(f"/api/v1/cases/{w.case.id}/consents")).json()[
        "items"]}
    assert "separate_sessions" in stages
    # A withdrawal stops further separate sessions.
    r = await client.post(consent_url, json={"party_id": parties[w.respondent.id],
                                             "decision": "withdraw"})
    assert r.status_code == 422  # a reason is needed
    r = await client.post(consent_url, json={"party_id": parties[w.respondent.id],
                                             "decision": "withdraw", "reason": "希望共同调解"})
    assert r.status_code == 201 and r.json()["all_agreed"] is False
    await as_user(client, services, w.mediator)
    later = schedule_body(services, mode="separate", side="respondent",
                          **times(services, starts_in=timedelta(days=5)))
    assert (await client.post(url, json=later)).status_code == 409


async def test_a_clerk_schedules_a_hearing_presided_by_a_judge_of_the_court(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    judge = await make_user(services, "judge", password=None, court_id=w.court_id)
    clerk = await make_user(services, "clerk", password=None, court_id=w.court_id)
    other_judge = await make_user(services, "judge", password=None, court_id=w.court_id + 1)
    url = f"/api/v1/cases/{w.case.id}/meetings"
    hearing = schedule_body(services, kind="hearing", title="开庭")
    await as_user(client, services, other_judge)
    assert (await client.post(url, json=hearing)).status_code == 403
    await as_user(client, services, clerk)
    r = await client.post(url, json=hearing)
    assert r.status_code == 422 and r.json()["error"]["code"] == "host_not_judge"
    r = await client.post(url, json={**hearing, "host_user_id": judge.id,
                                     "observer_user_ids": [w.admin.id]})
    assert r.status_code == 201, r.text
    roles = {(s["user_id"], s["role"]) for s in r.json()["seats"]}
    assert roles == {(judge.id, "host"), (clerk.id, "co_host"), (w.applicant.id, "party"),
                     (w.respondent.id, "party"), (w.admin.id, "observer")}
    # The mediator is not staff of a hearing's seats unless the court seats it.
    r = await client.post(url, json={**hearing, **times(services, starts_in=timedelta(days=4)),
                                     "host_user_id": judge.id, "observer_user_ids": [w.outsider.id]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "observer_not_staff"


async def test_the_host_moves_and_cancels_with_a_reason_and_everyone_hears_of_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await as_user(client, services, w.mediator)
    meeting = (await client.post(f"/api/v1/cases/{w.case.id}/meetings",
                                 json=schedule_body(services))).json()
    url = f"/api/v1/meetings/{meeting['id']}"
    moved = {**times(services, starts_in=timedelta(days=3)), "reason": "调解员另有安排"}
    await as_user(client, services, w.applicant)
    assert (await client.post(f"{url}/move", json=moved)).status_code == 403
    assert (await client.post(f"{url}/cancel", json={"reason": "x"})).status_code == 403
    await as_user(client, services, w.mediator)
    assert (await client.post(f"{url}/move", json={**moved, "reason": ""})).status_code == 422
    r = await client.post(f"{url}/move", json=moved)
    assert r.status_code == 200 and r.json()["starts_at"].startswith(moved["starts_at"][:16])
    sent = await notices(services, "meeting_moved")
    assert {p["user_id"] for p in sent} == {w.applicant.id, w.respondent.id}
    assert all(p["context"]["reason"] == "调解员另有安排" for p in sent)
    r = await client.post(f"{url}/cancel", json={"reason": "当事人已和解"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["cancelled_reason"] == "当事人已和解"
    assert await recipients(services, "meeting_cancelled") == {w.applicant.id, w.respondent.id}
    # Only upcoming meetings change.
    assert (await client.post(f"{url}/move", json=moved)).status_code == 403
    assert (await client.post(f"{url}/cancel", json={"reason": "again"})).status_code == 403
    assert {"meeting.moved", "meeting.cancelled"} <= set(await audit_actions(services))
    await as_user(client, services, w.applicant)
    assert (await client.get("/api/v1/meetings/mine")).json()["items"] == []


async def test_a_party_never_sees_another_cases_meetings(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await world(services)
    await as_user(client, services, w.mediator)
    meeting = (await client.post(f"/api/v1/cases/{w.case.id}/meetings",
                                 json=schedule_body(services))).json()
    await as_user(client, services, w.outsider)
    assert (await client.get(f"/api/v1/cases/{w.case.id}/meetings")).status_code == 403
    assert (await client.get(f"/api/v1/meetings/{meeting['id']}")).status_code == 403
    assert (await client.get("/api/v1/meetings/mine")).json()["items"] == []
    assert (await client.get("/api/v1/meetings/999999")).status_code == 404
    # Staff of the case see the list; the detail shows no one's mobile or ID.
    await as_user(client, services, w.admin)
    listed = (await client.get(f"/api/v1/cases/{w.case.id}/meetings")).json()["items"]
    assert [m["id"] for m in listed] == [meeting["id"]]
    detail = (await client.get(f"/api/v1/meetings/{meeting['id']}")).text
    assert w.applicant.mobile not in detail and "id_doc" not in detail


async def test_the_meetings_api_is_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/cases/{case_id}/meetings", "/api/v1/meetings/{meeting_id}/room-token",
                 "/api/v1/meeting-invitations/{token}/enter",
                 "/api/v1/meetings/{meeting_id}/reschedule-requests/{request_id}/decide"):
        assert path in paths, sorted(p for p in paths if "meeting" in p)
    schedule = paths["/api/v1/cases/{case_id}/meetings"]["post"]
    assert "201" in schedule["responses"]
