"""The deadline service others call: open, close, pause, resume, extend, the missed registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from odr.cases.deadlines import service
from odr.cases.deadlines.service import (
    close_deadlines,
    days_left,
    extend_deadline,
    on_deadline_missed,
    open_deadline,
    pause_deadline,
    resume_deadline,
)
from odr.cases.hooks import install as install_hooks
from odr.cases.models import Deadline
from odr.cases.transitions import Who, load_case_for_update
from odr.clock import ManualClock
from odr.errors import Conflict
from odr.services import Services
from tests.cases.deadlines.support import deadlines_of, events_of, world

TUE_1_SEP = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


async def _open(services: Services, case_id: int, kind: str = "mediation_period", days: int = 30,
                **kw: object) -> Deadline:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        return await open_deadline(uow, services, case, kind, days, **kw)  # type: ignore[arg-type]


async def test_open_counts_from_the_given_start_and_records_it_L36(
    services: Services, clock: ManualClock
) -> None:
    w = await world(services, status="in_mediation")
    started = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
    d = await _open(services, w.case_id, "respondent_reply", 2, working=True, starts_at=started,
                    rule="L8", subject_type="invitation", subject_id=7)
    assert (d.last_day, d.rule, d.subject_type, d.subject_id) == (date(2026, 2, 14), "L8", "invitation", 7)
    [event] = await events_of(services, w.case_id, "deadline_opened")
    assert event.data["deadline_kind"] == "respondent_reply" and event.data["last_day"] == "2026-02-14"


async def test_close_by_kind_and_subject_only_closes_those(services: Services) -> None:
    w = await world(services, status="in_mediation")
    await _open(services, w.case_id, "message_reply", 2, working=True, subject_type="thread", subject_id=1)
    await _open(services, w.case_id, "message_reply", 2, working=True, subject_type="thread", subject_id=2)
    await _open(services, w.case_id, "mediation_period", 30)
    async with services.db.uow() as uow:
        closed = await close_deadlines(uow, services, w.case_id, kind="message_reply",
                                       subject=("thread", 2))
        again = await close_deadlines(uow, services, w.case_id, kind="message_reply",
                                      subject=("thread", 2))
        with pytest.raises(ValueError):
            await close_deadlines(uow, services, w.case_id, status="open")  # type: ignore[arg-type]
    assert [d.subject_id for d in closed] == [2] and again == []
    assert [d.status for d in await deadlines_of(services, w.case_id)] == ["open", "met", "open"]


async def test_pause_and_resume_move_the_due_date_recomputed_by_L36_L13(
    services: Services, clock: ManualClock
) -> None:
    clock.set(TUE_1_SEP)
    w = await world(services, status="in_mediation")
    d = await _open(services, w.case_id)
    assert d.last_day == date(2026, 10, 8)  # 1 Oct is National Day: rolls to 8 Oct
    who = Who.system("mediator")

    async def pause_resume(days: int) -> Deadline:
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, w.case_id)
            row = await uow.session.get(Deadline, d.id)
            assert row is not None
            await pause_deadline(uow, services, case, row, who, reason="appraisal", note="鉴定")
        clock.advance(days=days)
        async with services.db.uow() as uow:
            case = await load_case_for_update(uow, w.case_id)
            row = await uow.session.get(Deadline, d.id)
            assert row is not None
            return await resume_deadline(uow, services, case, row, who)

    three = await pause_resume(3)  # 33 days: 4 Oct, still the holiday: 8 Oct (not 11 Oct)
    assert (three.paused_days, three.last_day, three.status) == (3, date(2026, 10, 8), "open")
    seven = await pause_resume(7)  # 40 days: Sunday 11 Oct: Monday 12 Oct
    assert (seven.paused_days, seven.last_day) == (10, date(2026, 10, 12))
    same_day = await pause_resume(0)
    assert same_day.paused_days == 10
    kinds = [e.kind for e in await events_of(services, w.case_id) if e.kind.startswith("deadline_")]
    assert kinds == ["deadline_opened"] + ["deadline_paused", "deadline_resumed"] * 3


async def test_resume_when_not_paused_and_pause_twice_are_refused_L13(services: Services) -> None:
    w = await world(services, status="in_mediation")
    d = await _open(services, w.case_id)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case_id)
        row = await uow.session.get(Deadline, d.id)
        assert row is not None
        with pytest.raises(Conflict, match="not paused"):
            await resume_deadline(uow, services, case, row, Who.system())
        await pause_deadline(uow, services, case, row, Who.system(), reason="appraisal")
        with pytest.raises(Conflict, match="already paused"):
            await pause_deadline(uow, services, case, row, Who.system(), reason="appraisal")


async def test_extend_adds_days_and_recomputes_L13_L36(
    services: Services, clock: ManualClock
) -> None:
    clock.set(TUE_1_SEP)
    w = await world(services, status="in_mediation")
    d = await _open(services, w.case_id)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, w.case_id)
        row = await uow.session.get(Deadline, d.id)
        assert row is not None
        row.reminded_at = clock.now()
        extended = await extend_deadline(uow, services, case, row, 5, Who.system(), reason="x")
        assert (extended.extended_days, extended.last_day) == (5, date(2026, 10, 8))  # 6 Oct: holiday
        extended = await extend_deadline(uow, services, case, row, 5, Who.system(), reason="y")
        assert (extended.extended_days, extended.last_day) == (10, date(2026, 10, 12))
        assert extended.reminded_at is None  # a new due date earns a new reminder
        with pytest.raises(ValueError):
            await extend_deadline(uow, services, case, row, 0, Who.system())
        await close_deadlines(uow, services, w.case_id)
        with pytest.raises(Conflict):
            await extend_deadline(uow, services, case, row, 1, Who.system())


async def test_days_left_counts_local_calendar_days(services: Services, clock: ManualClock) -> None:
    clock.set(TUE_1_SEP)
    w = await world(services, status="in_mediation")
    d = await _open(services, w.case_id, days=7)  # last day Tuesday 8 September
    assert days_left(d, clock.now()) == 7
    assert days_left(d, datetime(2026, 9, 8, 15, 59, tzinfo=UTC)) == 0  # 23:59 local, last day
    assert days_left(d, d.due_at + timedelta(seconds=1)) == -1
    d.status = "met"
    assert days_left(d, clock.now()) is None


def test_other_parts_register_consequences_by_kind() -> None:
    async def consequence(*_: object) -> None:
        return None

    try:
        assert on_deadline_missed("test_kind")(consequence) is consequence
        assert service.missed_handler("test_kind") is consequence
    finally:
        service._MISSED.pop("test_kind", None)
    assert service.missed_handler("test_kind") is None
    install_hooks()
    for kind in ("mediation_period", "mediator_acceptance", "choose_mediator",
                 "designate_mediator", "respondent_reply"):
        assert service.missed_handler(kind) is not None, kind
