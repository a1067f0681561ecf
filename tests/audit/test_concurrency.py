"""Concurrent appends queue on the head row: one chain, never a fork, on both backends."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select

from odr.audit.chain import record
from odr.audit.models import AuditEntry
from odr.audit.verify import verify_chain
from odr.clock import ManualClock
from odr.db.uow import Database

ROOT = Path(__file__).resolve().parents[2]

TASKS, APPENDS = 8, 25

# A separate OS process appending to the same database. It waits for its peer
# (a file barrier) so both really run at once.
WRITER = """
import asyncio, sys, time
from pathlib import Path
from odr.audit.chain import record
from odr.clock import ManualClock
from odr.db.uow import Database

url, label, count, barrier = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])

async def main():
    (barrier / label).touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.iterdir())) < 2:
        if time.monotonic() > deadline:
            raise SystemExit("peer never started")
        await asyncio.sleep(0.01)
    db = Database(url)
    clock = ManualClock()
    for i in range(count):
        async with db.uow() as uow:
            await record(uow, clock, action="test.append", actor_label=label, data={"i": i})
    await db.dispose()

asyncio.run(main())
"""


async def _counts_by_label(db: Database) -> dict[str, int]:
    async with db.reader() as uow:
        rows = await uow.session.execute(
            select(AuditEntry.actor_label, func.count()).group_by(AuditEntry.actor_label)
        )
        return {label: count for label, count in rows.all()}


async def _distinct_links(db: Database) -> int:
    async with db.reader() as uow:
        query = select(func.count(func.distinct(AuditEntry.prev_hash)))
        return (await uow.session.execute(query)).scalar_one()


async def _writer(db: Database, clock: ManualClock, label: str) -> None:
    for i in range(APPENDS):
        async with db.uow() as uow:
            await record(uow, clock, action="test.append", actor_label=label, data={"i": i})


async def test_concurrent_appends_from_many_connections_keep_one_chain(
    db: Database, clock: ManualClock
) -> None:
    await asyncio.gather(*(_writer(db, clock, f"task-{t}") for t in range(TASKS)))
    result = await verify_chain(db, None)
    assert result.ok, result.problem
    assert result.entries_checked == TASKS * APPENDS
    assert await _counts_by_label(db) == {f"task-{t}": APPENDS for t in range(TASKS)}
    # Every entry links to a different predecessor: nothing forked.
    assert await _distinct_links(db) == TASKS * APPENDS


async def test_verify_during_concurrent_appends_sees_a_consistent_snapshot(
    db: Database, clock: ManualClock
) -> None:
    writers = asyncio.gather(*(_writer(db, clock, f"task-{t}") for t in range(4)))
    results = []
    while not writers.done():
        results.append(await verify_chain(db, None, batch_size=10))
    await writers
    assert results and all(r.ok for r in results), [r.problem for r in results if not r.ok]
    final = await verify_chain(db, None)
    assert final.ok and final.entries_checked == 4 * APPENDS


async def test_two_processes_appending_to_one_database_keep_one_chain(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    count = 40
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, db_url, label, str(count), str(barrier),
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
        )
        for label in ("proc-a", "proc-b")
    ]
    for proc in procs:
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, stderr.decode()
    result = await verify_chain(db, None)
    assert result.ok, result.problem
    assert result.entries_checked == 2 * count
    assert await _counts_by_label(db) == {"proc-a": count, "proc-b": count}
