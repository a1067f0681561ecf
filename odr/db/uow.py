"""Database handle and unit of work.

A unit of work is one transaction: everything written inside it (the change,
its audit entry, its outbox messages) commits together or not at all. Work to
do only after commit (waking a Celery worker) is registered with ``after_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from odr.db.engine import make_engine

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None] | None]


class Database:
    def __init__(self, url: str, *, engine: AsyncEngine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        reader_bind = (
            self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite else self.engine
        )
        self._reader = async_sessionmaker(reader_bind, expire_on_commit=False)

    def uow(self) -> UnitOfWork:
        """A write transaction (BEGIN IMMEDIATE on SQLite)."""
        return UnitOfWork(self._writer())

    def reader(self) -> UnitOfWork:
        """A read transaction that never takes the SQLite write lock."""
        return UnitOfWork(self._reader(), readonly=True)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    def __init__(self, session: AsyncSession, *, readonly: bool = False) -> None:
        self.session = session
        self.readonly = readonly
        self._after_commit: list[AfterCommit] = []
        self._committed = False

    async def __aenter__(self) -> UnitOfWork:
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self.readonly and not self._committed:
                await self.commit()
            elif not self._committed and not self.readonly:
                await self.session.rollback()
        finally:
            # close() ends a reader's transaction and detaches its objects with
            # their loaded state, so they stay readable after the block.
            await self.session.close()

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                result = callback()
                if result is not None:
                    await result
            except Exception:  # a lost wake-up only delays work: the outbox keeps it
                log.exception("after-commit callback failed")

    async def rollback(self) -> None:
        await self.session.rollback()
        self._committed = True
