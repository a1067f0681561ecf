"""Capacity is a database guarantee: workers assigning at once never give a mediator more
cases than its maximum (a conditional UPDATE under row locks on PostgreSQL, serialized writers
on SQLite, and CHECK constraints behind both)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from mediators.assignment import auto_assign
from mediators.capacity import recount, reserve_slot
from mediators.handlers import enqueue_assignment
from mediators.models import Assignment, AssignmentMethod, MediatorProfile
from odr.cases.transitions import Who, load_case_for_update
from odr.outbox.drain import drain_until_empty
from odr.services import Services
from tests.mediators.support import add_mediator, case_waiting, org, profile_of, queue_of

WORKERS = 6


async def _assign_one(services: Services, case_id: int) -> bool:
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        done = await auto_assign(uow, services, case, who=Who.system(f"worker-{case_id}"),
                                 method=AssignmentMethod.REASSIGNED, cause="test")
        return done is not None


async def test_concurrent_assignments_never_exceed_capacity(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o, capacity=3)
    case_ids = [await case_waiting(services, o) for _ in range(WORKERS)]
    results = await asyncio.gather(*(_assign_one(services, c) for c in case_ids))
    assert sum(results) == 3
    assert (await profile_of(services, m.id)).open_cases == 3
    async with services.db.reader() as uow:
        held = (await uow.session.execute(
            select(Assignment).where(Assignment.mediator_id == m.id))).scalars().all()
    assert len(held) == 3
    queued = [c for c in case_ids if await queue_of(services, c)]
    assert len(queued) == WORKERS - 3


async def test_concurrent_outbox_workers_respect_capacity(services: Services) -> None:
    """The real path: reassignment messages drained by several workers at once."""
    import mediators.handlers  # noqa: F401

    o = await org(services)
    a = await add_mediator(services, o, capacity=2)
    b = await add_mediator(services, o, capacity=2)
    case_ids = [await case_waiting(services, o) for _ in range(WORKERS)]
    async with services.db.uow() as uow:
        for case_id in case_ids:
            case = await load_case_for_update(uow, case_id)
            await enqueue_assignment(uow, services, case, cause="test", after_assignment_id=None)
    await asyncio.gather(*(drain_until_empty(services, f"worker-{i}", limit=1) for i in range(3)))
    assert (await profile_of(services, a.id)).open_cases == 2
    assert (await profile_of(services, b.id)).open_cases == 2
    queued = [c for c in case_ids if await queue_of(services, c)]
    assert len(queued) == WORKERS - 4


async def test_the_database_refuses_a_count_above_capacity(services: Services) -> None:
    o = await org(services)
    m = await add_mediator(services, o, capacity=1)
    async with services.db.uow() as uow:
        assert await reserve_slot(uow, m.id)
        assert not await reserve_slot(uow, m.id)  # the conditional update refuses
    with pytest.raises(IntegrityError):
        async with services.db.uow() as uow:  # and a direct write violates the CHECK constraint
            await uow.session.execute(update(MediatorProfile).where(MediatorProfile.user_id == m.id)
                                      .values(open_cases=2))
    async with services.db.uow() as uow:
        assert await recount(uow, m.id) == 0  # no assignment holds a slot: repaired
    async with services.db.reader() as uow:
        assert (await uow.session.execute(select(MediatorProfile.open_cases).where(
            MediatorProfile.user_id == m.id))).scalar_one() == 0
