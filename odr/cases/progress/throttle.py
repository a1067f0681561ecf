"""Throttling progress-query guessing (L3), the way sign-in guessing is throttled.

Same approach and limits as ``odr.accounts.throttle``: failures lock a *case
number* (as typed, normalised; unknown numbers count the same) after
``login_max_failures_per_account`` failures within ``login_window_minutes``
since its last successful query, and a client *address* after
``login_max_failures_per_address`` failures in the window. A query made while
locked is refused without checking the password and is not counted; the
failure that starts a lock is audited (``progress.lockout``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from odr.accounts.throttle import Block
from odr.audit.chain import record
from odr.cases.progress.models import ProgressQueryAttempt
from odr.db.uow import UnitOfWork
from odr.services import Services


def number_key(case_number: str) -> str:
    return case_number.strip().upper()[:60]


def _window(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.login_window_minutes)


async def _failures(
    uow: UnitOfWork, *, since: datetime, key: str | None = None, address: str | None = None
) -> list[datetime]:
    """Failure times, newest first."""
    stmt = select(ProgressQueryAttempt.at).where(
        ProgressQueryAttempt.succeeded.is_(False), ProgressQueryAttempt.at > since
    )
    if key is not None:
        stmt = stmt.where(ProgressQueryAttempt.number_key == key)
    if address is not None:
        stmt = stmt.where(ProgressQueryAttempt.address == address)
    return list((await uow.session.execute(stmt.order_by(ProgressQueryAttempt.at.desc()))).scalars())


async def _number_failures(uow: UnitOfWork, services: Services, key: str) -> list[datetime]:
    since = services.clock.now() - _window(services)
    last_ok = (
        await uow.session.execute(
            select(func.max(ProgressQueryAttempt.at)).where(
                ProgressQueryAttempt.number_key == key, ProgressQueryAttempt.succeeded.is_(True)
            )
        )
    ).scalar_one_or_none()
    if last_ok is not None and last_ok > since:
        since = last_ok
    return await _failures(uow, since=since, key=key)


async def query_block(
    uow: UnitOfWork, services: Services, *, key: str, address: str
) -> Block | None:
    """The lock in force for this case number or address, if any."""
    settings = services.settings
    window = _window(services)
    by_number = await _number_failures(uow, services, key)
    limit = settings.login_max_failures_per_account
    if len(by_number) >= limit:
        return Block("case_number", by_number[limit - 1] + window,
                     "too many wrong query passwords for this case number")
    by_address = await _failures(uow, since=services.clock.now() - window, address=address[:64])
    limit = settings.login_max_failures_per_address
    if len(by_address) >= limit:
        return Block("address", by_address[limit - 1] + window,
                     "too many wrong query passwords from this network address")
    return None


async def record_attempt(
    uow: UnitOfWork, services: Services, *, key: str, address: str, succeeded: bool
) -> None:
    """Count an attempt; the failure that starts a lock is audited."""
    address = address[:64]
    now = services.clock.now()
    uow.session.add(
        ProgressQueryAttempt(number_key=key, address=address, succeeded=succeeded, at=now)
    )
    await uow.session.flush()
    if succeeded:
        return
    settings = services.settings
    minutes = settings.login_window_minutes
    if len(await _number_failures(uow, services, key)) == settings.login_max_failures_per_account:
        await record(
            uow, services.clock, action="progress.lockout", actor_label=address,
            subject_type="case_number", subject_id=key,
            data={"scope": "case_number", "address": address, "minutes": minutes},
        )
    by_address = await _failures(uow, since=now - _window(services), address=address)
    if len(by_address) == settings.login_max_failures_per_address:
        await record(
            uow, services.clock, action="progress.lockout", actor_label=address,
            subject_type="address", subject_id=address,
            data={"scope": "address", "minutes": minutes},
        )
