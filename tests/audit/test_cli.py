"""``odr audit verify`` / ``odr audit anchor``: exit codes and what they print."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from odr.audit.cli import audit_app
from odr.clock import ManualClock
from odr.db.uow import Database
from tests.audit.chain_support import append, execute, truncate_newest


async def _invoke(db_url: str, var_dir: Path, *args: str) -> Result:
    env: dict[str, str | None] = {
        "ODR_DATABASE_URL": db_url, "ODR_VAR_DIR": str(var_dir), "ODR_AUDIT_ANCHOR_PATH": None,
    }
    # The command runs its own event loop, so it runs off this one.
    return await asyncio.to_thread(CliRunner().invoke, audit_app, list(args), env=env)


async def test_verify_command_exits_0_on_an_intact_chain(
    db: Database, db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    await append(db, clock, 5)
    result = await _invoke(db_url, tmp_path / "var", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "5 entries" in result.output
    assert "no anchor file" in result.output


async def test_verify_command_exits_1_naming_the_first_broken_entry(
    db: Database, db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    await append(db, clock, 5)
    await execute(db, "UPDATE audit_entries SET subject_id = 'other' WHERE seq = 3")
    result = await _invoke(db_url, tmp_path / "var", "verify")
    assert result.exit_code == 1, result.output
    assert "broken at entry 3" in result.output and "altered" in result.output


async def test_anchor_command_lets_verify_catch_a_rewound_truncation(
    db: Database, db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    await append(db, clock, 6)
    anchored = await _invoke(db_url, var_dir, "anchor")
    assert anchored.exit_code == 0, anchored.output
    assert (var_dir / "audit-anchor.log").exists()
    assert "anchored entry 6" in anchored.output
    intact = await _invoke(db_url, var_dir, "verify")
    assert intact.exit_code == 0 and "anchors matched: 1" in intact.output

    await truncate_newest(db, 4, rewind_head=True)
    broken = await _invoke(db_url, var_dir, "verify")
    assert broken.exit_code == 1
    assert "broken at entry 5" in broken.output and "truncated" in broken.output
    refused = await _invoke(db_url, var_dir, "anchor")
    assert refused.exit_code == 1 and "not anchored" in refused.output
