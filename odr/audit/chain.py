"""Appending to the hash chain.

Each entry's hash covers its canonical content and the previous entry's hash.
Appends lock the single ``audit_head`` row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite write transactions are already serialized by BEGIN
IMMEDIATE), so concurrent transactions queue instead of forking the chain.
The entry is written in the caller's unit of work: it commits with the change
it records, or not at all.

The head lock is held until the caller's transaction ends, so record late in a
unit of work: a long transaction holding the head delays every other append.

The canonical form must give the same text for what ``record`` hashed and for
what either database hands back later, or ``verify_chain`` raises false
alarms. Two things differ between backends and are normalized here: times
(always hashed as UTC) and integral floats (PostgreSQL's JSONB returns
``1e16`` as the integer ``10000000000000000``, so every integral float is
hashed, and stored, as the exact integer its JSON text denotes).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.audit.models import AuditEntry, AuditHead
from odr.clock import Clock
from odr.db.uow import UnitOfWork

GENESIS = "0" * 64


def _normalize(value: Any) -> Any:
    """Integral floats become exact ints, keys strings; NaN and infinities are refused."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit data must be finite JSON numbers (no NaN or infinity)")
        if value.is_integer():
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, dict):
        return {_key(key): _normalize(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(item) for item in value]
    return value


def _key(key: Any) -> str:
    """Keys as ``json`` would write them, so mixed key types still sort."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(_normalize(key))
    return str(key)


def canonical(value: Any) -> str:
    """Sorted-key, compact JSON of ``value`` (unknown types as ``str``)."""
    return json.dumps(
        _normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        allow_nan=False, default=str,
    )


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
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
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
    # populate_existing: never trust a head loaded earlier in this session.
    query = (
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
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
    if uow.readonly:
        raise RuntimeError("audit entries are written in a write unit of work (db.uow())")
    session = uow.session
    head = await _lock_head(uow)
    # JSON round trip so the hashed data equals what the database returns.
    payload: dict[str, Any] = json.loads(canonical(data or {}))
    # Microseconds are what both databases keep; UTC is what they hand back.
    at = clock.now().astimezone(UTC)
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
