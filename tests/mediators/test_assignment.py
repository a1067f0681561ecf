"""Assignment end to end: the parties' joint choice (L5), staff designation with the engine's
proposal and its explanation, the mediator's answer (L6), reassignment after a decline or
silence (never to the same mediator), the admin queue, and the admin's override."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from mediators import answers, selection
from mediators.models import AssignmentMethod, AssignmentStatus
from odr.audit.models import AuditEntry
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.clock import ManualClock
from odr.errors import Conflict, ValidationFailed
from odr.services import Services
from tests.factories import sign_in
from tests.mediators.support import (
    actor_of,
    add_mediator,
    assignments_of,
    case_of,
    case_waiting,
    deadlines_of,
    drain,
    events_of,
    org,
    parties,
    profile_of,
    queue_of,
    respondent_agrees,
)

# ---------------------------------------------------------------- L5: joint choice


async def test_parties_choosing_the_same_mediator_get_it_assigned_L5(services: Services) -> None:
    o = await org(services)
    chosen = await add_mediator(services, o)
    await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent, online=True)
    assert len(await deadlines_of(services, case_id, "choose_mediator")) == 1

    first = await selection.choose(services, actor_of(applicant), case_id,
                                   institution_id=o.institution_id, mediator_id=chosen.id,
                                   party_id=None)
    assert (first.chosen, first.parties, first.assignment) == (1, 2, None)
    assert (await case_of(services, case_id)).status == "institution_assigned"

    second = await selection.choose(services, actor_of(respondent), case_id,
                                    institution_id=o.institution_id, mediator_id=chosen.id,
                                    party_id=None)
    assert second.assignment is not None and second.assignment.method == AssignmentMethod.JOINT_CHOICE
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", chosen.id)
    explanation = (await assignments_of(services, case_id))[0].explanation
    assert explanation["rule"].startswith("L5") and len(explanation["choices"]) == 2
    assert (await profile_of(services, chosen.id)).open_cases == 1
    (choice_clock,) = await deadlines_of(services, case_id, "choose_mediator")
    assert choice_clock.status == "met"  # the clocks part closes L5 when the mediator is assigned


async def test_different_choices_assign_nobody_and_the_latest_choice_counts_L5(services: Services) -> None:
    o = await org(services)
    a, b = await add_mediator(services, o), await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent, online=True)
    await selection.choose(services, actor_of(applicant), case_id, institution_id=o.institution_id,
                           mediator_id=a.id, party_id=None)
    got = await selection.choose(services, actor_of(respondent), case_id,
                                 institution_id=o.institution_id, mediator_id=b.id, party_id=None)
    assert got.assignment is None and got.chosen == 1
    again = await selection.choose(services, actor_of(applicant), case_id,
                                   institution_id=o.institution_id, mediator_id=b.id, party_id=None)
    assert again.assignment is not None and again.assignment.mediator_id == b.id
    assert len(await events_of(services, case_id, "mediator_chosen")) == 3


async def test_no_choice_after_the_window_closed_L5(services: Services, clock: ManualClock) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent, online=True)
    clock.advance(days=3)  # Monday + 2 working days ends Wednesday 24:00
    await sweep_deadlines(services)  # the L5 window is missed: the institution designates
    with pytest.raises(Conflict) as err:
        await selection.choose(services, actor_of(applicant), case_id,
                               institution_id=o.institution_id, mediator_id=m.id, party_id=None)
    assert err.value.code == "choice_closed"


async def test_a_choice_of_an_ineligible_mediator_is_refused_and_nothing_recorded_L5(
    services: Services,
) -> None:
    o = await org(services)
    insurer = await add_mediator(services, o, specialties=["insurance"])
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent, online=True)
    with pytest.raises(ValidationFailed) as err:
        await selection.choose(services, actor_of(applicant), case_id,
                               institution_id=o.institution_id, mediator_id=insurer.id, party_id=None)
    assert err.value.code == "mediator_not_eligible" and "specialty" in str(err.value.details)
    assert await events_of(services, case_id, "mediator_chosen") == []


async def test_staff_may_not_designate_while_the_parties_may_still_choose_L5(services: Services) -> None:
    o = await org(services)
    await add_mediator(services, o)
    case_id = await case_waiting(services, o, online=True)
    with pytest.raises(Conflict) as err:
        await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                  institution_id=None, note=None)
    assert err.value.code == "parties_choosing"


# ---------------------------------------------------------------- designation + explanation


async def test_designation_takes_the_engines_best_and_explains_why(services: Services) -> None:
    o = await org(services)
    busy = await add_mediator(services, o, capacity=3)
    second = await add_mediator(services, o, specialties=["banking", "financial_consumer"])
    best = await add_mediator(services, o, capacity=10)
    for _ in range(2):  # give "busy" some load first
        await selection.designate(services, o.admin_actor, await case_waiting(services, o),
                                  mediator_id=busy.id, institution_id=None, note="by hand")
    case_id = await case_waiting(services, o)
    assignment = await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                           institution_id=None, note=None)
    assert assignment is not None and assignment.mediator_id == best.id
    why = (await assignments_of(services, case_id))[0].explanation
    assert why["rank"] == 1 and why["eligible"] == 3
    assert set(why["mediator"]["parts"]) == {"specialty_fit", "language", "location", "outcomes", "load"}
    assert why["mediator"]["parts"]["location"] == 100  # parties in 黄浦区, institution in Pudong
    assert why["runner_up"]["mediator_id"] in (second.id, busy.id)
    assert why["best"]["cost"] <= why["runner_up"]["cost"]
    assert "tie_break" in why and why["method"] == "designated"
    assert why["institution"]["chosen"] == o.institution_id and why["institution"]["rule"]


async def test_designating_an_ineligible_mediator_is_a_422_naming_the_rule(services: Services) -> None:
    o = await org(services)
    full = await add_mediator(services, o, capacity=1)
    await selection.designate(services, o.admin_actor, await case_waiting(services, o),
                              mediator_id=full.id, institution_id=None, note=None)
    case_id = await case_waiting(services, o)
    with pytest.raises(ValidationFailed) as err:
        await selection.designate(services, o.admin_actor, case_id, mediator_id=full.id,
                                  institution_id=None, note=None)
    assert "capacity" in str(err.value.details)
    assert (await case_of(services, case_id)).status == "institution_assigned"


async def test_no_eligible_mediator_puts_the_case_in_the_admin_queue_with_the_reason(
    services: Services,
) -> None:
    o = await org(services)
    await add_mediator(services, o, specialties=["insurance"])
    case_id = await case_waiting(services, o)
    assert await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                     institution_id=None, note=None) is None
    (item,) = await queue_of(services, case_id)
    assert item.reason_code == "no_eligible_mediator" and "specialt" in item.reason
    assert (await case_of(services, case_id)).status == "institution_assigned"
    # A mediator who can take it arrives: designating resolves the queue item.
    await add_mediator(services, o)
    assert await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                                     institution_id=None, note=None) is not None
    assert await queue_of(services, case_id) == []


# ---------------------------------------------------------------- L6: accept, decline, silence


async def test_the_mediator_accepts_and_mediation_starts_L6(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=m.id,
                              institution_id=None, note=None)
    await answers.accept(services, actor_of(m, institutions=[o.institution_id]), case_id)
    assert (await case_of(services, case_id)).status == "in_mediation"
    (a,) = await assignments_of(services, case_id)
    assert a.status == AssignmentStatus.ACCEPTED and a.holds_slot
    assert len(await deadlines_of(services, case_id, "mediation_period")) == 1


async def test_a_decline_with_reason_reassigns_to_another_mediator_never_the_same_L6(
    services: Services,
) -> None:
    o = await org(services)
    first = await add_mediator(services, o, capacity=10)  # the engine's first pick: most room
    second = await add_mediator(services, o, capacity=4)
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=None,
                              institution_id=None, note=None)
    assert (await case_of(services, case_id)).mediator_id == first.id
    await answers.decline(services, actor_of(first, institutions=[o.institution_id]), case_id,
                          reason="出差两周")
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("institution_assigned", None)
    assert (await profile_of(services, first.id)).open_cases == 0
    await drain(services)  # the Celery worker's work
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", second.id)
    old, new = await assignments_of(services, case_id)
    assert (old.status, old.decline_reason) == (AssignmentStatus.DECLINED, "出差两周")
    assert new.method == AssignmentMethod.REASSIGNED and new.explanation["rule"] == "engine (declined)"
    # The second declines too: nobody else is eligible (the first declined): the admin queue.
    await answers.decline(services, actor_of(second, institutions=[o.institution_id]), case_id,
                          reason="利益冲突")
    await drain(services)
    (item,) = await queue_of(services, case_id)
    assert "already held or declined" in item.reason
    assert (await case_of(services, case_id)).mediator_id is None


async def test_silence_past_the_deadline_reassigns_automatically_L6(
    services: Services, clock: ManualClock
) -> None:
    o = await org(services)
    silent = await add_mediator(services, o, capacity=10)
    other = await add_mediator(services, o, capacity=4)
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=silent.id,
                              institution_id=None, note=None)
    clock.advance(timedelta(days=4))  # Monday + 3 working days ends Thursday 24:00
    await sweep_deadlines(services)
    (old, *_) = await assignments_of(services, case_id)
    assert old.status == AssignmentStatus.TIMED_OUT
    await drain(services)
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", other.id)
    assert (await profile_of(services, silent.id)).open_cases == 0
    assert (await profile_of(services, other.id)).open_cases == 1


async def test_a_redelivered_reassignment_changes_nothing(services: Services) -> None:
    from sqlalchemy import update

    from odr.outbox.models import OutboxMessage

    o = await org(services)
    first = await add_mediator(services, o, capacity=10)
    await add_mediator(services, o, capacity=4)
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.decline(services, actor_of(first, institutions=[o.institution_id]), case_id,
                          reason="不便")
    await drain(services)
    async with services.db.uow() as uow:  # at-least-once: the message runs again
        await uow.session.execute(update(OutboxMessage).where(OutboxMessage.kind == "mediators.assign")
                                  .values(status="pending", attempts=0))
    await drain(services)
    assert len(await assignments_of(services, case_id)) == 2


# ---------------------------------------------------------------- override


async def test_mediation_waits_for_the_respondent_to_agree_before_filing_L8(
    services: Services,
) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    case_id = await case_waiting(services, o, respondent_agreed=False)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=m.id,
                              institution_id=None, note=None)
    with pytest.raises(Conflict) as refused:
        await answers.accept(services, actor_of(m, institutions=[o.institution_id]), case_id)
    assert refused.value.code == "respondent_not_agreed"
    assert (await case_of(services, case_id)).status == "mediator_assigned"
    await respondent_agrees(services, case_id)
    await answers.accept(services, actor_of(m, institutions=[o.institution_id]), case_id)
    assert (await case_of(services, case_id)).status == "in_mediation"


async def test_an_entrusted_case_needs_no_respondent_answer_to_start_L8(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    case_id = await case_waiting(services, o, respondent_agreed=False, channel="entrusted",
                                 procedure="summary", court_case_number="（2026）沪74民初1号")
    await selection.designate(services, o.admin_actor, case_id, mediator_id=m.id,
                              institution_id=None, note=None)
    await answers.accept(services, actor_of(m, institutions=[o.institution_id]), case_id)
    assert (await case_of(services, case_id)).status == "in_mediation"


async def test_admin_override_with_reason_replaces_the_mediator_and_is_audited(
    services: Services,
) -> None:
    o = await org(services)
    first = await add_mediator(services, o)
    chosen = await add_mediator(services, o, specialties=["banking", "financial_consumer"])
    case_id = await case_waiting(services, o)
    await selection.designate(services, o.admin_actor, case_id, mediator_id=first.id,
                              institution_id=None, note=None)
    await answers.accept(services, actor_of(first, institutions=[o.institution_id]), case_id)
    assignment = await selection.override(services, o.admin_actor, case_id, mediator_id=chosen.id,
                                          reason="当事人均为老年人，改派经验更丰富的调解员")
    assert assignment.method == AssignmentMethod.OVERRIDE
    case = await case_of(services, case_id)
    assert (case.status, case.mediator_id) == ("mediator_assigned", chosen.id)
    old, new = await assignments_of(services, case_id)
    assert old.status == AssignmentStatus.REPLACED and new.replaces_id == old.id
    assert new.explanation["override_reason"].startswith("当事人")
    assert (await profile_of(services, first.id)).open_cases == 0
    async with services.db.reader() as uow:
        audit = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "mediator.override"))).scalar_one()
    assert audit.data["reason"].startswith("当事人") and audit.actor_id == o.admin.id
    await drain(services)  # no automatic reassignment after an override
    assert len(await assignments_of(services, case_id)) == 2


async def test_override_never_exceeds_capacity(services: Services) -> None:
    o = await org(services)
    full = await add_mediator(services, o, capacity=1)
    await selection.designate(services, o.admin_actor, await case_waiting(services, o),
                              mediator_id=full.id, institution_id=None, note=None)
    case_id = await case_waiting(services, o)
    with pytest.raises(ValidationFailed):
        await selection.override(services, o.admin_actor, case_id, mediator_id=full.id,
                                 reason="试试")
    assert (await profile_of(services, full.id)).open_cases == 1


# ---------------------------------------------------------------- HTTP: explanation visibility


async def test_the_admin_sees_why_a_party_sees_who(client: httpx.AsyncClient, services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    applicant, respondent = await parties(services)
    case_id = await case_waiting(services, o, applicant=applicant, respondent=respondent)
    await sign_in(client, services, o.admin)
    proposal = await client.get(f"/api/v1/cases/{case_id}/mediator-proposal")
    assert proposal.status_code == 200, proposal.text
    assert proposal.json()["candidates"][0]["mediator_id"] == m.id
    designated = await client.post(f"/api/v1/cases/{case_id}/mediator-designation", json={})
    assert designated.status_code == 200, designated.text
    assert designated.json()["assignment"]["explanation"]["rank"] == 1
    listed = (await client.get(f"/api/v1/cases/{case_id}/mediator-assignments")).json()
    assert listed["items"][0]["explanation"]["mediator"]["parts"]
    client.cookies.clear()
    await sign_in(client, services, applicant)
    seen = (await client.get(f"/api/v1/cases/{case_id}/mediator-assignments")).json()
    assert seen["items"][0]["mediator_id"] == m.id and seen["items"][0]["explanation"] is None
    refused = await client.get(f"/api/v1/cases/{case_id}/mediator-proposal")
    assert refused.status_code == 403


async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    case_id = await case_waiting(services, o)
    await sign_in(client, services, o.admin)
    for body in ({"mediator_id": "x"}, {"mediator_id": -1}, {"mediator_id": m.id, "extra": 1}):
        r = await client.post(f"/api/v1/cases/{case_id}/mediator-designation", json=body)
        assert r.status_code == 422, r.text
    r = await client.post(f"/api/v1/cases/{case_id}/mediator-designation", json={"mediator_id": 999999})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_mediator"
    r = await client.post(f"/api/v1/cases/{case_id}/mediator-override", json={"mediator_id": m.id})
    assert r.status_code == 422  # a reason is required
    r = await client.post("/api/v1/cases/999999/mediator-designation", json={})
    assert r.status_code == 404
    assert (await case_of(services, case_id)).status == "institution_assigned"
    assert await assignments_of(services, case_id) == []
