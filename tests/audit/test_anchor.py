"""Anchoring the head outside the database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from odr.audit.anchor import AnchorMismatch, anchor_head, last_anchor
from odr.audit.verify import verify_chain
from odr.clock import ManualClock
from odr.db.uow import Database
from tests.audit.chain_support import append, execute, truncate_newest


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_anchor_appends_the_head_only_when_it_moved(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    assert await anchor_head(db, clock, anchor_path) is None  # empty chain: nothing to anchor
    assert not anchor_path.exists()
    await append(db, clock, 3)
    first = await anchor_head(db, clock, anchor_path)
    assert first is not None and first.seq == 3
    assert await anchor_head(db, clock, anchor_path) is None
    await append(db, clock, 2)
    second = await anchor_head(db, clock, anchor_path)
    assert second is not None and second.seq == 5
    lines = _lines(anchor_path)
    assert [(line["seq"], line["hash"]) for line in lines] == [(3, first.hash), (5, second.hash)]
    assert lines[1]["at"] == clock.now().isoformat()
    result = await verify_chain(db, anchor_path)
    assert result.ok and result.anchors_checked == 2


async def test_anchor_refuses_to_bless_a_truncated_chain(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 5)
    await anchor_head(db, clock, anchor_path)
    await truncate_newest(db, 3, rewind_head=True)
    await append(db, clock, 4)  # the chain grows past the anchor again, on a new branch
    with pytest.raises(AnchorMismatch, match="entry 5 was anchored"):
        await anchor_head(db, clock, anchor_path)
    assert len(_lines(anchor_path)) == 1


async def test_anchor_refuses_when_the_head_row_fell_behind_the_anchor(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 5)
    await anchor_head(db, clock, anchor_path)
    await execute(db, "UPDATE audit_head SET seq = 2")
    with pytest.raises(AnchorMismatch, match="behind anchored entry 5"):
        await anchor_head(db, clock, anchor_path)


async def test_torn_final_anchor_line_is_ignored_then_replaced(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 3)
    await anchor_head(db, clock, anchor_path)
    with anchor_path.open("a") as handle:
        handle.write('{"at": "2026-11-02T01:0')  # a crash in the middle of a write
    result = await verify_chain(db, anchor_path)
    assert result.ok and result.anchors_checked == 1
    await append(db, clock, 1)
    line = await anchor_head(db, clock, anchor_path)
    assert line is not None and line.seq == 4
    assert [entry["seq"] for entry in _lines(anchor_path)] == [3, 4]


async def test_every_anchor_of_a_long_file_is_checked_while_streaming(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    for _ in range(40):
        await append(db, clock, 1)
        await anchor_head(db, clock, anchor_path)
    assert anchor_path.stat().st_size > 4096  # the tail is found across read chunks
    last = last_anchor(anchor_path)
    assert last is not None and last.seq == 40
    result = await verify_chain(db, anchor_path, batch_size=7)
    assert result.ok and result.entries_checked == 40 and result.anchors_checked == 40


async def test_simultaneous_anchor_calls_write_one_line(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 4)
    lines = await asyncio.gather(*(anchor_head(db, clock, anchor_path) for _ in range(4)))
    assert sum(line is not None for line in lines) == 1
    assert [entry["seq"] for entry in _lines(anchor_path)] == [4]
