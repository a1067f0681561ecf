"""Appending: entries link up, commit with the change they record, and verify on both backends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from odr.audit.chain import GENESIS, record
from odr.audit.models import AuditEntry, AuditHead
from odr.audit.verify import verify_chain
from odr.clock import SHANGHAI, ManualClock
from odr.db.uow import Database
from odr.orgs.models import Court, CourtLevel
from tests.audit.chain_support import append


def _court(clock: ManualClock) -> Court:
    return Court(
        code="SHJRFY-T", name_zh="上海金融法院", name_en="Shanghai Financial Court",
        level=CourtLevel.SPECIALIZED, created_at=clock.now(),
    )


async def test_appends_link_each_entry_to_the_previous_one(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 3)
    async with db.reader() as uow:
        rows = (await uow.session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars()
        chain = [(e.seq, e.prev_hash, e.hash) for e in rows]
        head = (await uow.session.execute(select(AuditHead.seq, AuditHead.hash))).one()
    assert [seq for seq, _, _ in chain] == [1, 2, 3]
    assert chain[0][1] == GENESIS
    assert chain[1][1] == chain[0][2] and chain[2][1] == chain[1][2]
    assert tuple(head) == (3, chain[2][2])
    result = await verify_chain(db, None)
    assert result.ok and result.entries_checked == 3 and result.first_broken_seq is None


async def test_empty_chain_verifies_intact(db: Database, anchor_path: Path) -> None:
    result = await verify_chain(db, anchor_path)
    assert result.ok and result.entries_checked == 0


async def test_failed_unit_of_work_leaves_neither_change_nor_audit_entry(
    db: Database, clock: ManualClock
) -> None:
    with pytest.raises(RuntimeError, match="after the audit"):
        async with db.uow() as uow:
            uow.session.add(_court(clock))
            await record(uow, clock, action="court.create", subject_type="court",
                         subject_id="SHJRFY-T", data={"code": "SHJRFY-T"})
            raise RuntimeError("failure after the audit entry was written")
    async with db.reader() as uow:
        courts = (await uow.session.execute(select(func.count()).select_from(Court))).scalar_one()
        entries = (
            await uow.session.execute(select(func.count()).select_from(AuditEntry))
        ).scalar_one()
        head = (await uow.session.execute(select(AuditHead.seq))).scalar_one_or_none()
    assert (courts, entries) == (0, 0)
    assert head in (None, 0)
    # The next append starts the chain afresh: no hole where the failed one was.
    await append(db, clock, 1)
    result = await verify_chain(db, None)
    assert result.ok and result.entries_checked == 1


async def test_change_and_its_audit_entry_commit_together(db: Database, clock: ManualClock) -> None:
    async with db.uow() as uow:
        court = _court(clock)
        uow.session.add(court)
        await uow.session.flush()
        entry = await record(uow, clock, action="court.create", subject_type="court",
                             subject_id=court.id, data={"code": court.code})
    async with db.reader() as uow:
        stored = (await uow.session.execute(select(AuditEntry.hash, AuditEntry.subject_id))).one()
        court_ids = (await uow.session.execute(select(Court.id))).scalars().all()
    assert tuple(stored) == (entry.hash, str(court_ids[0]))


async def test_entries_with_awkward_json_and_local_times_verify_intact(
    db: Database, anchor_path: Path
) -> None:
    """Whatever the caller passes, what the database hands back must hash the same
    (PostgreSQL's JSONB turns 1e16 into an integer; times come back in UTC)."""
    clock = ManualClock(datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=SHANGHAI))
    data = {
        "big_float": 1e16, "whole_float": 3.0, "huge": 1e300, "fraction": 0.1, "tiny": 1.5e-7,
        "neg_zero": -0.0, "big_int": 12345678901234567890123, "text": "调解协议 \"引号\" \n",
        "nested": {"b": [1, 2.5, None, True], "a": {"z": "é"}}, 7: "int key",
        "when": datetime(2026, 1, 1, tzinfo=SHANGHAI), "tuple": (1, 2),
    }
    async with db.uow() as uow:
        await record(uow, clock, action="agreement.sign", actor_label="张三", data=data)
    result = await verify_chain(db, anchor_path)
    assert result.ok, result.problem


async def test_audit_data_refuses_nan(db: Database, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="finite"):
        async with db.uow() as uow:
            await record(uow, clock, action="x", data={"score": float("nan")})


async def test_recording_in_a_read_only_unit_of_work_is_refused(
    db: Database, clock: ManualClock
) -> None:
    with pytest.raises(RuntimeError, match="write unit of work"):
        async with db.reader() as uow:
            await record(uow, clock, action="x")
