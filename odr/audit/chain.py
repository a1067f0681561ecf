"""Appending to the hash chain.

Each entry's hash covers its canonical content and the previous entry's hash.
Appends lock the single ``audit_head`` row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite write transactions are already serialized by BEGIN
IMMEDIATE), so concurrent transactions queue instead of forking the chain.
The entry is written in the caller's unit of work: it commits with the change
it records, or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.audit.models import AuditEntry, AuditHead
from odr.clock import Clock
from odr.db.uow import UnitOfWork

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    content = canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "data": data,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(content.encode()).hexdigest()


async def _lock_head(uow: UnitOfWork) -> AuditHead:
    """Lock the head row, creating it race-free on first use."""
    session = uow.session
    query = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = (await session.execute(query)).scalar_one_or_none()
    if head is not None:
        return head
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(AuditHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    )
    return (await session.execute(query)).scalar_one()


async def record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    action: str,
    actor_id: int | None = None,
    actor_label: str = "",
    subject_type: str = "",
    subject_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside ``uow``'s transaction."""
    session = uow.session
    head = await _lock_head(uow)
    # JSON round trip so the hashed data equals what the database returns.
    payload: dict[str, Any] = json.loads(canonical(data or {}))
    at = clock.now()
    seq = head.seq + 1
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=payload,
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(
        seq=seq, at=at, actor_id=actor_id, actor_label=actor_label, action=action,
        subject_type=subject_type, subject_id=str(subject_id), data=payload, prev_hash=head.hash,
    )
    session.add(entry)
    head.seq = seq
    head.hash = entry.hash
    await session.flush()
    return entry
