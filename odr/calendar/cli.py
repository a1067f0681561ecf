"""``odr calendar load FILE`` and ``odr calendar show YEAR``.

``calendar_app`` is mounted by ``odr/cli.py``. Loading validates the file
(``odr.calendar.arrangement``) before touching the database, then replaces
that year's rows and writes an audit entry in one transaction.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from odr.calendar.arrangement import CalendarError, YearArrangement, read_arrangement
from odr.calendar.store import store_year, year_view
from odr.clock import SystemClock
from odr.db.uow import Database
from odr.settings import Settings

calendar_app = typer.Typer(help="Rest-day calendar: official holidays and make-up working days",
                           no_args_is_help=True)


def _console() -> Console:
    return Console(highlight=False)  # per call: CliRunner swaps stdout


async def _store(settings: Settings, arrangement: YearArrangement, source_file: str) -> int:
    db = Database(settings.resolved_database_url)
    try:
        async with db.uow() as uow:
            return await store_year(uow, SystemClock(), arrangement, source_file=source_file,
                                    actor_label="odr calendar load")
    finally:
        await db.dispose()


@calendar_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="JSON file in the format of odr/calendar/data/cn-2026.json")],
) -> None:
    """Validate a year's arrangement and store it (replacing that year's), audited."""
    console = _console()
    try:
        arrangement = read_arrangement(file)
    except CalendarError as exc:
        console.print(f"[bold red]✗ {file} is not a valid calendar[/]:")
        for problem in exc.problems:
            console.print(f"  - {problem}")
        raise typer.Exit(2) from exc
    settings = Settings()
    settings.ensure_dirs()
    stored = asyncio.run(_store(settings, arrangement, str(file)))
    holidays = sum(len(h.days()) for h in arrangement.holidays)
    console.print(
        f"[green]✓[/] calendar {arrangement.year} loaded: {len(arrangement.holidays)} holidays "
        f"({holidays} days off), {len(arrangement.makeup_workdays)} make-up working days "
        f"({stored} rows)"
    )


async def _show(settings: Settings, year: int) -> tuple[bool, str | None, YearArrangement | None]:
    db = Database(settings.resolved_database_url)
    try:
        async with db.reader() as uow:
            view = await year_view(uow.session, year)
        return view.loaded, view.origin, view.arrangement
    finally:
        await db.dispose()


@calendar_app.command("show")
def show(year: Annotated[int, typer.Argument(help="The year, e.g. 2026")]) -> None:
    """Print the arrangement in force for a year."""
    console = _console()
    settings = Settings()
    settings.ensure_dirs()
    loaded, origin, arrangement = asyncio.run(_show(settings, year))
    if not loaded or arrangement is None:
        console.print(f"no calendar for {year}: weekends only, deadlines in it are provisional")
        raise typer.Exit(1)
    table = Table(title=f"{year} ({origin}): {arrangement.source}")
    for col in ("holiday", "from", "to"):
        table.add_column(col)
    for h in arrangement.holidays:
        table.add_row(h.name, h.start.isoformat(), h.end.isoformat())
    console.print(table)
    console.print("make-up working days: " + ", ".join(d.isoformat() for d in arrangement.makeup_workdays))
