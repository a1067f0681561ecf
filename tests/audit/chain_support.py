"""Helpers to build chains and to tamper with them the way an intruder would (raw SQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from odr.audit.chain import entry_hash, record
from odr.audit.models import AuditEntry, AuditHead
from odr.clock import ManualClock
from odr.db.uow import Database


async def append(db: Database, clock: ManualClock, count: int, *, label: str = "test") -> None:
    """Append ``count`` entries, one unit of work each, a second apart."""
    for i in range(count):
        clock.advance(seconds=1)
        async with db.uow() as uow:
            await record(
                uow, clock, action="case.transition", actor_id=7, actor_label=label,
                subject_type="case", subject_id=100 + i,
                data={"from": "submitted", "to": "under_review", "n": i, "fee_fen": 5000},
            )


async def execute(db: Database, sql: str, **params: Any) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def fetch(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def set_data_json(db: Database, seq: int, json_text: str) -> None:
    cast = ":d" if db.is_sqlite else "CAST(:d AS JSONB)"
    await execute(db, f"UPDATE audit_entries SET data = {cast} WHERE seq = :s", d=json_text, s=seq)


async def truncate_newest(db: Database, keep: int, *, rewind_head: bool) -> None:
    """Delete every entry after ``keep``; optionally point the head at ``keep``."""
    await execute(db, "DELETE FROM audit_entries WHERE seq > :k", k=keep)
    if rewind_head:
        (last_hash,) = (await fetch(db, "SELECT hash FROM audit_entries WHERE seq = :k", k=keep))[0]
        await execute(db, "UPDATE audit_head SET seq = :k, hash = :h", k=keep, h=last_hash)


async def rewrite_from(
    db: Database, start: int, *, actor_label: str, through: int | None = None
) -> None:
    """Change entry ``start`` and re-hash it and later entries up to ``through``.

    With ``through`` left out every later entry is re-hashed and the head moved:
    a chain that is internally consistent again (only an anchor can show it).
    """
    async with db.uow() as uow:
        session = uow.session
        entries = (
            await session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq >= start, AuditEntry.seq <= (through or 2**62))
                .order_by(AuditEntry.seq)
            )
        ).scalars().all()
        prev = (
            await session.execute(select(AuditEntry.hash).where(AuditEntry.seq == start - 1))
        ).scalar_one()
        for entry in entries:
            if entry.seq == start:
                entry.actor_label = actor_label
            entry.prev_hash = prev
            entry.hash = entry_hash(
                seq=entry.seq, at=entry.at, actor_id=entry.actor_id,
                actor_label=entry.actor_label, action=entry.action,
                subject_type=entry.subject_type, subject_id=entry.subject_id,
                data=entry.data, prev_hash=prev,
            )
            prev = entry.hash
            await session.flush()
        if through is None:
            head = (await session.execute(select(AuditHead))).scalar_one()
            head.hash = prev
