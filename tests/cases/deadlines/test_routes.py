"""The clocks over HTTP: deadlines list, pause/resume, extensions with every party's consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from odr.cases.models import Deadline
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.deadlines.support import add_agent, in_mediation, world
from tests.factories import make_user, sign_in

TUE_1_SEP = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # the period's last day: 1 Oct, rolled to 8 Oct


def url(case_id: int, tail: str) -> str:
    return f"/api/v1/cases/{case_id}/{tail}"


async def test_participants_see_the_deadlines_with_local_last_day_and_days_left_L13(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    clock.set(TUE_1_SEP)
    w = await in_mediation(services)
    for user in (w.applicant, w.respondent, w.mediator, w.admin):
        await sign_in(client, services, user)
        response = await client.get(url(w.case_id, "deadlines"))
        assert response.status_code == 200, response.text
        [period] = [d for d in response.json()["items"] if d["kind"] == "mediation_period"]
        assert period["rule"] == "L13" and period["status"] == "open"
        assert period["last_day"] == "2026-10-08" and period["provisional"] is False
        assert period["due_at"].startswith("2026-10-08T16:00:00")
        assert period["days_left"] == 37


async def test_a_party_never_sees_another_cases_deadlines(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await in_mediation(services)
    stranger = await make_user(services, "party", password=None)
    other_mediator = await make_user(services, "mediator", password=None,
                                     institution_id=w.institution_id)
    for user in (stranger, other_mediator):
        await sign_in(client, services, user)
        assert (await client.get(url(w.case_id, "deadlines"))).status_code == 403
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    assert (await client.get(url(w.case_id, "deadlines"))).status_code == 401
    await sign_in(client, services, stranger)
    assert (await client.get(url(999999, "deadlines"))).status_code == 404


async def test_a_period_into_an_unknown_year_is_shown_provisional_L36(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    w = await in_mediation(services, channel="delegated")
    await sign_in(client, services, w.applicant)
    [period] = [d for d in (await client.get(url(w.case_id, "deadlines"))).json()["items"]
                if d["kind"] == "mediation_period"]
    assert period["provisional"] is True and period["last_day"] == "2027-01-19"


async def test_the_mediator_pauses_for_appraisal_and_resumes_L13(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    clock.set(TUE_1_SEP)
    w = await in_mediation(services)
    await sign_in(client, services, w.mediator)
    paused = await client.post(url(w.case_id, "mediation-period/pause"),
                               json={"reason": "appraisal", "note": "委托司法鉴定"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    again = await client.post(url(w.case_id, "mediation-period/pause"),
                              json={"reason": "appraisal", "note": "again"})
    assert again.status_code == 409

    clock.advance(days=10)
    await sign_in(client, services, w.mediator)  # sessions last hours, the appraisal days
    resumed = await client.post(url(w.case_id, "mediation-period/resume"))
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert (body["status"], body["paused_days"]) == ("open", 10)
    assert body["last_day"] == "2026-10-12"  # 40 days: Sunday 11 Oct: Monday 12 Oct (L36)

    not_paused = await client.post(url(w.case_id, "mediation-period/resume"))
    assert not_paused.status_code == 409
    assert not_paused.json()["error"]["code"] == "not_paused"


async def test_bad_pause_requests_are_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await in_mediation(services)
    await sign_in(client, services, w.mediator)
    for body in ({"reason": "holiday", "note": "x"}, {"reason": "appraisal"},
                 {"reason": "appraisal", "note": "x", "extra": 1}):
        assert (await client.post(url(w.case_id, "mediation-period/pause"), json=body)).status_code == 422
    await sign_in(client, services, w.applicant)
    refused = await client.post(url(w.case_id, "mediation-period/pause"),
                                json={"reason": "appraisal", "note": "x"})
    assert refused.status_code == 403
    not_yet = await world(services, status="mediator_assigned", with_mediator=True)
    await sign_in(client, services, not_yet.mediator)
    early = await client.post(url(not_yet.case_id, "mediation-period/pause"),
                              json={"reason": "appraisal", "note": "x"})
    assert early.status_code == 403 and "mediation" in early.json()["error"]["message"]


async def test_an_extension_applies_only_when_every_party_agreed_L13(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    clock.set(TUE_1_SEP)
    w = await in_mediation(services)
    agent = await add_agent(services, w.case_id, w.respondent)
    await sign_in(client, services, w.mediator)
    proposed = await client.post(url(w.case_id, "extensions"), json={"days": 10, "reason": "双方希望继续协商"})
    assert proposed.status_code == 201, proposed.text
    eid = proposed.json()["id"]
    second = await client.post(url(w.case_id, "extensions"), json={"days": 5, "reason": "again"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "extension_pending"

    await sign_in(client, services, w.applicant)
    first = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert first.status_code == 200 and first.json()["status"] == "pending"
    twice = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_answered"
    async with services.db.reader() as uow:
        period = (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == w.case_id, Deadline.kind == "mediation_period"))).scalar_one()
    assert period.extended_days == 0  # one party is not all parties

    await sign_in(client, services, agent)  # the respondent answers through its agent
    last = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert last.status_code == 200, last.text
    assert last.json()["status"] == "approved" and len(last.json()["answers"]) == 2

    listed = (await client.get(url(w.case_id, "deadlines"))).json()
    [period_out] = [d for d in listed["items"] if d["kind"] == "mediation_period"]
    assert (period_out["extended_days"], period_out["last_day"]) == (10, "2026-10-12")
    assert listed["extensions"][0]["status"] == "approved"
    late = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": False})
    assert late.status_code == 409


async def test_one_refusal_refuses_the_extension_L13(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await in_mediation(services)
    await sign_in(client, services, w.mediator)
    eid = (await client.post(url(w.case_id, "extensions"), json={"days": 10, "reason": "r"})).json()["id"]
    await sign_in(client, services, w.respondent)
    refused = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": False})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    await sign_in(client, services, w.applicant)
    after = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert after.status_code == 409 and after.json()["error"]["code"] == "extension_decided"
    await sign_in(client, services, w.mediator)  # a new request may follow a refused one
    assert (await client.post(url(w.case_id, "extensions"), json={"days": 3, "reason": "r"})).status_code == 201


async def test_bad_extension_requests_get_clear_errors(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await in_mediation(services)
    other = await in_mediation(services)
    await sign_in(client, services, w.mediator)
    for days in (0, 91, -5):
        bad = await client.post(url(w.case_id, "extensions"), json={"days": days, "reason": "r"})
        assert bad.status_code == 422, days
        assert bad.json()["error"]["details"][0]["field"] == "days"
    assert (await client.post(url(w.case_id, "extensions"), json={"days": 5, "reason": ""})).status_code == 422
    eid = (await client.post(url(w.case_id, "extensions"), json={"days": 5, "reason": "r"})).json()["id"]
    assert (await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})).status_code == 403

    await sign_in(client, services, other.applicant)  # a party of another case, with its case id
    wrong = await client.post(url(other.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert wrong.status_code == 404
    foreign = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": True})
    assert foreign.status_code == 403
    await sign_in(client, services, w.applicant)
    bad_body = await client.post(url(w.case_id, f"extensions/{eid}/answer"), json={"agree": "yes"})
    assert bad_body.status_code == 422

    other_mediator = await make_user(services, "mediator", password=None,
                                     institution_id=w.institution_id)
    await sign_in(client, services, other_mediator)
    assert (await client.post(url(w.case_id, "extensions"), json={"days": 5, "reason": "r"})).status_code == 403


async def test_a_case_without_a_running_period_cannot_be_paused_or_extended_L13(
    client: httpx.AsyncClient, services: Services, clock: ManualClock
) -> None:
    w = await in_mediation(services)
    async with services.db.uow() as uow:
        period = (await uow.session.execute(select(Deadline).where(
            Deadline.case_id == w.case_id, Deadline.kind == "mediation_period"))).scalar_one()
        period.status = "met"
        period.closed_at = clock.now() + timedelta(seconds=1)
    await sign_in(client, services, w.mediator)
    for path, body in (("mediation-period/pause", {"reason": "appraisal", "note": "x"}),
                       ("extensions", {"days": 5, "reason": "r"})):
        response = await client.post(url(w.case_id, path), json=body)
        assert response.status_code == 409 and response.json()["error"]["code"] == "no_period"
