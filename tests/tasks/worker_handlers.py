"""Outbox handlers for tests with real worker processes (imported via ODR_EXTRA_TASK_MODULES).

``test.effect`` records every run in ``test_effect_runs`` and its effect in
``test_effects``, deduped by the message's idempotency key. Neither table has
a unique constraint, so a handler that was not idempotent would show a
duplicate. With ``block_dir`` in the payload, the first run writes
``block_dir/started`` (with its pid) after committing the effect and then
waits for ``block_dir/release``: a test kills the worker there, between the
effect and the outbox marking the message done.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import select, text

from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.outbox.service import enqueue
from odr.services import Services

KIND = "test.effect"

TABLES = (
    "CREATE TABLE test_effect_runs (key VARCHAR(200) NOT NULL, pid INTEGER NOT NULL)",
    "CREATE TABLE test_effects (key VARCHAR(200) NOT NULL, pid INTEGER NOT NULL)",
)


async def create_tables(services: Services) -> None:
    async with services.db.uow() as uow:
        for statement in TABLES:
            await uow.session.execute(text(statement))


async def record_effect(services: Services, message: OutboxMessage) -> None:
    key, pid = message.idempotency_key, os.getpid()
    async with services.db.uow() as uow:
        await uow.session.execute(
            text("INSERT INTO test_effect_runs (key, pid) VALUES (:key, :pid)"),
            {"key": key, "pid": pid},
        )
    async with services.db.uow() as uow:
        if not services.db.is_sqlite:  # serialize the check-then-insert per key
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                      {"key": key})
        found = (
            await uow.session.execute(text("SELECT 1 FROM test_effects WHERE key = :key"),
                                      {"key": key})
        ).first()
        if found is None:
            await uow.session.execute(
                text("INSERT INTO test_effects (key, pid) VALUES (:key, :pid)"),
                {"key": key, "pid": pid},
            )
    block_dir = message.payload.get("block_dir")
    if block_dir:
        started, release = Path(block_dir) / "started", Path(block_dir) / "release"
        if not started.exists():
            partial = started.with_suffix(".partial")
            partial.write_text(str(pid))
            partial.replace(started)  # the test never reads half a pid
            while not release.exists():
                await asyncio.sleep(0.05)


async def enqueue_effect(services: Services, key: str, payload: dict[str, str]) -> int:
    async with services.db.uow() as uow:
        message = await enqueue(uow, services.clock, kind=KIND,
                                payload=payload, idempotency_key=key)
    return message.id


async def effect_rows(services: Services, table: str) -> list[tuple[str, int]]:
    async with services.db.reader() as uow:
        rows = (await uow.session.execute(text(f"SELECT key, pid FROM {table}"))).all()
    return [(r[0], r[1]) for r in rows]


async def outbox_row(services: Services, message_id: int) -> OutboxMessage:
    async with services.db.reader() as uow:
        return (await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.id == message_id))).scalar_one()


register_handler(KIND, record_effect)
