"""The mediator's load counter: the database guarantee that capacity is never exceeded.

``reserve_slot`` is one conditional UPDATE: it adds a case only while the
mediator is active and below capacity, and says whether it did. On PostgreSQL
a second writer's UPDATE of the same row waits for the first to commit and then
re-checks the condition against the committed count (READ COMMITTED re-evaluates
the WHERE on the new row version); on SQLite write transactions are serialized
(BEGIN IMMEDIATE). The table's CHECK constraints (0 <= open_cases <=
max_concurrent_cases) back it up: no code path can store more.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from mediators.models import Assignment, MediatorProfile, MediatorStatus
from odr.db.uow import UnitOfWork


async def reserve_slot(uow: UnitOfWork, mediator_id: int) -> bool:
    """Count one more open case for ``mediator_id`` if it is active and has room."""
    result = await uow.session.execute(
        update(MediatorProfile)
        .where(
            MediatorProfile.user_id == mediator_id,
            MediatorProfile.status == MediatorStatus.ACTIVE,
            MediatorProfile.open_cases < MediatorProfile.max_concurrent_cases,
        )
        .values(open_cases=MediatorProfile.open_cases + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def release_slot(uow: UnitOfWork, mediator_id: int) -> None:
    """One open case fewer (an assignment ended or its case closed)."""
    await uow.session.execute(
        update(MediatorProfile)
        .where(MediatorProfile.user_id == mediator_id, MediatorProfile.open_cases > 0)
        .values(open_cases=MediatorProfile.open_cases - 1)
        .execution_options(synchronize_session=False)
    )


async def recount(uow: UnitOfWork, mediator_id: int) -> int:
    """Set the counter from the assignments that hold a slot (repair after manual edits)."""
    held = (
        await uow.session.execute(
            select(func.count(Assignment.id)).where(
                Assignment.mediator_id == mediator_id, Assignment.holds_slot.is_(True)
            )
        )
    ).scalar_one()
    await uow.session.execute(
        update(MediatorProfile)
        .where(MediatorProfile.user_id == mediator_id)
        .values(open_cases=held)
        .execution_options(synchronize_session=False)
    )
    return int(held)
