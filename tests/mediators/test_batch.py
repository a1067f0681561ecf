"""Batch mode: a whole day's waiting cases assigned at once by the global optimisation,
capacity respected, leftovers queued with a reason, a dry run writes nothing."""

from __future__ import annotations

import httpx

from mediators.batch import run_batch
from mediators.models import AssignmentMethod
from odr.cases.transitions import Who
from odr.services import Services
from tests.factories import sign_in
from tests.mediators.support import (
    add_mediator,
    assignments_of,
    case_of,
    case_waiting,
    org,
    profile_of,
    queue_of,
)


async def test_the_batch_assigns_the_days_cases_jointly_within_capacity(services: Services) -> None:
    o = await org(services)
    small = await add_mediator(services, o, capacity=2)
    big = await add_mediator(services, o, capacity=6)
    insurer = await add_mediator(services, o, specialties=["insurance"], capacity=1)
    banking = [await case_waiting(services, o) for _ in range(5)]
    insurance = [await case_waiting(services, o, category="insurance") for _ in range(2)]
    chosen = await case_waiting(services, o, online=True)  # the parties are still choosing (L5)

    report = await run_batch(services, institution_id=o.institution_id, who=Who.system("test"))
    assert report.cases == 7 and len(report.assigned) == 6 and report.cost == report.lower_bound
    assert (await case_of(services, chosen)).mediator_id is None
    per = {small.id: 0, big.id: 0, insurer.id: 0}
    for case_id in banking + insurance:
        case = await case_of(services, case_id)
        if case.mediator_id is not None:
            per[case.mediator_id] += 1
            (a,) = await assignments_of(services, case_id)
            assert a.method == AssignmentMethod.BATCH
            assert a.explanation["rule"].startswith("batch") and a.explanation["mediator"]["parts"]
            assert a.explanation["batch"]["optimal"] is True
    assert per == {small.id: 1, big.id: 4, insurer.id: 1}  # utilisation evened out: 1/2, 4/6
    assert (await profile_of(services, big.id)).open_cases == 4
    (left,) = report.queued
    assert left in insurance
    (item,) = await queue_of(services, left)
    assert "no capacity" in item.reason


async def test_a_dry_run_shows_the_plan_and_writes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    await add_mediator(services, o, capacity=3)
    case_ids = [await case_waiting(services, o) for _ in range(2)]
    await sign_in(client, services, o.admin)
    url = f"/api/v1/institutions/{o.institution_id}/assignment-batch"
    dry = await client.post(url, json={"dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] and len(dry.json()["assigned"]) == 2
    assert [(await case_of(services, c)).mediator_id for c in case_ids] == [None, None]
    done = await client.post(url, json={})
    assert done.status_code == 200 and len(done.json()["assigned"]) == 2
    assert [(await case_of(services, c)).status for c in case_ids] == ["mediator_assigned"] * 2
    other = await client.post(f"/api/v1/institutions/{o.institution_ids[1]}/assignment-batch", json={})
    assert other.status_code == 403
    queue = await client.get(f"/api/v1/institutions/{o.institution_id}/assignment-queue")
    assert queue.status_code == 200 and queue.json()["items"] == []


async def test_a_case_without_institution_gets_one_by_category_then_location_then_load(
    services: Services,
) -> None:
    from sqlalchemy import update

    from odr.cases.models import CaseParty
    from tests.factories import make_case
    from tests.mediators.support import parties

    o = await org(services)
    sficmc, hkjpmc = o.institution_ids[5], o.institution_ids[7]  # Huangpu, Hongkou: general civil
    in_huangpu = await add_mediator(services, o, specialties=["general_civil"], institution_index=5)
    in_hongkou = await add_mediator(services, o, specialties=["general_civil"], institution_index=7)
    cases = {}
    for district in ("虹口区", "黄浦区"):
        applicant, respondent = await parties(services)
        case = await make_case(services, applicant=applicant, respondent=respondent,
                               status="accepted", category="general_civil")
        async with services.db.uow() as uow:
            await uow.session.execute(update(CaseParty).where(CaseParty.case_id == case.id)
                                      .values(address=f"上海市{district}某路1号"))
        cases[district] = case.id

    report = await run_batch(services, institution_id=None, who=Who.system("test"))
    assert len(report.assigned) == 2
    hongkou = await case_of(services, cases["虹口区"])
    huangpu = await case_of(services, cases["黄浦区"])
    assert (hongkou.institution_id, hongkou.mediator_id) == (hkjpmc, in_hongkou.id)
    assert (huangpu.institution_id, huangpu.mediator_id) == (sficmc, in_huangpu.id)
    (a,) = await assignments_of(services, cases["虹口区"])
    why = a.explanation["institution"]
    assert why["chosen"] == hkjpmc and "district" in why["why"]
    assert why["rule"].startswith("category, then location")
    assert {c["institution_id"] for c in why["candidates"]} == {sficmc, hkjpmc}
