"""Engines for the embedded default (SQLite) and PostgreSQL, chosen by URL alone.

SQLite is made safe for several processes: WAL, a busy timeout, foreign keys,
and write transactions that begin IMMEDIATE so two writers never deadlock on
a lock upgrade. Read-only units of work begin DEFERRED and never block writers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        # Pooled: an aiosqlite connection is a thread plus its PRAGMAs, and opening
        # one per transaction was a quarter of a room event's cost (bench/signaling.py).
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size if ":memory:" not in url else None,
            max_overflow=pool_size if ":memory:" not in url else None,
        ) if ":memory:" not in url else create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _make_sqlite_safe(engine)
        return engine
    # No pool_pre_ping: on asyncpg it costs three round trips (BEGIN, ";",
    # ROLLBACK) on every checkout, most of a short request's database time
    # (issue 2, bench/api.py). A connection the server dropped is detected when
    # it is used: SQLAlchemy then invalidates the whole pool, so only the calls
    # on it at that moment fail (``read_with`` retries its reads once), and
    # connections are renewed every half hour in case something idles them out.
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )


def _make_sqlite_safe(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


_autocommit_binds: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = (
    weakref.WeakKeyDictionary()
)


def read_bind(engine: AsyncEngine) -> AsyncEngine:
    """The engine for hot read paths that run Core statements on a plain connection.

    ``read_bind(db.engine).connect()`` instead of an ORM session, for reads
    that every request makes. On SQLite its transactions begin DEFERRED (no
    write lock). On PostgreSQL it runs in autocommit: each statement is its own
    READ COMMITTED snapshot, exactly as inside a READ COMMITTED transaction, but
    without the BEGIN and ROLLBACK round trips (the pool's pre-ping, too, is
    one round trip instead of three). Never write through it.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    bind = _autocommit_binds.get(engine)
    if bind is None:
        bind = _autocommit_binds[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return bind


async def read_with(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on one pooled connection of ``read_bind(engine)``, in one greenlet.

    The async API spawns a greenlet for every call (connect, each execute,
    close), and on Python 3.11 each new greenlet maps and unmaps a fresh frame
    stack; a hot read done as one synchronous function spawns one instead of
    four. ``work`` runs plain (synchronous) SQLAlchemy Core calls.
    """
    bind = read_bind(engine).sync_engine
    try:
        return await greenlet_spawn(_connect_and_run, bind, work)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The pooled connection was dead (say the server restarted); the pool
        # has dropped it and its peers, and a read is safe to run again.
        return await greenlet_spawn(_connect_and_run, bind, work)


def _connect_and_run(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect() as conn:
        return work(conn)


def dispose_after_fork(engine: AsyncEngine) -> None:
    """Drop inherited pooled connections in a forked child (Celery prefork)."""
    engine.sync_engine.dispose(close=False)
