"""``verify_chain`` names the first entry an intruder touched, whatever they did with raw SQL."""

from __future__ import annotations

from pathlib import Path

from odr.audit.anchor import anchor_head
from odr.audit.verify import verify_chain
from odr.clock import ManualClock
from odr.db.uow import Database
from tests.audit.chain_support import (
    append,
    execute,
    rewrite_from,
    set_data_json,
    truncate_newest,
)


async def test_verify_names_first_edited_entry(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 10)
    await execute(db, "UPDATE audit_entries SET actor_label = 'someone else' WHERE seq = 4")
    await execute(db, "UPDATE audit_entries SET action = 'case.withdraw' WHERE seq = 7")
    result = await verify_chain(db, None)
    assert not result.ok
    assert result.first_broken_seq == 4
    assert result.entries_checked == 3
    assert "entry 4 was altered" in result.problem


async def test_verify_detects_edited_time_and_link_fields(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 5)
    await execute(db, "UPDATE audit_entries SET prev_hash = :h WHERE seq = 2", h="0" * 64)
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq) == (False, 2)


async def test_verify_detects_edited_data_json(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 6)
    await set_data_json(db, 5, '{"from": "submitted", "to": "rejected", "n": 4, "fee_fen": 5000}')
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "altered" in result.problem


async def test_verify_ignores_json_key_order_and_spacing(db: Database, clock: ManualClock) -> None:
    """Re-serializing the same JSON differently is not tampering."""
    await append(db, clock, 3)
    await set_data_json(db, 2, '{ "fee_fen": 5000, "n": 1, "to": "under_review", "from": "submitted" }')
    assert (await verify_chain(db, None)).ok


async def test_verify_names_entry_after_an_edit_that_was_rehashed(
    db: Database, clock: ManualClock
) -> None:
    """An intruder who recomputes the edited entry's own hash still breaks the next link."""
    await append(db, clock, 6)
    await rewrite_from(db, 3, actor_label="forged", through=3)
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq, result.entries_checked) == (False, 4, 3)
    assert "entry 4 does not link to entry 3" in result.problem


async def test_verify_names_missing_middle_entry(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 8)
    await execute(db, "DELETE FROM audit_entries WHERE seq = 5")
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq, result.entries_checked) == (False, 5, 4)
    assert "entry 5 is missing" in result.problem


async def test_verify_detects_two_entries_swapped(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 6)
    await execute(db, "UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    await execute(db, "UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    await execute(db, "UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq) == (False, 3)


async def test_verify_detects_deleted_newest_entries_by_the_head_row(
    db: Database, clock: ManualClock
) -> None:
    await append(db, clock, 10)
    await truncate_newest(db, 8, rewind_head=False)
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq, result.entries_checked) == (False, 9, 8)
    assert "head says entry 10" in result.problem


async def test_verify_detects_rewound_head_row(db: Database, clock: ManualClock) -> None:
    await append(db, clock, 5)
    await execute(db, "UPDATE audit_head SET seq = 4")
    result = await verify_chain(db, None)
    assert (result.ok, result.first_broken_seq) == (False, 5)


async def test_verify_detects_truncation_with_rewound_head_via_anchor(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 10)
    await anchor_head(db, clock, anchor_path)
    await truncate_newest(db, 7, rewind_head=True)
    result = await verify_chain(db, anchor_path)
    assert (result.ok, result.first_broken_seq, result.entries_checked) == (False, 8, 7)
    assert "truncated" in result.problem and "8..10" in result.problem


async def test_without_anchor_file_truncation_with_rewound_head_goes_unnoticed(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    """The limit the anchor exists for: the database alone cannot show it."""
    await append(db, clock, 10)
    await truncate_newest(db, 7, rewind_head=True)
    result = await verify_chain(db, anchor_path)
    assert result.ok and not result.anchor_file_found


async def test_verify_detects_consistently_rewritten_tail_via_anchor(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 5)
    await anchor_head(db, clock, anchor_path)
    await append(db, clock, 5)
    await anchor_head(db, clock, anchor_path)
    await rewrite_from(db, 7, actor_label="forged")
    assert (await verify_chain(db, None)).ok  # internally consistent again
    result = await verify_chain(db, anchor_path)
    assert (result.ok, result.first_broken_seq, result.anchors_checked) == (False, 10, 1)
    assert "after anchored entry 5" in result.problem


async def test_verify_refuses_an_unreadable_anchor_file(
    db: Database, clock: ManualClock, anchor_path: Path
) -> None:
    await append(db, clock, 3)
    await anchor_head(db, clock, anchor_path)
    with anchor_path.open("a") as handle:
        handle.write("not json\n")
    result = await verify_chain(db, anchor_path)
    assert not result.ok and "anchor file line 2" in result.problem
