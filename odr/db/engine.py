"""Engines for the embedded default (SQLite) and PostgreSQL, chosen by URL alone.

SQLite is made safe for several processes: WAL, a busy timeout, foreign keys,
and write transactions that begin IMMEDIATE so two writers never deadlock on
a lock upgrade. Read-only units of work begin DEFERRED and never block writers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=NullPool if ":memory:" not in url else None,
        )
        _make_sqlite_safe(engine)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
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


def read_bind(engine: AsyncEngine) -> AsyncEngine:
    """The engine to read through: on SQLite its transactions begin DEFERRED (no write lock).

    For hot read paths that run Core statements on a plain connection
    (``read_bind(db.engine).connect()``) instead of an ORM session.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine


def dispose_after_fork(engine: AsyncEngine) -> None:
    """Drop inherited pooled connections in a forked child (Celery prefork)."""
    engine.sync_engine.dispose(close=False)
