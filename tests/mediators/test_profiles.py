"""The institution admin's API over HTTP: profiles of its own institution only, hours, leave,
conflicts, statistics, bad input, and suspending a mediator with open cases."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from mediators import answers, profiles, selection
from mediators.models import AssignmentStatus, MediatorStatus
from odr.audit.models import AuditEntry
from odr.notify.models import Notification
from odr.outbox.models import OutboxMessage
from odr.services import Services
from tests.factories import make_user, sign_in
from tests.mediators.support import (
    actor_of,
    add_mediator,
    assignments_of,
    case_of,
    case_waiting,
    deadlines_of,
    drain,
    org,
    parties,
    profile_of,
)

PROFILE = {"title": "高级调解员", "bio_zh": "二十年银行从业经历", "bio_en": "Twenty years in banking",
           "specialties": ["banking", "financial_consumer"], "languages": ["zh", "en"],
           "max_concurrent_cases": 8}


async def test_admin_publishes_a_mediator_of_its_own_institution_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    mine = await make_user(services, "mediator", password=None, institution_id=o.institution_id)
    theirs = await make_user(services, "mediator", password=None, institution_id=o.institution_ids[1])
    await sign_in(client, services, o.admin)
    url = f"/api/v1/institutions/{o.institution_id}/mediators"
    created = await client.post(url, json={**PROFILE, "user_id": mine.id})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["specialties"], body["open_cases"], body["status"]) == (
        ["banking", "financial_consumer"], 0, "active")
    assert (await client.post(url, json={**PROFILE, "user_id": mine.id})).status_code == 409
    other = await client.post(f"/api/v1/institutions/{o.institution_ids[1]}/mediators",
                              json={**PROFILE, "user_id": theirs.id, "specialties": ["banking"]})
    assert other.status_code == 403
    wrong = await client.post(url, json={**PROFILE, "user_id": theirs.id})
    assert wrong.status_code == 422  # not a mediator of this institution
    listed = (await client.get(url)).json()["items"]
    assert [p["id"] for p in listed] == [mine.id]
    assert (await client.get(f"/api/v1/institutions/{o.institution_ids[1]}/mediators")).status_code == 403
    async with services.db.reader() as uow:
        actions = set((await uow.session.execute(select(AuditEntry.action))).scalars())
    assert "mediator.profile_created" in actions


async def test_bad_profile_input_is_refused_with_nothing_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    user = await make_user(services, "mediator", password=None, institution_id=o.institution_id)
    await sign_in(client, services, o.admin)
    url = f"/api/v1/institutions/{o.institution_id}/mediators"
    for change in ({"specialties": ["astrology"]}, {"specialties": []},
                   {"specialties": ["commercial_trade"]},  # not a category this institution takes
                   {"languages": ["klingon"]}, {"max_concurrent_cases": 0},
                   {"max_concurrent_cases": "many"}, {"unknown": 1}):
        r = await client.post(url, json={**PROFILE, "user_id": user.id, **change})
        assert r.status_code == 422, (change, r.text)
        assert r.json()["error"]["code"] == "validation_failed"
    assert (await client.get(url)).json()["items"] == []


async def test_the_mediator_keeps_its_own_hours_leave_and_conflicts_but_not_another(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    me = await add_mediator(services, o)
    colleague = await add_mediator(services, o)
    await sign_in(client, services, me)
    base = f"/api/v1/mediators/{me.id}"
    r = await client.put(f"{base}/availability", json={"windows": [
        {"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 2, "start": "13:30", "end": "24:00"}]})
    assert r.status_code == 200, r.text
    assert r.json()["availability"] == [{"weekday": 0, "start_minute": 540, "end_minute": 720},
                                        {"weekday": 2, "start_minute": 810, "end_minute": 1440}]
    bad = await client.put(f"{base}/availability", json={"windows": [
        {"weekday": 7, "start": "09:00", "end": "12:00"}]})
    assert bad.status_code == 422
    backwards = await client.put(f"{base}/availability", json={"windows": [
        {"weekday": 1, "start": "12:00", "end": "09:00"}]})
    assert backwards.status_code == 422
    leave = await client.post(f"{base}/leaves", json={"starts_on": "2026-11-10", "ends_on": "2026-11-12",
                                                      "reason": "年假"})
    assert leave.status_code == 201 and leave.json()["leaves"][0]["reason"] == "年假"
    assert (await client.post(f"{base}/leaves", json={"starts_on": "2026-11-12",
                                                      "ends_on": "2026-11-10"})).status_code == 422
    declared = await client.post(f"{base}/conflicts", json={"kind": "organisation",
                                                            "name": "某某银行股份有限公司",
                                                            "note": "配偶任职"})
    assert declared.status_code == 201
    assert declared.json()["conflicts"][0]["name"] == "某某银行股份有限公司"
    leave_id = leave.json()["leaves"][0]["id"]
    assert (await client.delete(f"{base}/leaves/{leave_id}")).json()["leaves"] == []
    assert (await client.delete(f"{base}/leaves/{leave_id}")).status_code == 404
    # Not its capacity or status, not a colleague's anything.
    assert (await client.patch(base, json={"max_concurrent_cases": 50})).status_code == 403
    assert (await client.get(f"/api/v1/mediators/{colleague.id}")).status_code == 403
    assert (await client.post(f"/api/v1/mediators/{colleague.id}/leaves",
                              json={"starts_on": "2026-11-10", "ends_on": "2026-11-10"})).status_code == 403


async def test_capacity_cannot_drop_below_the_open_cases(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o, capacity=3)
    for _ in range(2):
        await selection.designate(services, o.admin_actor, await case_waiting(services, o),
                                  mediator_id=m.id, institution_id=None, note=None)
    from odr.errors import Conflict

    try:
        await profiles.update_profile(services, o.admin_actor, m.id, {"max_concurrent_cases": 1})
        raise AssertionError("lowered below the load")
    except Conflict as err:
        assert err.code == "below_load"
    await profiles.update_profile(services, o.admin_actor, m.id, {"max_concurrent_cases": 2})
    assert (await profile_of(services, m.id)).max_concurrent_cases == 2


async def test_outcome_statistics_count_closed_cases_by_outcome(
    client: httpx.AsyncClient, services: Services
) -> None:
    from tests.factories import make_case

    o = await org(services)
    m = await add_mediator(services, o)
    for status, ground in (("agreement_effective", None), ("confirmed", None),
                           ("failed", "party_refused_to_sign"), ("withdrawn", None),
                           ("in_mediation", None)):
        await make_case(services, status=status, institution_id=o.institution_id, mediator=m,
                        end_ground=ground)
    await sign_in(client, services, o.admin)
    stats = (await client.get(f"/api/v1/mediators/{m.id}")).json()["statistics"]
    assert stats == {"closed": 4, "agreement": 2, "failed": {"party_refused_to_sign": 1},
                     "withdrawn": 1, "open": 1, "agreement_rate": 0.5}


async def test_suspending_a_mediator_hands_each_open_case_on_with_notice_and_kept_deadlines(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    leaving = await add_mediator(services, o, capacity=10)
    other = await add_mediator(services, o, capacity=4)
    applicant, respondent = await parties(services)
    in_mediation = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    waiting_answer = await case_waiting(services, o)
    for case_id in (in_mediation, waiting_answer):
        await selection.designate(services, o.admin_actor, case_id, mediator_id=leaving.id,
                                  institution_id=None, note=None)
    await answers.accept(services, actor_of(leaving, institutions=[o.institution_id]), in_mediation)
    (period,) = await deadlines_of(services, in_mediation, "mediation_period")

    await sign_in(client, services, o.admin)
    r = await client.post(f"/api/v1/mediators/{leaving.id}/status",
                          json={"status": "suspended", "reason": "接受调查，暂停执业"})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["cases_handed_on"]) == sorted([in_mediation, waiting_answer])
    assert r.json()["profile"]["status"] == "suspended" and r.json()["profile"]["open_cases"] == 0
    await drain(services)
    for case_id in (in_mediation, waiting_answer):
        case = await case_of(services, case_id)
        assert (case.status, case.mediator_id) == ("mediator_assigned", other.id)
        old, _new = await assignments_of(services, case_id)
        assert old.status == AssignmentStatus.REPLACED
    (kept,) = await deadlines_of(services, in_mediation, "mediation_period")
    assert (kept.id, kept.due_at, kept.status) == (period.id, period.due_at, "open")
    async with services.db.reader() as uow:
        notices = (await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "notify.send"))).scalars().all()
        stored = (await uow.session.execute(select(Notification.body))).scalars().all()
    told = {p["user_id"] for p in notices if p["template"] == "mediator_replaced"}
    assert {applicant.id, respondent.id} <= told
    assert any("暂停执业" in b or "暂停" in b for b in stored)
    # A suspended mediator is on the roster as suspended and gets no new case.
    roster = (await client.get("/api/v1/roster")).json()["institutions"][0]["mediators"]
    assert {m["id"]: m["status"] for m in roster}[leaving.id] == "suspended"
    assert (await profile_of(services, leaving.id)).status == MediatorStatus.SUSPENDED
