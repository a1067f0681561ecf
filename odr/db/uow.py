"""Database handle and unit of work.

A unit of work is one transaction: everything written inside it (the change,
its audit entry, its outbox messages) commits together or not at all. Work to
do only after commit (waking a Celery worker) is registered with ``after_commit``.

On SQLite, write units of work of one process take their turn on an asyncio
lock before ``BEGIN IMMEDIATE``: SQLite admits one writer at a time anyway,
and its busy handler retries with growing sleeps (up to 100 ms each) rather
than in arrival order, so under load a queue in the process gives far shorter
and fairer waits. The lock is released as soon as the transaction ends,
before after-commit callbacks run (they may open their own units of work).
Writers in other processes (worker, beat) still meet SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
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
        self._write_turn = asyncio.Lock() if self.is_sqlite else None

    def uow(self) -> UnitOfWork:
        """A write transaction (BEGIN IMMEDIATE on SQLite, in turn within this process)."""
        return UnitOfWork(self._writer(), turn=self._write_turn)

    def reader(self) -> UnitOfWork:
        """A read transaction that never takes the SQLite write lock."""
        return UnitOfWork(self._reader(), readonly=True)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    def __init__(
        self, session: AsyncSession, *, readonly: bool = False, turn: asyncio.Lock | None = None
    ) -> None:
        self.session = session
        self.readonly = readonly
        self._after_commit: list[AfterCommit] = []
        self._committed = False
        self._turn = turn
        self._holding_turn = False

    async def __aenter__(self) -> UnitOfWork:
        if self._turn is not None:
            await self._turn.acquire()
            self._holding_turn = True
        try:
            await self.session.begin()
        except BaseException:
            self._end_turn()
            raise
        return self

    def _end_turn(self) -> None:
        if self._holding_turn and self._turn is not None:
            self._holding_turn = False
            self._turn.release()

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
            try:
                await self.session.close()
            finally:
                self._end_turn()

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        try:
            await self.session.commit()
        finally:
            self._end_turn()
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
        try:
            await self.session.rollback()
        finally:
            self._end_turn()
        self._committed = True
