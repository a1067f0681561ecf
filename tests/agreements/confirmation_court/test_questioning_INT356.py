"""L25 (INT 356): both parties are questioned together in a video hearing the designated
judge presides; a self-filed case takes the application's court at acceptance."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from odr.meetings.models import Meeting, MeetingSeat
from odr.services import Services
from tests.agreements.confirmation_court.support import application, as_user, court_world


async def test_joint_questioning_is_a_hearing_presided_by_the_judge_L25(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    starts = (services.clock.now() + timedelta(days=2)).isoformat()
    await as_user(client, services, w.clerk)
    r = await client.post(f"{w.base}/questioning", json={"starts_at": starts})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_accepted"
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    r = await client.post(f"{w.base}/questioning",
                          json={"starts_at": starts, "duration_minutes": 45})
    assert r.status_code == 201, r.text
    meeting_id = r.json()["meeting_id"]
    async with services.db.reader() as uow:
        meeting = await uow.session.get(Meeting, meeting_id)
        assert meeting is not None
        seats = list((await uow.session.execute(
            select(MeetingSeat).where(MeetingSeat.meeting_id == meeting_id))).scalars())
    assert meeting.kind == "hearing" and meeting.mode == "joint"
    assert meeting.host_user_id == w.judge.id
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=45)
    by_user = {s.user_id: s for s in seats}
    assert by_user[w.applicant.id].side == "applicant"
    assert by_user[w.respondent.id].side == "respondent"
    assert (await application(services, w.cid)).questioning_meeting_id == meeting_id
    again = await client.post(f"{w.base}/questioning", json={"starts_at": starts})
    assert again.status_code == 409
    await as_user(client, services, w.applicant)
    assert (await client.post(f"{w.base}/questioning", json={"starts_at": starts})
            ).status_code == 403


async def test_case_of_another_court_cannot_be_questioned_here(
    services: Services, client: httpx.AsyncClient
) -> None:
    from tests.factories import seeded_orgs

    courts, _ = await seeded_orgs(services)
    w = await court_world(services, case_court_id=courts[2], channel="delegated")
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    r = await client.post(f"{w.base}/questioning", json={
        "starts_at": (services.clock.now() + timedelta(days=2)).isoformat()})
    assert r.status_code == 409 and r.json()["error"]["code"] == "case_of_other_court"


async def test_withdrawal_cancels_the_scheduled_questioning_L27(
    services: Services, client: httpx.AsyncClient
) -> None:
    w = await court_world(services)
    await as_user(client, services, w.clerk)
    assert (await client.post(f"{w.base}/accept", json={"judge_user_id": w.judge.id})
            ).status_code == 200
    r = await client.post(f"{w.base}/questioning", json={
        "starts_at": (services.clock.now() + timedelta(days=2)).isoformat()})
    assert r.status_code == 201, r.text
    await as_user(client, services, w.applicant)
    r = await client.post(f"{w.base}/withdraw", json={"reason": "双方已自行履行"})
    assert r.status_code == 200, r.text
    meeting_id = (await application(services, w.cid)).questioning_meeting_id
    async with services.db.reader() as uow:
        meeting = await uow.session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.status == "cancelled"
