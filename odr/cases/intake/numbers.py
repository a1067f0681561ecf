"""Case numbers: ``<SCOPE>-<YEAR>-<NNNNN>``, e.g. ``SFCDMC-2026-00012``.

The scope is the code of the case's institution when one is known (the
institution a court refers to, the walk-in's institution, or the one an
applicant prefers), else the referring court's code, else ``ODR``. The year
is the Asia/Shanghai calendar year of filing (a filing at 00:30 on 1 January
in Shanghai belongs to the new year although it is still 31 December in UTC).
The serial restarts at 1 for each scope and year and has at least five digits.

Allocation is one statement in the filing's own transaction::

    INSERT INTO case_number_sequences (scope, year, last) VALUES (:scope, :year, 1)
    ON CONFLICT (scope, year) DO UPDATE SET last = case_number_sequences.last + 1
    RETURNING last

On PostgreSQL the upsert locks the sequence row until the filing commits, so
concurrent filings of one scope queue for it and never share a number; on
SQLite write transactions are serialized already. A filing that fails rolls
its increment back with everything else, so refused filings leave no gaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.cases.models import CaseNumberSequence
from odr.clock import to_local
from odr.db.uow import UnitOfWork

PLATFORM_SCOPE = "ODR"
SERIAL_DIGITS = 5


def number_scope(institution_code: str | None, court_code: str | None) -> str:
    """The sequence a case draws from: its institution, else its court, else the platform."""
    return institution_code or court_code or PLATFORM_SCOPE


def format_number(scope: str, year: int, serial: int) -> str:
    return f"{scope}-{year}-{serial:0{SERIAL_DIGITS}d}"


async def allocate_case_number(uow: UnitOfWork, scope: str, now: datetime) -> str:
    """The next number of ``scope`` in the local year of ``now`` (taken in ``uow``'s transaction)."""
    year = to_local(now).year
    bind = uow.session.bind
    insert = pg_insert if bind is not None and bind.dialect.name == "postgresql" else sqlite_insert
    seq = CaseNumberSequence
    stmt = (
        insert(seq)
        .values(scope=scope, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[seq.scope, seq.year], set_={"last": seq.last + 1}
        )
        .returning(seq.last)
    )
    serial = (await uow.session.execute(stmt)).scalar_one()
    return format_number(scope, year, serial)
