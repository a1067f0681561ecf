"""The minute sweep: reminders before deadlines, each missed deadline's consequence exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from odr.cases.deadlines import service
from odr.cases.deadlines.service import on_deadline_missed, open_deadline
from odr.cases.deadlines.sweep import sweep_deadlines
from odr.cases.lifecycle import CaseEventKind as E
from odr.cases.models import Case, CaseParticipant, Deadline
from odr.cases.transitions import load_case_for_update
from odr.clock import ManualClock
from odr.outbox.models import OutboxMessage
from odr.services import Services
from odr.settings import Settings
from odr.tasks.celery_app import DEADLINES_TASK, OdrCelery, make_celery
from tests.cases.deadlines.support import (
    case_of,
    consent,
    deadlines_of,
    events_of,
    in_mediation,
    move,
    world,
)
from tests.support.servers import PostgresServer


async def notices(services: Services, prefix: str) -> list[OutboxMessage]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith(f"notify.send:{prefix}"))
            .order_by(OutboxMessage.id)
        )).scalars())


async def test_one_reminder_a_working_day_before_the_last_day_L13(
    services: Services, clock: ManualClock
) -> None:
    w = await in_mediation(services)  # accepted Mon 2 Nov: the period's last day is Wed 2 Dec
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    assert period.last_day == date(2026, 12, 2)

    clock.set(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))  # 23:59 Mon 30 Nov in Shanghai
    assert (await sweep_deadlines(services)).reminded == 0
    clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # Tue 1 Dec begins
    assert (await sweep_deadlines(services)).reminded == 1
    assert (await sweep_deadlines(services)).reminded == 0  # once per deadline

    sent = await notices(services, f"deadline:{period.id}:remind:")
    users = {m.payload["user_id"] for m in sent}
    assert users == {w.applicant.id, w.respondent.id, w.mediator.id}
    assert {m.payload["channel"] for m in sent} == {"inapp", "sms"}
    assert sent[0].payload["template"] == "deadline_reminder"
    assert sent[0].payload["context"]["last_day"] == "2026-12-02"
    [reminded] = await deadlines_of(services, w.case_id, "mediation_period")
    assert reminded.reminded_at == clock.now()
    [event] = await events_of(services, w.case_id, "deadline_reminded")
    assert event.visibility == "staff"


async def test_a_reminder_before_a_holiday_comes_on_the_last_working_day_before_it_L6_L36(
    services: Services, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 2, 12, 2, 0, tzinfo=UTC))  # Thu 12 Feb, 10:00
    w = await world(services, status="institution_assigned")
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    [acceptance] = await deadlines_of(services, w.case_id, "mediator_acceptance")
    assert acceptance.last_day == date(2026, 2, 24)

    clock.set(datetime(2026, 2, 13, 15, 59, tzinfo=UTC))
    assert (await sweep_deadlines(services)).reminded == 0
    clock.set(datetime(2026, 2, 13, 16, 0, tzinfo=UTC))  # the make-up Saturday 14 Feb begins
    assert (await sweep_deadlines(services)).reminded == 1
    sent = await notices(services, f"deadline:{acceptance.id}:remind:")
    assert {m.payload["user_id"] for m in sent} == {w.mediator.id}


async def test_a_missed_mediation_period_ends_the_mediation_once_L13_L14(
    services: Services, clock: ManualClock
) -> None:
    w = await in_mediation(services)
    clock.set(datetime(2026, 12, 2, 15, 59, tzinfo=UTC))  # 23:59 on the last day: still running
    assert (await sweep_deadlines(services)).missed == 0
    assert (await case_of(services, w.case_id)).status == "in_mediation"

    clock.set(datetime(2026, 12, 2, 16, 0, tzinfo=UTC))  # 24:00
    assert (await sweep_deadlines(services)).missed == 1
    assert (await sweep_deadlines(services)).missed == 0

    case = await case_of(services, w.case_id)
    assert (case.status, case.end_ground) == ("failed", "period_ended")
    assert case.closed_at == clock.now()
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    assert (period.status, period.closed_at) == ("missed", clock.now())
    ended = await events_of(services, w.case_id, "end_without_agreement")
    assert len(ended) == 1 and ended[0].data["ground"] == "period_ended"
    assert len(await events_of(services, w.case_id, "deadline_missed")) == 1


async def test_a_silent_mediator_counts_as_declining_and_the_case_is_reassigned_L6(
    services: Services, clock: ManualClock
) -> None:
    w = await world(services, status="institution_assigned", with_mediator=True)
    await move(services, w.case_id, E.ASSIGN_MEDIATOR, mediator_id=w.mediator.id)
    [acceptance] = await deadlines_of(services, w.case_id, "mediator_acceptance")
    clock.set(acceptance.due_at)

    assert (await sweep_deadlines(services)).missed == 1

    case = await case_of(services, w.case_id)
    assert (case.status, case.mediator_id) == ("institution_assigned", None)
    async with services.db.reader() as uow:
        participation = (await uow.session.execute(select(CaseParticipant).where(
            CaseParticipant.case_id == w.case_id, CaseParticipant.role == "mediator"))).scalar_one()
    assert participation.ends_at == clock.now()
    [silent] = await events_of(services, w.case_id, "mediator_silent")
    assert "L6" in silent.data["note"]
    [declined] = await events_of(services, w.case_id, "mediator_declined")
    assert declined.data["silence"] is True
    [designate] = await deadlines_of(services, w.case_id, "designate_mediator")
    assert (designate.status, designate.rule) == ("open", "L6")
    escalated = await notices(services, f"deadline:{acceptance.id}:escalate")
    assert {m.payload["user_id"] for m in escalated} == {w.admin.id}


async def test_an_overdue_designation_is_escalated_without_a_transition_L5(
    services: Services, clock: ManualClock
) -> None:
    w = await world(services)
    await move(services, w.case_id, E.ACCEPT)
    [designate] = await deadlines_of(services, w.case_id, "designate_mediator")
    clock.set(designate.due_at)

    assert (await sweep_deadlines(services)).missed == 1

    assert (await case_of(services, w.case_id)).status == "accepted"
    [missed] = await deadlines_of(services, w.case_id, "designate_mediator")
    assert missed.status == "missed"
    escalated = await notices(services, f"deadline:{designate.id}:escalate")
    assert {m.payload["user_id"] for m in escalated} == {w.admin.id}
    assert escalated[0].payload["template"] == "deadline_escalation"
    [event] = await events_of(services, w.case_id, "deadline_escalated")
    assert event.visibility == "staff"


async def test_when_the_parties_do_not_choose_the_institution_designates_L5(
    services: Services, clock: ManualClock
) -> None:
    w = await world(services)
    await consent(services, w.case_id, w.applicant)
    await consent(services, w.case_id, w.respondent)
    await move(services, w.case_id, E.ACCEPT)
    [choose] = await deadlines_of(services, w.case_id, "choose_mediator")
    clock.set(choose.due_at)

    await sweep_deadlines(services)

    assert [d.status for d in await deadlines_of(services, w.case_id, "choose_mediator")] == ["missed"]
    [designate] = await deadlines_of(services, w.case_id, "designate_mediator")
    assert (designate.status, designate.starts_at) == ("open", clock.now())
    assert await notices(services, f"deadline:{choose.id}:escalate")


async def test_two_sweeps_at_once_apply_a_consequence_once_L13(
    services: Services, settings: Settings, clock: ManualClock
) -> None:
    w = await in_mediation(services)
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    clock.set(period.due_at + timedelta(minutes=1))
    other = Services.build(settings, clock)  # a second process: its own engine and connections
    try:
        first, second = await asyncio.gather(sweep_deadlines(services), sweep_deadlines(other))
    finally:
        await other.close()
    assert first.missed + second.missed == 1
    assert len(await events_of(services, w.case_id, "end_without_agreement")) == 1
    assert len(await events_of(services, w.case_id, "deadline_missed")) == 1


async def test_other_parts_consequences_run_through_the_registry_exactly_once(
    services: Services, clock: ManualClock
) -> None:
    calls: list[tuple[int, str]] = []
    fail = [True]

    async def consequence(_services: Services, _uow: object, case: Case, d: Deadline) -> None:
        if fail[0]:
            raise RuntimeError("not today")
        calls.append((case.id, d.status))

    on_deadline_missed("test_kind")(consequence)
    try:
        w = await world(services, status="in_mediation")
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, w.case_id)
            d = await open_deadline(uow, services, case, "test_kind", 1)
        clock.set(d.due_at)
        failed = await sweep_deadlines(services)  # rolled back: tried again next minute
        assert (failed.failed, failed.missed) == (1, 0)
        assert [x.status for x in await deadlines_of(services, w.case_id, "test_kind")] == ["open"]
        fail[0] = False
        assert (await sweep_deadlines(services)).missed == 1
        assert (await sweep_deadlines(services)).missed == 0
    finally:
        service._MISSED.pop("test_kind", None)
    assert calls == [(w.case_id, "missed")]


# ---- PostgreSQL: a locked row is skipped, not waited for ---------------------------------


@pytest.fixture
async def pg_services(
    pg_server: PostgresServer, pg_template: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Services]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test", var_dir=tmp_path / "var", database_url=pg_server.url(name),
    )
    built = Services.build(settings, clock)
    yield built
    await built.close()


async def test_a_case_locked_by_another_transaction_is_skipped_until_free_L13(
    pg_services: Services, clock: ManualClock
) -> None:
    services = pg_services
    w = await in_mediation(services)
    [period] = await deadlines_of(services, w.case_id, "mediation_period")
    clock.set(period.due_at)
    async with services.db.engine.connect() as holder:
        await holder.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": w.case_id})
        busy = await asyncio.wait_for(sweep_deadlines(services), timeout=10)  # never waits
        assert (busy.missed, busy.skipped) == (0, 1)
        await holder.rollback()
    assert (await sweep_deadlines(services)).missed == 1
    assert (await case_of(services, w.case_id)).status == "failed"


# ---- the real Celery task --------------------------------------------------------------


@pytest.fixture
def celery_app(settings: Settings) -> Iterator[OdrCelery]:
    app = make_celery(settings)
    yield app
    app.runtime.close()
    app.close()


async def test_beat_runs_the_sweep_every_minute_through_the_celery_task_L13(
    celery_app: OdrCelery, services: Services, clock: ManualClock
) -> None:
    schedule = celery_app.conf.beat_schedule["sweep-deadlines"]
    assert (schedule["task"], schedule["schedule"]) == (DEADLINES_TASK, 60.0)
    # The worker's clock is the system clock: start the period 40 days before now.
    clock.set(datetime.now(UTC) - timedelta(days=40))
    w = await in_mediation(services, channel="entrusted", procedure="summary")

    stats = await asyncio.to_thread(celery_app.tasks[DEADLINES_TASK])

    assert isinstance(stats, dict) and stats["missed"] == 1
    case = await case_of(services, w.case_id)
    assert (case.status, case.end_ground) == ("failed", "period_ended")


async def test_a_consequence_that_no_longer_fits_leaves_the_deadline_missed_and_says_why(
    services: Services, clock: ManualClock
) -> None:
    from odr.audit.verify import verify_chain
    from odr.cases.transitions import Who, add_event, transition

    async def too_late(services_: Services, uow: object, case: Case, d: Deadline) -> None:
        await add_event(uow, services_, case, "half_done", Who.system())  # type: ignore[arg-type]
        await transition(uow, services_, case, E.CONFIRM, Who.system())  # type: ignore[arg-type]

    on_deadline_missed("test_late")(too_late)
    try:
        w = await world(services, status="in_mediation")
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, w.case_id)
            d = await open_deadline(uow, services, case, "test_late", 1)
        clock.set(d.due_at)
        assert (await sweep_deadlines(services)).missed == 1
    finally:
        service._MISSED.pop("test_late", None)
    [missed] = await deadlines_of(services, w.case_id, "test_late")
    assert missed.status == "missed"
    assert (await case_of(services, w.case_id)).status == "in_mediation"
    assert not await events_of(services, w.case_id, "half_done")  # its partial work rolled back
    [skipped] = await events_of(services, w.case_id, "deadline_consequence_skipped")
    assert "cannot confirm" in skipped.data["reason"]
    assert (await verify_chain(services.db, services.settings.resolved_audit_anchor_path)).ok
