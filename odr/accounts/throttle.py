"""Throttling password guessing and one-time-code sending.

Counts come from rows (``LoginAttempt``, ``OneTimeCode``) and time from the
injected clock, so every web process sees the same limits and tests unlock
by moving the clock.

Sign-in failures lock an *account key* (the username typed, or ``mobile:<n>``
for unknown mobiles, so existing and unknown accounts behave alike) after
``login_max_failures_per_account`` failures within ``login_window_minutes``
since its last success, and an *address* after
``login_max_failures_per_address`` failures in the window. An attempt made
while locked is refused without checking the password and is not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from odr.accounts.models import LoginAttempt, OneTimeCode
from odr.audit.chain import record
from odr.db.uow import UnitOfWork
from odr.errors import TooManyRequests
from odr.services import Services

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Block:
    scope: str  # "account" | "address" | "mobile"
    until: datetime
    message: str

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))

    def error(self, now: datetime) -> TooManyRequests:
        seconds = self.retry_after(now)
        return TooManyRequests(
            f"{self.message}; try again in {seconds} seconds",
            code="throttled",
            details={"retry_after": seconds, "scope": self.scope},
        )


def account_key(username: str) -> str:
    return username.strip().lower()[:100]


def _window(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.login_window_minutes)


async def _last_success(uow: UnitOfWork, key: str) -> datetime | None:
    return (
        await uow.session.execute(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.account_key == key, LoginAttempt.succeeded.is_(True)
            )
        )
    ).scalar_one_or_none()


async def _failures(
    uow: UnitOfWork, *, since: datetime, key: str | None = None, address: str | None = None
) -> list[datetime]:
    """Failure times, newest first."""
    query = select(LoginAttempt.at).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
    )
    if key is not None:
        query = query.where(LoginAttempt.account_key == key)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    rows = (await uow.session.execute(query.order_by(LoginAttempt.at.desc()))).scalars().all()
    return list(rows)


async def _account_failures(uow: UnitOfWork, services: Services, key: str) -> list[datetime]:
    since = services.clock.now() - _window(services)
    last_ok = await _last_success(uow, key)
    if last_ok is not None and last_ok > since:
        since = last_ok
    return await _failures(uow, since=since, key=key)


async def login_block(
    uow: UnitOfWork, services: Services, *, key: str, address: str
) -> Block | None:
    """The lock in force for this account key or address, if any."""
    settings = services.settings
    window = _window(services)
    by_account = await _account_failures(uow, services, key)
    limit = settings.login_max_failures_per_account
    if len(by_account) >= limit:
        return Block(
            "account",
            by_account[limit - 1] + window,
            "too many failed sign-ins for this account",
        )
    by_address = await _failures(uow, since=services.clock.now() - window, address=address)
    limit = settings.login_max_failures_per_address
    if len(by_address) >= limit:
        return Block(
            "address",
            by_address[limit - 1] + window,
            "too many failed sign-ins from this network address",
        )
    return None


async def raise_if_blocked(uow: UnitOfWork, services: Services, *, key: str, address: str) -> None:
    block = await login_block(uow, services, key=key, address=address)
    if block is not None:
        raise block.error(services.clock.now())


async def record_success(uow: UnitOfWork, services: Services, *, key: str, address: str) -> None:
    uow.session.add(
        LoginAttempt(account_key=key, address=address[:64], succeeded=True, at=services.clock.now())
    )
    await uow.session.flush()


async def record_failure(
    uow: UnitOfWork, services: Services, *, key: str, address: str, user_id: int | None = None
) -> None:
    """Count a failed attempt; the failure that starts a lock is audited."""
    address = address[:64]
    now = services.clock.now()
    uow.session.add(LoginAttempt(account_key=key, address=address, succeeded=False, at=now))
    await uow.session.flush()
    settings = services.settings
    if len(await _account_failures(uow, services, key)) == settings.login_max_failures_per_account:
        await record(
            uow,
            services.clock,
            action="auth.lockout",
            actor_id=user_id,
            actor_label=key,
            subject_type="account",
            subject_id=key,
            data={"scope": "account", "address": address, "minutes": settings.login_window_minutes},
        )
    by_address = await _failures(uow, since=now - _window(services), address=address)
    if len(by_address) == settings.login_max_failures_per_address:
        await record(
            uow,
            services.clock,
            action="auth.lockout",
            actor_id=None,
            actor_label=address,
            subject_type="address",
            subject_id=address,
            data={"scope": "address", "minutes": settings.login_window_minutes},
        )


async def code_send_block(uow: UnitOfWork, services: Services, *, mobile: str) -> Block | None:
    """One code per mobile per ``otp_resend_seconds`` and ``otp_max_per_day`` a day."""
    settings = services.settings
    now = services.clock.now()
    sent = (
        (
            await uow.session.execute(
                select(OneTimeCode.created_at)
                .where(OneTimeCode.mobile == mobile, OneTimeCode.created_at > now - DAY)
                .order_by(OneTimeCode.created_at.desc())
            )
        )
        .scalars()
        .all()
    )
    if sent and sent[0] > now - timedelta(seconds=settings.otp_resend_seconds):
        return Block(
            "mobile",
            sent[0] + timedelta(seconds=settings.otp_resend_seconds),
            "a code was just sent to this number",
        )
    if len(sent) >= settings.otp_max_per_day:
        return Block(
            "mobile",
            sent[settings.otp_max_per_day - 1] + DAY,
            "too many codes sent to this number today",
        )
    return None
