"""``odr audit verify`` and ``odr audit anchor``.

``audit_app`` is mounted by ``odr/cli.py``; ``run_verify`` and ``run_anchor``
are plain functions for callers that already hold a ``Settings``.
Verification only reads: it never anchors.
"""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from odr.audit.anchor import AnchorFileError, AnchorLine, AnchorMismatch, anchor_head
from odr.audit.verify import VerifyResult, verify_chain
from odr.clock import SystemClock
from odr.db.uow import Database
from odr.settings import Settings

audit_app = typer.Typer(help="Audit chain: verify and anchor", no_args_is_help=True)


def _console() -> Console:
    # Built per call so it writes to the stdout of the moment (CliRunner swaps it).
    return Console(highlight=False)


async def _verify(settings: Settings) -> VerifyResult:
    db = Database(settings.resolved_database_url)
    try:
        return await verify_chain(db, settings.resolved_audit_anchor_path)
    finally:
        await db.dispose()


async def _anchor(settings: Settings) -> AnchorLine | None:
    db = Database(settings.resolved_database_url)
    try:
        return await anchor_head(db, SystemClock(), settings.resolved_audit_anchor_path)
    finally:
        await db.dispose()


def run_verify(settings: Settings) -> int:
    """Verify the chain, print a summary; 0 intact, 1 broken, 2 could not read it."""
    console = _console()
    anchor_path = settings.resolved_audit_anchor_path
    try:
        result = asyncio.run(_verify(settings))
    except (SQLAlchemyError, OSError) as exc:
        console.print(f"[bold red]✗ cannot read the audit chain[/]: {exc}")
        return 2
    if result.ok:
        console.print(f"[green]✓[/] audit chain intact: {result.entries_checked} entries checked")
    else:
        where = f"entry {result.first_broken_seq}" if result.first_broken_seq else "anchor file"
        console.print(f"[bold red]✗ audit chain broken at {where}[/]: {result.problem}")
        console.print(f"  {result.entries_checked} entries verified before the break")
    if result.anchor_file_found:
        console.print(f"  anchors matched: {result.anchors_checked} (file {anchor_path})")
    else:
        console.print(
            f"[yellow]![/] no anchor file at {anchor_path}: deleting the newest entries together "
            "with the head row would not be detected"
        )
    return 0 if result.ok else 1


def run_anchor(settings: Settings) -> int:
    """Anchor the head now; 0 anchored or unchanged, 1 refused (chain tampered), 2 unreadable."""
    console = _console()
    try:
        line = asyncio.run(_anchor(settings))
    except (AnchorMismatch, AnchorFileError) as exc:
        console.print(f"[bold red]✗ not anchored[/]: {exc}")
        return 1
    except (SQLAlchemyError, OSError) as exc:
        console.print(f"[bold red]✗ cannot read the audit chain[/]: {exc}")
        return 2
    if line is None:
        console.print("head unchanged since the last anchor (or the chain is empty): nothing written")
    else:
        console.print(
            f"[green]✓[/] anchored entry {line.seq} ({line.hash[:16]}…) "
            f"in {settings.resolved_audit_anchor_path}"
        )
    return 0


@audit_app.command("verify")
def verify_command() -> None:
    """Check every entry's hash and link, the head row and the anchor file."""
    raise typer.Exit(run_verify(Settings()))


@audit_app.command("anchor")
def anchor_command() -> None:
    """Append the current head to the anchor file (if it moved)."""
    raise typer.Exit(run_anchor(Settings()))


if __name__ == "__main__":
    audit_app()
