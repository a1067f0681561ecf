"""The clocks the lifecycle starts and stops (L5, L6, L13, L14), counted by L36."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.deadlines.extensions import propose_extension
from odr.cases.deadlines.models import DeadlineExtension
from odr.cases.deadlines.service import open_deadline
from odr.cases.lifecycle import CaseEventKind as E
from odr.cases.transitions import Who, load_case_for_update
from odr.clock import ManualClock
from odr.services import Services
from tests.cases.deadlines.support import (
    case_of,
    consent,
    deadlines_of,
    events_of,
    in_mediation,
    move,
    world,
)

THU_12_FEB = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, before the holiday


async def test_both_parties_online_have_two_working_days_to_choose_a_mediator_L5(
    services: Services, clock: ManualClock
) -> None:
    clock.set(THU_12_FEB)
    w = await world(services)
    await consent(services, w.case_id, w.applicant)
    await consent(services, w.case_id, w.respondent)

    await move(services, w.case_id, E.ACCEPT)

    assert not await deadlines_of(services, w.case_id, "designate_mediator")
    [d] = await deadlines_of(services, w.case_id, "choose_mediator")
    assert (d.kind, d.rule, d.length_days, d.working_days) == ("choose_mediator", "L5", 2, True)
    assert d.last_day == date(2026, 2, 14)  # Fri 13, then the make-up Saturday (L36)
    assert d.due_at == datetime(2026, 2, 14, 16, 0, tzinfo=UTC)
    assert d.status == "open" and not d.provisional


@pytest.mark.parametrize("respondent_answer", [None, "refuse", "agree-then-withdraw"])
async def test_otherwise_the_institution_designates_within_three_working_days_L5(
    services: Services, clock: ManualClock, respondent_answer: str | None
) -> None:
    clock.set(THU_12_FEB)
    w = await world(services)
    await consent(services, w.case_id, w.applicant)
    if respondent_answer == "refuse":
        await consent(services, w.case_id, w.respondent, "refuse")
    elif respondent_answer == "agree-then-withdraw":
        await consent(services, w.case_id, w.respondent, "agree")
        clock.advance(minutes=5)
        await consent(services, w.case_id, w.respondent, "withdraw")  # the latest row counts

    await move(services, w.case_id, E.ACCEPT)

    assert not await deadlines_of(services, w.case_id, "choose_mediator")
    [d] = await deadlines_of(services, w.case_id, "designate_mediator")
    assert (d.kind, d.rule, d.length_days) == ("designate_mediator", "L5", 3)
    assert d.last_day == date(2026, 2, 24)  # 13, 14 (make-up), then 24 Feb after the festival


async def test_assigning_a_mediator_gives_three_working_days_to_accept_L6(
    services: Services,
) -> None:
    w = await world(services)  # Monday 2 November 2026, 09:00 in Shanghai
    await move(services, w.case_id, E.ACCEPT)
    await move(services, w.case_id, E.ASSIGN_INSTITUTION)
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)

    [designate] = await deadlines_of(services, w.case_id, "designate_mediator")
    [acceptance] = await deadlines_of(services, w.case_id, "mediator_acceptance")
    assert (designate.kind, designate.status) == ("designate_mediator", "met")
    assert (acceptance.kind, acceptance.rule, acceptance.status) == ("mediator_acceptance", "L6", "open")
    assert (acceptance.subject_type, acceptance.subject_id) == ("user", w.mediator.id)
    assert acceptance.last_day == date(2026, 11, 5)


async def test_a_decline_closes_the_acceptance_clock_and_starts_reassignment_L6(
    services: Services,
) -> None:
    w = await world(services, status="institution_assigned")
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    await move(services, w.case_id, E.MEDIATOR_DECLINED, reason_text="conflict of interest")

    acceptance, designate = await deadlines_of(services, w.case_id)
    assert (acceptance.kind, acceptance.status) == ("mediator_acceptance", "met")
    assert (designate.kind, designate.rule, designate.status) == ("designate_mediator", "L6", "open")


async def test_acceptance_closes_the_clock_and_starts_the_mediation_period_L6_L13(
    services: Services, clock: ManualClock
) -> None:
    w = await world(services, status="institution_assigned")
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    clock.advance(hours=30)
    await move(services, w.case_id, E.MEDIATOR_ACCEPTED)

    acceptance, period = await deadlines_of(services, w.case_id)
    assert (acceptance.kind, acceptance.status) == ("mediator_acceptance", "met")
    assert (period.kind, period.rule, period.length_days, period.working_days) == (
        "mediation_period", "L13", 30, False)
    case = await case_of(services, w.case_id)
    assert case.mediation_started_at == clock.now() == period.starts_at
    assert period.last_day == date(2026, 12, 3)  # 30 days after Tuesday 3 November


ACCEPTED_WED_30_SEP = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("channel", "procedure", "days", "last_day"), [
    ("delegated", None, 30, date(2026, 10, 30)),
    ("entrusted", "ordinary", 15, date(2026, 10, 15)),
    ("entrusted", "summary", 7, date(2026, 10, 8)),  # 7 Oct is National Day: rolls to the 8th
    ("self_filed", None, 30, date(2026, 10, 30)),
    ("walk_in", None, 30, date(2026, 10, 30)),
])
async def test_the_mediation_period_by_channel_and_procedure_L13(
    services: Services, clock: ManualClock, channel: str, procedure: str | None, days: int,
    last_day: date,
) -> None:
    clock.set(ACCEPTED_WED_30_SEP)
    w = await in_mediation(services, channel=channel, procedure=procedure)
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    assert (period.length_days, period.last_day) == (days, last_day)


async def test_self_filed_cases_use_the_institutions_period_setting_L13(
    services: Services, clock: ManualClock
) -> None:
    services.settings = services.settings.model_copy(update={"institution_mediation_period_days": 20})
    clock.set(ACCEPTED_WED_30_SEP)
    w = await in_mediation(services, channel="self_filed")
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    assert (period.length_days, period.last_day) == (20, date(2026, 10, 20))


async def test_a_period_reaching_into_a_year_without_calendar_is_provisional_L13_L36(
    services: Services, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    w = await in_mediation(services, channel="delegated")
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    assert period.last_day == date(2027, 1, 19) and period.provisional


async def test_a_replacement_mediator_continues_the_running_period_L7_L13(
    services: Services, clock: ManualClock
) -> None:
    w = await in_mediation(services)
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    clock.advance(days=3)
    await move(services, w.case_id, E.REPLACE_MEDIATOR)
    [designate] = await deadlines_of(services, w.case_id, "designate_mediator")
    assert (designate.rule, designate.status) == ("L7", "open")
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    await move(services, w.case_id, E.MEDIATOR_ACCEPTED)

    [still] = await deadlines_of(services, w.case_id, "mediation_period")
    assert (still.id, still.status, still.last_day) == (period.id, "open", period.last_day)


@pytest.mark.parametrize(("event", "period_status"), [
    (E.AGREEMENT_TAKES_EFFECT, "met"),
    (E.END_WITHOUT_AGREEMENT, "cancelled"),
    (E.WITHDRAW, "cancelled"),
])
async def test_the_end_of_mediation_closes_its_deadlines_but_keeps_thread_reply_clocks_L14(
    services: Services, event: E, period_status: str
) -> None:
    w = await in_mediation(services)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case_id)
        await open_deadline(uow, services, case, "message_reply", 2, working=True,
                            subject_type="thread", subject_id=1)
        await propose_extension(uow, services, case, 10, "more sessions", Who.system())

    await move(services, w.case_id, event)

    statuses = {d.kind: d.status for d in await deadlines_of(services, w.case_id)}
    # A message or complaint is still owed an answer after the mediation ends.
    assert statuses == {"mediation_period": period_status, "message_reply": "open"}
    assert [d.kind for d in await deadlines_of(services, w.case_id) if d.closed_at is None] == [
        "message_reply"]
    async with services.db.reader() as uow:
        extension = (await uow.session.execute(select(DeadlineExtension))).scalar_one()
    assert extension.status == "lapsed"


async def test_every_clock_change_is_on_the_timeline_and_in_the_audit_chain(
    services: Services,
) -> None:
    w = await world(services, status="institution_assigned")
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    await move(services, w.case_id, E.MEDIATOR_ACCEPTED)

    mine = {"assign_mediator", "mediator_accepted", "deadline_opened", "deadline_closed"}
    kinds = [e.kind for e in await events_of(services, w.case_id) if e.kind in mine]
    assert kinds == [
        "assign_mediator", "deadline_opened",
        "mediator_accepted", "deadline_closed", "deadline_opened",
    ]
    async with services.db.reader() as uow:
        actions = (await uow.session.execute(
            select(AuditEntry.action).where(AuditEntry.subject_id == str(w.case_id))
            .order_by(AuditEntry.seq))).scalars().all()
    assert [a for a in actions if a.removeprefix("case.") in mine] == [f"case.{k}" for k in kinds]
